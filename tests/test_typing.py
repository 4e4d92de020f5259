"""Questions as people type them: no capitals, no question mark."""

import pytest
from conftest import qa_over

from qa.answer.reading import as_question

PROFILES = {
    "solvia.txt": "Solvia is a solar panel maker based in Porto. Solvia was founded in 2011 by two engineers.",
    "brightline.txt": "Brightline Labs builds medical sensors in Leeds. The company was founded in 1998.",
    "norrvik.txt": "Norrvik Foods sells frozen fish across Scandinavia. It was founded in 1975 in Bergen.",
}


def test_as_question():
    assert as_question("when was solvia founded") == "when was solvia founded?"
    assert as_question("  Who runs it? ") == "Who runs it?"
    assert as_question("Tell me the price.") == "Tell me the price."


@pytest.fixture(scope="module")
def profiles_qa(tmp_path_factory, embedder, reader):
    return qa_over(tmp_path_factory, PROFILES, embedder, reader)


@pytest.mark.parametrize("question", ["When was Solvia founded?", "when was solvia founded",
                                      "When was Solvia founded", "WHEN WAS SOLVIA FOUNDED"])
def test_typed_variants_get_the_typed_answer(profiles_qa, question):
    best = profiles_qa.ask(question).answers[0]
    assert best.text == "2011" and best.source.endswith("solvia.txt")


@pytest.mark.parametrize("typed, mended", [
    ("whn was solvia founded", "when was solvia founded"), ("Waht is the price?", "What is the price?"),
    ("hwo many staff", "how many staff"), ("Wich company", "Which company"), ("wher is it", "where is it"),
    ("Who founded it?", "Who founded it?"), ("hat size?", "hat size?"), ("whp founded it", "whp founded it"),
    ("Were any employees injured?", "Were any employees injured?"), ("Now who is the CFO?", "Now who is the CFO?"),
    ("Show me the revenue", "Show me the revenue"), ("There were how many?", "There were how many?"),
    ("Those who left went where?", "Those who left went where?"), ("Whos the CEO?", "Who's the CEO?"),
    ("whats the capital", "what's the capital"),
])
def test_a_misspelt_question_word_is_mended(typed, mended):
    from qa.answer.questions import mend_question_word

    assert mend_question_word(typed) == mended


def test_a_misspelt_question_word_gets_the_typed_answer(profiles_qa):
    result = profiles_qa.ask("whn was brightline labs founded")
    assert result.answers[0].text == "1998" and result.understood_as == "when was brightline labs founded"
