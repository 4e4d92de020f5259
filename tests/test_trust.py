"""Answers a user can trust, on small documents of our own: the named entity's passage answers,
a question the text cannot answer is declined, and a long quoted title comes back whole."""

import pytest
from conftest import qa_over

PROFILES = {
    "harlow.txt": "Harlow Bikes is a bicycle maker in Sheffield. Harlow Bikes opened its first shop in 2004.",
    "pellmark.txt": "Pellmark is a software firm in Derby. Pellmark opened its first office in 1991.",
    "quenby.txt": "Quenby Tea imports green tea from Japan. Quenby Tea opened its first shop in 1987.",
    "mugs.txt": "Our company sells handmade ceramic mugs.",
    "report.txt": ('The council published the report "A Review of Flood Defences, Drainage Capacity and '
                   'Emergency Planning Along the Lower Trent Valley Between Newark and Gainsborough, '
                   '2015 to 2024" in March. It recommends new pumping stations.'),
}


@pytest.fixture(scope="module")
def trust_qa(tmp_path_factory, embedder, reader):
    return qa_over(tmp_path_factory, PROFILES, embedder, reader)


@pytest.mark.parametrize("question, answer, source", [
    ("When did Pellmark open its first office?", "1991", "pellmark.txt"),
    ("When did Quenby Tea open its first shop?", "1987", "quenby.txt"),
    ("In which year did Harlow Bikes open its first shop?", "2004", "harlow.txt"),
])
def test_the_named_entity_s_passage_answers(trust_qa, question, answer, source):
    best = trust_qa.ask(question).answers[0]
    assert (best.text, best.source.split("/")[-1]) == (answer, source)


@pytest.mark.parametrize("question", [
    "What colour are the mugs?",
    "Who founded Pellmark?",
    "How much does Quenby Tea charge for a box of tea?",
])
def test_an_unanswerable_question_about_a_mentioned_thing_is_declined(trust_qa, question):
    result = trust_qa.ask(question)
    assert result.abstained, [(a.text, a.score) for a in result.answers]


@pytest.mark.parametrize("question, sentence, answer", [
    ("How many passengers did the ferry carry?", "The 2023 report says the ferry carried 41,000 passengers.", "41,000"),
    ("What colour was the lighthouse painted?", "The lighthouse was painted red in 2023.", "red"),
    ("How long is the pier?", "The pier is 300 metres long.", "300 metres"),
])
def test_a_one_sentence_document_still_answers(reader, question, sentence, answer):
    # the no-answer score grows as the passage shrinks: the threshold must not decline these
    spans = reader.read(question, [sentence])
    assert spans and spans[0].text == answer, reader.read_pairs([(question, sentence)])


def test_a_long_quoted_title_comes_back_whole(trust_qa):
    best = trust_qa.ask("What is the title of the report the council published?").answers[0]
    assert best.text.strip('"').startswith("A Review of Flood Defences")
    assert best.text.strip('"').endswith("2015 to 2024")


FIRST = ["Ivo", "Elwin", "Bettina", "Casimir", "Gustav", "Hedda"]
FEST = ["music", "lanterns", "boats", "kites", "bread", "apples"]


def _town(n: int) -> str:
    name = f"{FIRST[n % 6]} {chr(65 + n % 26)}{n}son"
    one = (f"The mayor of Town{n:03d} is {name}. Town{n:03d} has a population of {1000 + 37 * n} people. "
           f"The river that flows through Town{n:03d} is called the Rill{n}. "
           f"Every spring Town{n:03d} holds a festival of {FEST[n % 6]}. ")
    return one * 3


@pytest.fixture(scope="module")
def towns_qa(tmp_path_factory, embedder, reader):
    """Many near-identical documents that differ only in a name and numbers."""
    return qa_over(tmp_path_factory, {f"doc{n:03d}.txt": _town(n) for n in range(160)}, embedder, reader)


@pytest.mark.parametrize("n", [18, 121, 150])
def test_near_identical_documents_answer_from_the_named_one(towns_qa, n):
    best = towns_qa.ask(f"Who is the mayor of Town{n:03d}?").answers[0]
    assert best.source.endswith(f"doc{n:03d}.txt") and best.text == f"{FIRST[n % 6]} {chr(65 + n % 26)}{n}son"


ROLES = {
    "tarnwick.txt": ("Tarnwick Glass makes camera lenses in Leeds. Its chief financial officer is Oskar "
                     "Nyberg. The chief operating officer, Lena Voss, joined in 2019."),
    "orrin.txt": "Orrin Foods bakes bread in Hull. Orrin Foods is led by its CEO, Maud Ellery.",
}


@pytest.fixture(scope="module")
def roles_qa(tmp_path_factory, embedder, reader):
    return qa_over(tmp_path_factory, ROLES, embedder, reader)


@pytest.mark.parametrize("question", [
    "Who is the CEO of Tarnwick Glass?", "who is tarnwick glass's chief executive", "Who founded Tarnwick Glass?",
])
def test_a_role_nobody_holds_is_not_answered_with_another_role_s_holder(roles_qa, question):
    names = {a.text for a in roles_qa.ask(question).answers}
    assert not names & {"Oskar Nyberg", "Lena Voss"}, names


@pytest.mark.parametrize("question, answer", [
    ("Who is the CFO of Tarnwick Glass?", "Oskar Nyberg"),
    ("Who is the chief operating officer of Tarnwick Glass?", "Lena Voss"),
    ("Who is the chief executive of Orrin Foods?", "Maud Ellery"),
])
def test_the_role_asked_about_still_answers(roles_qa, question, answer):
    assert roles_qa.ask(question).answers[0].text == answer


def test_roles_are_read_in_their_written_forms():
    from qa.answer.verify import contradicts_role, roles

    assert roles("who is acme's ceo") == {"ceo"} == roles("Who is the chief executive officer?")
    assert roles("Its vice-president and Chair, the head of design") == {"vice president", "chair", "head of design"}
    assert roles("Kiel's police chief is Jonas Petersen, chief of staff.") == set()
    row = "Name: Paul Girard | Role: CFO | Office: Lyon"
    assert contradicts_role("Who is the CEO?", row, 6, 17)
    assert not contradicts_role("Who is the CFO?", row, 6, 17)
    assert not contradicts_role("When was Acme founded?", "Acme's CFO joined in 2004.", 21, 25)  # not a person
    assert not contradicts_role("In what year did the CEO who followed Ann join?", "Acme's CFO joined in 2004.", 21, 25)
    two = "Acme's CEO is John Smith. Jane Doe is its CFO."
    assert contradicts_role("Who is the CEO of Acme?", two, two.index("Jane"), two.index("Jane") + 8)
    assert not contradicts_role("Who is the CEO of Acme?", two, two.index("John"), two.index("John") + 10)
    assert not contradicts_role("Who is the chairman?", "Ann Lee became Chair in 2020 after ten years as CEO.", 0, 7)
    assert not contradicts_role("Who runs Acme?", row, 6, 17)  # no role asked: nothing to check


def test_a_person_whose_role_is_written_in_another_sentence_is_checked_against_it():
    from qa.answer.verify import contradicts_role

    text = ("Kestrel Robotics was founded in 2015 by Amira Haddad and Liam Chen in Leeds. "
            "It employs 340 people. The current CEO is Amira Haddad.")
    first = text.index("Amira")
    assert contradicts_role("Who is the CFO of Kestrel Robotics?", text, first, first + 12)
    assert contradicts_role("Who is the chief technology officer?", text, first, first + 12)
    assert not contradicts_role("Who is the CEO of Kestrel Robotics?", text, first, first + 12)
    liam = text.index("Liam")  # named once, with no role anywhere: nothing to check against
    assert not contradicts_role("Who is the CFO of Kestrel Robotics?", text, liam, liam + 9)
    both = "Ann Lee founded Orrin in 1990. Ann Lee was CEO until 2010. Since then Ann Lee has been its Chair."
    assert not contradicts_role("Who is the chair of Orrin?", both, 0, 7)
    # another person's role in the sentence that names the answer again is not the answer's
    praised = "Liam Chen joined Kestrel in 2016. The CEO, Amira Haddad, praised Liam Chen."
    assert not contradicts_role("Who is the CFO?", praised, 0, 9)
    # a name inside a longer name is not a mention of it
    assert not contradicts_role("Who is the CFO?", "Lee joined in 2019. Sarah Leeds is the CEO.", 0, 3)
    assert not contradicts_role("Who is the CFO?", "Ann joined in 2019. Annette Brown is the CEO.", 0, 3)


def test_an_answer_from_another_row_than_the_one_named_gives_way():
    from qa.answer.verify import wrong_row

    table = ("Our offices.\nCity: Antwerp | Opened: 2016 | Staff: 40\nCity: Hamburg | Opened: 2022 | Staff: 12\n"
             "City: Lyon | Opened: 2019 | Staff: 25")
    antwerp, hamburg = table.index("2016"), table.index("2022")
    question = "When did the Hamburg office open?"
    assert wrong_row(question, table, antwerp, antwerp + 4)
    assert not wrong_row(question, table, hamburg, hamburg + 4)
    assert not wrong_row("When did the first office open?", table, antwerp, antwerp + 4)  # no row named
    assert not wrong_row("How many staff work in Lyon and Hamburg?", table, hamburg, hamburg + 4)
    lyon = table.index("Lyon |")
    assert not wrong_row("Which city opened three years before Hamburg?", table, lyon, lyon + 4)  # relating rows
    assert not wrong_row("Which office has more staff than Hamburg?", table, antwerp, antwerp + 4)
    hours = "The Hamburg branch keeps these hours.\nDay | Hours\nSaturday | 09:00 to 13:00\nDepot | Hamburg"
    saturday = hours.index("09:00")  # the introducing sentence names the whole table, not one row
    assert not wrong_row("What are the Saturday hours of the Hamburg branch?", hours, saturday, saturday + 14)


OFFICES = {"offices.md": ("Our offices.\n\n| City | Opened | Staff | Manager |\n|---|---|---|---|\n"
                          "| Antwerp | 2016 | 40 | Joke Peeters |\n| Hamburg | 2022 | 12 | Lars Brandt |\n"
                          "| Lyon | 2019 | 25 | Claire Morel |\n| Turin | 2011 | 31 | Paolo Greco |\n")}


@pytest.fixture(scope="module")
def offices_qa(tmp_path_factory, embedder, reader):
    return qa_over(tmp_path_factory, OFFICES, embedder, reader)


@pytest.mark.parametrize("question, answer", [
    ("When did the Hamburg office open?", "2022"), ("How many staff work in Turin?", "31"),
    ("Who manages the Lyon office?", "Claire Morel"),
])
def test_table_questions_answer_from_the_named_row(offices_qa, question, answer):
    assert offices_qa.ask(question).answers[0].text == answer
