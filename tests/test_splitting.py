import itertools

from conftest import SEED

from qa.ingest.loading import Document, load_file
from qa.ingest.splitting import Splitter, sentence_spans


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


def test_passages_run_across_pages_and_answers_keep_their_page(tokenizer):
    one = "Annual plans were approved in March. The new logistics centre will be built in"
    two = "Tilbury, close to the port. Work starts next year."
    text = one + " " + two
    doc = Document("x.pdf", text, "h", [(1, 0, len(one)), (2, len(one) + 1, len(text))])
    (passage,) = Splitter(tokenizer, max_tokens=100, overlap_tokens=0).split(doc)
    assert passage.text == text and passage.page == 1
    assert passage.page_at(text.index("Tilbury")) == 2 and passage.page_at(text.index("March")) == 1
