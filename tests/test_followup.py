"""Follow-up questions: which questions depend on the conversation, and how they are read."""

import json

import pytest

from qa.answer.followup import Turn, depends_on_history, resolve

BOATS = Turn("How many boat strikes has the Trump administration conducted since August?", "35")
KESTREL_CEO = Turn("Who is the CEO of Kestrel Robotics?", "Amira Haddad")
KESTREL_FOUNDED = Turn("When was Kestrel Robotics founded?", "2015")


@pytest.mark.parametrize("question,previous,expected", [
    ("How many people died in them?", BOATS, "How many people died in the boat strikes?"),
    ("Where is it based?", Turn("Which oil company exports Venezuelan crude?", "Chevron Corp."),
     "Where is Chevron Corp. based?"),
    ("What is his nationality?", Turn("Who interviewed Maduro?", "Ignacio Ramonet"),
     "What is Ignacio Ramonet's nationality?"),
    ("Who else was there?", Turn("Where was the interview recorded?", "Caracas"), "Who else was in Caracas?"),
    ("What about Brightline?", Turn("When was Solvia founded?", "2011"), "When was Brightline founded?"),
    ("In which country?", Turn("Where did the military deployment begin?", "the Caribbean Sea"),
     "In which country did the military deployment begin?"),
    ("When?", Turn("Who founded Solvia?", "two engineers"), "When founded Solvia?"),
    # a thing after a question about a person: the organisation that question named, not its role
    ("Who is its CFO?", Turn("Who is the CEO of Norrland Ceramics?", "Ida Berg"), "Who is Norrland Ceramics's CFO?"),
    # "What about X?" swaps a name of X's kind: a name for a name, an acronym for an acronym
    ("What about Pike Valley Dairy?", Turn("Who is Norrland Ceramics's CFO?", "Ole Lind"),
     "Who is Pike Valley Dairy's CFO?"),
    ("What about the CFO?", Turn("Who is the CEO of Norrland Ceramics?", "Ida Berg"),
     "Who is the CFO of Norrland Ceramics?"),
    ("What about the UK?", Turn("How many boat strikes has the US carried out?", "35"),
     "How many boat strikes has the UK carried out?"),
    # "And X?" is "What about X?"
    ("And Bluefin Coffee?", KESTREL_CEO, "Who is the CEO of Bluefin Coffee?"),
    ("And of Orion?", KESTREL_CEO, "Who is the CEO of Orion?"),
    ("and the CFO", KESTREL_CEO, "Who is the CFO of Kestrel Robotics?"),
    # "the X" with no owner, after a question that named one thing, is that thing's
    ("Who is the CEO?", KESTREL_FOUNDED, "Who is the CEO of Kestrel Robotics?"),
    ("Where is the headquarters?", KESTREL_FOUNDED, "Where is the headquarters of Kestrel Robotics?"),
    ("When was the company founded?", KESTREL_CEO, "When was Kestrel Robotics founded?"),
    ("Does the company have a CFO?", KESTREL_FOUNDED, "Does Kestrel Robotics have a CFO?"),
    ("What did the CEO say about layoffs?", KESTREL_FOUNDED, "What did the CEO of Kestrel Robotics say about layoffs?"),
])
def test_follow_ups_are_resolved(question, previous, expected):
    r = resolve(question, [previous])
    assert r.rewritten and r.question == expected
    assert previous.question in r.query


@pytest.mark.parametrize("question", [
    "Who interviewed Maduro?", "What is the capital of France?", "How many boat strikes since August?",
    "Which company exports Venezuelan crude to the United States?",
])
def test_self_contained_questions_are_not_changed(question):
    assert not depends_on_history(question)
    assert resolve(question, [BOATS]) == resolve(question, [])
    assert resolve(question, [BOATS]).question == question


@pytest.mark.parametrize("question, previous, expected", [
    ("What is the speed of light?", KESTREL_FOUNDED, None),  # "the X of Y" has its owner
    ("Who founded Orion Analytics?", KESTREL_FOUNDED, None),  # names its own thing
    ("Who is the CEO?", Turn("How many boat strikes since August?", "35"), None),  # a month is not a thing
    ("Who is the CEO?", Turn("Did Kestrel Robotics buy Orion Analytics?", "yes"), None),  # two things: which?
    ("And how many died?", BOATS, ("How many died boat strikes has the Trump administration conducted since "
                                  "August?")),  # a question of its own after "and", not "What about X?"
    # questions without a name that need no owner stand alone after a turn that named one thing
    *[(q, KESTREL_FOUNDED, None) for q in [
        "How far is the moon?", "Who invented the telephone?", "Which is the oldest company?",
        "What is the size of the team?", "Where did the meeting take place?", "When did the company go public?",
        "How does the immune system fight infection?", "Who is the firm's CEO?", "What is the speed of light?",
        "Who won the election?", "What is the theme of the report?", "Are the offices open?"]],
    # "And X?" only for a name or an acronym as typed; else the previous turn is given as context
    ("And you?", KESTREL_CEO, "You (CEO Kestrel Robotics Amira Haddad)?"),
    ("And should I invest?", KESTREL_CEO, "Should I invest (CEO Kestrel Robotics Amira Haddad)?"),
    ("And Orion's CFO?", KESTREL_CEO, "Orion's CFO (CEO Kestrel Robotics Amira Haddad)?"),
])
def test_definite_and_and_rules_leave_other_questions_alone(question, previous, expected):
    assert resolve(question, [previous]).question == (expected or question)


def test_it_stands_for_one_thing_and_a_counted_thing_is_not_made_the_subject():
    tram = Turn("How many stops will the tram line have?", "14")
    assert resolve("How much will it cost?", [tram]).question == "How much will the tram line cost?"
    assert resolve("How many people use them?", [tram]).question == "How many people use the stops?"
    felling = Turn("Who criticised the tree felling?", "Karin Ek")
    assert resolve("How many trees?", [felling]).question == "How many trees (criticised tree felling Karin Ek)?"
    # context a fallback added to the previous question is not read as part of it again
    after = Turn("How often will trams run (stops tram line 14)?", "every 7 minutes", asked="And how often will trams run?")
    assert "stops tram line" not in resolve("How much will they cost?", [after]).question


def test_a_pronoun_carried_on_stands_for_what_it_stood_for_in_the_turn_before():
    cafes = Turn("How many cafés do Bluefin Coffee operate?", "27", asked="How many cafés do they operate?")
    assert resolve("When did they open a second roastery?", [cafes]).question == \
        "When did Bluefin Coffee open a second roastery?"
    ceo = Turn("Who is Kestrel Robotics's CEO?", "Amira Haddad", asked="And who is its CEO?")
    assert resolve("Who is its CFO?", [ceo]).question == "Who is Kestrel Robotics's CFO?"
    # another pronoun than the one replaced before: the usual rule (here, the person answered)
    assert resolve("Where was she born?", [ceo]).question == "Where was Amira Haddad born?"


def test_names_and_content_words_keep_numbers_and_end_at_possessives():
    from qa.answer.followup import content_words, names

    assert content_words("When did the 1973 oil crisis end?") == ["1973", "oil", "crisis", "end"]
    assert names("Who is Norrland Ceramics's CFO in the US?") == ["Norrland Ceramics", "CFO", "US"]


def test_no_history_no_change():
    r = resolve("How many people died in them?", [])
    assert not r.rewritten and r.question == r.query == "How many people died in them?"


def test_pipeline_history(seed_index, reader, embedder):
    from qa.pipeline import QA

    qa = QA(seed_index, reader, embedder)
    first = qa.ask("Who interviewed Maduro?")
    follow = qa.ask("What is his nationality?", history=[first])
    assert follow.understood_as == "What is Ignacio Ramonet's nationality?" and follow.answers[0].text == "Spanish"
    as_text = qa.ask("What is his nationality?", history=["Who interviewed Maduro?"])
    assert as_text.understood_as == follow.understood_as
    alone = qa.ask("Who interviewed Maduro?", history=[qa.ask("How many boat strikes since August?")])
    assert alone.understood_as is None and alone.answers[0].text == first.answers[0].text
    assert qa.ask("What is the capital of France?", history=[first]).abstained


def test_conversation_eval_file_and_chat_command(seed_index, tmp_path, capsys, monkeypatch):
    import io

    from qa.apps.cli import main

    conv = tmp_path / "conv.jsonl"
    conv.write_text(json.dumps({"id": "c1", "turns": [
        {"question": "Who interviewed Maduro?", "answers": ["Ignacio Ramonet"]},
        {"question": "What is his nationality?", "answers": ["Spanish"]}]}) + "\n")
    out = tmp_path / "r.json"
    assert main(["eval", str(conv), "--index", str(seed_index), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["followups"] == {"count": 1, "em": 100.0, "f1": 100.0}
    assert report["predictions"] == {"c1#1": "Ignacio Ramonet", "c1#2": "Spanish"}
    assert main(["eval", str(conv), "--index", str(seed_index), "--out", str(out), "--no-history"]) == 0
    assert json.loads(out.read_text())["followups"]["f1"] < 100
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("Who interviewed Maduro?\nWhat is his nationality?\n"))
    assert main(["chat", "--index", str(seed_index)]) == 0
    printed = capsys.readouterr().out
    assert "Ignacio Ramonet" in printed and "Answered as: What is Ignacio Ramonet's nationality?" in printed
    assert "Spanish" in printed


WARRANTY = Turn("What is the warranty on the PX-40?", "24 months")


@pytest.mark.parametrize("question, previous, expected", [
    # a value (a duration, a date, an amount) cannot lift, cost or have employees: the product can
    ("How much can it lift?", WARRANTY, "How much can the PX-40 lift?"),
    ("How much does it cost?", Turn("What is the battery capacity of the Nova X5?", "5000 mAh"),
     "How much does the Nova X5 cost?"),
    ("How far can it go on one charge?", Turn("What is the top speed of the R2 scooter?", "25 km/h"),
     "How far can the R2 scooter go on one charge?"),
    ("How much does that one cost?", Turn("Which vacuum has the longest battery life?", "the Dustmaster 300"),
     "How much does the Dustmaster 300 cost?"),
    # a company has employees, headquarters, revenue; its founder or chair does not
    ("How many employees do they have?", Turn("Who founded Solvia?", "Anna Berg"), "How many employees do Solvia have?"),
    ("Where are their headquarters?", Turn("Who founded Brightline Inc?", "Tom Reyes"),
     "Where are Brightline Inc's headquarters?"),
    ("What is its revenue?", Turn("How long has Maria Lopez led Orion Analytics?", "six years"),
     "What is Orion Analytics's revenue?"),
    ("How many employees does it have?", Turn("In which year did Kestrel Robotics go public?", "2019"),
     "How many employees does Kestrel Robotics have?"),
    ("Who is their CEO?", Turn("How many stores does Pike Valley Dairy run?", "14"), "Who is Pike Valley Dairy's CEO?"),
    # "he" / "she": a person, not the company nor the bridge
    ("When was he born?", Turn("Who founded Brightline Inc?", "Tom Reyes"), "When was Tom Reyes born?"),
    ("Where was she born?", Turn("When did Falcon Optics hire Eva Pichler?", "2017"), "Where was Eva Pichler born?"),
    ("When was he born?", Turn("Which engineer designed the Aurora Bridge?", "Nils Dahl"), "When was Nils Dahl born?"),
    # a place has a population
    ("What is its population?", Turn("Which city hosts the Norrland Ceramics factory?", "Umeå"),
     "What is Umeå's population?"),
    # "they" prefers a plural thing over a person; "in them" is not what "died" is said of
    ("Where have they recently expanded to?", Turn("How has President Trump characterized the boat strikes?", "necessary escalations"),
     "Where have the boat strikes recently expanded to?"),
    ("How many people died in them?", BOATS, "How many people died in the boat strikes?"),
    ("In what year did it extend its operations to television?",
     Turn("On what date did ABC originally launch as a radio network?", "October 12, 1943"),
     "In what year did ABC extend its operations to television?"),
])
def test_a_pronoun_stands_for_what_can_do_what_the_follow_up_says(question, previous, expected):
    assert resolve(question, [previous]).question == expected


def test_referent_kinds_and_predicates():
    from qa.answer import referents as r

    assert [r.kind_of(t) for t in ("24 months", "24-month", "March 1974", "PX-40", "Liftwell Corp.", "Denver Broncos",
                                   "Duval County", "President Trump", "Anna Berg", "Solvia")] == \
        [r.VALUE, r.VALUE, r.VALUE, r.PRODUCT, r.ORG, r.ORG, r.PLACE, r.PERSON, r.PERSON_GUESS, r.NAME]
    assert r.predicate_kinds("How much can it lift?") == {r.PRODUCT, r.THING}
    assert r.predicate_kinds("How many employees do they have?") == {r.ORG}
    assert r.predicate_kinds("When was he born?") == {r.PERSON}
    assert r.asked_kind("Which team won?") == r.ORG and r.asked_kind("When was it founded?") == r.VALUE
    # nothing fits: no replacement, the question keeps its pronoun with the previous turn as context
    assert r.choose([r.Candidate("24 months", r.VALUE)], "it", "How much can it lift?", None) is None
    assert resolve("Where was she born?", [Turn("How much does the PX-40 cost?", "$400")]).question.startswith(
        "Where was she born (")


def test_names_keep_letters_of_any_script():
    from qa.answer.followup import names

    assert names("How far is Malmö from Żelazowa Wola?") == ["Malmö", "Żelazowa Wola"]
    assert names("When did Ögedei Khan die?") == ["Ögedei Khan"]
