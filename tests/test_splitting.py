import itertools

from conftest import SEED

from qa.loading import Document, load_file
from qa.splitting import Splitter, sentence_spans


def test_sentences_respect_abbreviations():
    text = "He met Dr. Smith in the U.S. Army. Then he left! \"Why?\" she asked."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "He met Dr. Smith in the U.S. Army.", "Then he left!", "\"Why?\" she asked."]


def test_offsets_round_trip_and_size(tokenizer):
    doc = load_file(SEED)
    passages = Splitter(tokenizer, max_tokens=80, overlap_tokens=20).split(doc)
    assert len(passages) > 3
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
        assert len(tokenizer(p.text, add_special_tokens=False)["input_ids"]) <= 80 + 5
    # consecutive passages overlap or touch, and together they cover the whole text
    for a, b in itertools.pairwise(passages):
        assert b.start <= a.end + 2 and b.start > a.start
    assert passages[0].start == 0 and passages[-1].end == len(doc.text)


def test_long_sentence_is_cut_and_pages_are_kept(tokenizer):
    long = " ".join(f"word{i}" for i in range(400))
    text = long + "\n\nShort page two."
    doc = Document("x.pdf", text, "h", [(1, 0, len(long)), (2, len(long) + 2, len(text))])
    passages = Splitter(tokenizer, max_tokens=100, overlap_tokens=0).split(doc)
    assert {p.page for p in passages} == {1, 2}
    assert all(doc.text[p.start:p.end] == p.text for p in passages)
    assert all(p.end <= len(long) for p in passages if p.page == 1)
    assert passages[-1].text == "Short page two."
