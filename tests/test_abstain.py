"""Spans the reader finds but scores under its threshold: corrected facts, Latin-script names in
text of another script, values in code blocks, "which X was cancelled" (qa.answer.abstain)."""

import pytest

from qa.answer.abstain import correcting_clause, corrects_asked, foreign_share, latin_island, mask_foreign

ARABIC = ("تأسست شركة النور للبرمجيات في عمان عام 2009. وقد أسسها المهندس Omar Khalil بعد عودته من ألمانيا. "
          "وتعمل الشركة اليوم في مجال تطوير تطبيقات الهاتف المحمول، ويعمل فيها أكثر من مئة موظف.")
HEBREW = ("המוזיאון לאמנות בחיפה נפתח בשנת 1951. את הבניין תכנן האדריכל Erich Mendelsohn, והאוסף הראשון "
          "נתרם על ידי Sarah Goldberg. כיום מציג המוזיאון יותר מעשרת אלפים יצירות.")
GREEK = "Η γέφυρα σχεδιάστηκε από τον Nikos Papadopoulos το 1965."


def test_a_correcting_clause_follows_a_negated_one():
    sentence = "The meeting was not held in Paris; it moved to Lyon."
    start, _ = correcting_clause(sentence)
    assert sentence[start:].startswith("it moved to Lyon")
    assert correcting_clause("The shop doesn't open at 8 any more, but at 9.") is not None
    assert correcting_clause("The meeting was held in Lyon; 300 came.") is None  # nothing negated
    assert correcting_clause("Not only does the T-cell bind it, but it expresses CYP27B1.") is None  # adds, not corrects
    assert correcting_clause("It was not held in Paris; it was not held in Lyon either.") is None


def test_a_correction_answers_what_the_negated_clause_states():
    assert corrects_asked("Where was the meeting held?", "The meeting was not held in Paris")
    assert not corrects_asked("Where was the meeting not held?", "The meeting was not held in Paris")
    assert not corrects_asked("Who chaired the board?", "The meeting was not held in Paris")


def test_masking_keeps_offsets_into_the_original():
    masked, where = mask_foreign(HEBREW)
    i = masked.index("Erich Mendelsohn")
    assert HEBREW[where[i]:where[i + len("Erich Mendelsohn") - 1] + 1] == "Erich Mendelsohn"
    assert "1951" in masked and "Sarah Goldberg" in masked and "נ" not in masked
    assert foreign_share(HEBREW) > 0.5 and foreign_share(GREEK) > 0.5 and foreign_share("Plain English text.") == 0


def test_a_latin_island_has_the_form_asked_for():
    assert latin_island("Who designed the bridge?", "Nikos Papadopoulos")
    assert not latin_island("Who designed the bridge?", "1965")
    assert latin_island("When was it built?", "1965")
    assert not latin_island("What colour is it?", "Nikos Papadopoulos")
    assert not latin_island("Who designed it?", "… Nikos")


@pytest.mark.parametrize("question, passage, answer", [
    ("Where was the members' meeting held?",
     ("Annual members' meeting 2024\n\nThe annual members' meeting was not held in Paris as first announced; it moved "
     "to Lyon because the Paris venue flooded. About 300 members attended."), "Lyon"),
    ("Where was the meeting held?", ("The meeting was not held in Paris; it moved to Lyon. About 300 members "
     "attended. The board elected two new directors."), "Lyon"),
    ("Who won the prize?", ("Results of the spring contest.\n\nThe prize did not go to Anna Berg, as the newsletter "
     "said; it was won by Tomas Lind. The jury met twice."), "Tomas Lind"),
    ("When does the shop open?", ("Opening hours changed in May. The shop does not open at 8 am any more; it now "
     "opens at 9 am. It closes at 6 pm."), "9 am"),
])
def test_a_corrected_fact_is_answered_with_the_correction(reader, question, passage, answer):
    spans = reader.read(question, [passage])
    assert spans and spans[0].text == answer, reader.read_pairs([(question, passage)], top_n=2)


@pytest.mark.parametrize("question, passage", [
    ("How many members attended the meeting?", ("The meeting was not held in Paris; it moved to Lyon. The board "
     "elected two new directors.")),
    ("Who chaired the meeting?", "The meeting was not held in Paris; it moved to Lyon. About 300 members attended."),
])
def test_a_correction_does_not_answer_another_question(reader, question, passage):
    assert reader.read(question, [passage]) == []


@pytest.mark.parametrize("question, passage, answer", [
    ("Who founded the company?", ARABIC, "Omar Khalil"),
    ("Who designed the museum building?", HEBREW, "Erich Mendelsohn"),
    ("Who designed the bridge?", GREEK, "Nikos Papadopoulos"),
])
def test_a_latin_name_in_another_script_is_answered(reader, question, passage, answer):
    spans = reader.read(question, [passage])
    assert spans and spans[0].text == answer, reader.read_pairs([(question, passage)], top_n=2)


@pytest.mark.parametrize("question, passage", [
    ("What colour is the museum?", HEBREW),   # no name or number answers it
    ("Who is the CEO?", HEBREW),              # two names, neither clearly ahead
])
def test_a_question_the_other_script_cannot_answer_is_declined(reader, question, passage):
    assert reader.read(question, [passage]) == []


@pytest.mark.parametrize("question, passage, answer", [
    ("What is the timeout?", "```python\nTIMEOUT = 30\nRETRIES = 5\n```", "30"),
    ("What is the database host?", "```\nexport DB_HOST=db.internal\nexport DB_PORT=5432\n```", "db.internal"),
    ("What port does the database use?", '```json\n{\n  "database": {\n    "port": 5432,\n    "host": "db"\n  }\n}\n```',
     "5432"),
    ("How many retries are allowed?", "```ini\n[http]\nmax_retries = 7\ntimeout = 30\n```", "7"),
    ("What is the poll interval?", "Start it from Python:\n\n```python\nworker.start(poll_interval=15, max_jobs=200)\n```",
     "15"),
])
def test_a_value_in_a_code_block_is_answered(reader, question, passage, answer):
    spans = reader.read(question, [passage])
    assert spans and spans[0].text == answer, reader.read_pairs([(question, passage)], top_n=2)


@pytest.mark.parametrize("passage, answer", [
    (("The robotics workshop was planned for Friday morning in room 4. On Thursday the organisers cancelled it "
     "because the speaker's flight was delayed."), "robotics"),
    ("Due to low registration, we have cancelled the advanced watercolour workshop.", "advanced watercolour"),
    ("Workshops\n- Robotics (cancelled)\n- Pottery\n- Weaving", "Robotics"),
    (("The organisers announced on Monday that the workshop on data ethics, planned for Thursday afternoon, had "
     "been cancelled."), "workshop on data ethics"),
])
def test_which_workshop_was_cancelled_is_answered(reader, passage, answer):
    spans = reader.read("Which workshop was cancelled?", [passage])
    assert spans and spans[0].text == answer, reader.read_pairs([("Which workshop was cancelled?", passage)], top_n=2)
