"""Codes and numbers in keyword search: AP-1012, AP1012, ap 1012 and ap-1012 find one another,
the sheet a question names ranks first among near-identical ones, and an index whose keyword
part predates this is rebuilt rather than silently searched the old way."""

import json
import re

import numpy as np
import pytest

from qa.answer.questions import codes_as_written
from qa.answer.retrieval import Retriever
from qa.ingest.splitting import Passage
from qa.pipeline import QA, build_index
from qa.store.index import PassageIndex
from qa.store.keywords import TOKENS_VERSION, bm25_tokens, code_terms, query_terms

SAME_CODE = [
    ("AP-1012", "AP1012", "AP 1012", "ap-1012", "ap1012", "ap 1012", "Ap\u20111012"),
    ("PX40", "PX-40", "px 40", "px-40"),
    ("ISO 9001", "ISO-9001", "iso9001", "iso 9001"),
    ("X-2000-B", "X2000B", "x2000b", "x-2000-b"),
]


@pytest.mark.parametrize("forms", SAME_CODE, ids=lambda forms: forms[0])
def test_every_way_of_typing_a_code_gives_the_same_question_terms(forms):
    terms = [sorted(query_terms(f"What does the {form} weigh?")) for form in forms]
    assert all(t == terms[0] for t in terms), dict(zip(forms, terms))


@pytest.mark.parametrize("printed, joined", [("AP-1012", "ap1012"), ("AP1012", "ap1012"),
                                             ("AP 1012", "ap1012"), ("PX-40", "px40"),
                                             ("ISO 9001", "iso9001"), ("X-2000-B", "x2000b"),
                                             ("1,200", "1200"), ("555-1234", "5551234")])
def test_a_printed_code_is_indexed_joined_and_in_parts(printed, joined):
    tokens = bm25_tokens(f"The {printed} is sold here.")
    assert joined in tokens
    assert set(re.findall(r"[a-z]+|\d+", joined)) <= set(tokens)


def test_words_without_digits_are_tokenised_as_before():
    text = "The state-of-the-art purifier's HEPA filter, well-known in Europe_West, is Quiet."
    assert bm25_tokens(text) == re.findall(r"\w+", text.lower())
    assert bm25_tokens(text, query=True) == re.findall(r"\w+", text.lower())


def test_what_is_not_a_code():
    assert "in2019" not in bm25_tokens("Sales rose IN 2019 and in 2020.")  # a stop word is no prefix
    assert "costs1200" not in bm25_tokens("it costs 1,200", query=True)
    assert "s1998" not in bm25_tokens("What was ABC's 1998 logo?", query=True)  # a possessive's s
    assert "ap1012" not in bm25_tokens("sold as ap 1012 here")  # a document prints codes in capitals
    assert code_terms("Who ran 10km on the 21st in the 1990s?") == []
    assert code_terms("Is the ap 1012 lighter than the AP-1013?") == ["ap1012", "ap1013"]


def _sheet(n: int) -> str:
    return (f"Product sheet: AP-{n} air purifier. The AP-{n} is a quiet air purifier for rooms up to "
            f"40 square metres. The AP-{n} weighs {3 + n % 7}.{n % 10} kg. The AP-{n} comes with a "
            f"warranty of {1 + n % 5} years. The AP-{n} costs ${100 + 7 * (n % 50)}.\n")


SHEETS = range(1000, 1012)


@pytest.fixture(scope="module")
def sheets_index(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("sheets")
    docs = base / "docs"
    docs.mkdir()
    for n in SHEETS:
        (docs / f"ap-{n}.txt").write_text(_sheet(n))
    build_index(base / "index", [docs], embedder=embedder)
    return base


@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
@pytest.mark.parametrize("typed", ["AP-{n}", "AP{n}", "ap {n}", "ap-{n}", "ap{n}"])
def test_the_named_sheet_comes_first(sheets_index, embedder, mode, typed):
    retriever = Retriever(PassageIndex.load(sheets_index / "index"), embedder, mode)
    for n in (1003, 1007, 1011):
        hits = retriever.retrieve(f"How much does the {typed.format(n=n)} weigh?", 5)
        assert hits[0].passage.source.endswith(f"ap-{n}.txt"), [h.passage.source for h in hits]


@pytest.mark.parametrize("typed", ["AP{n}", "ap{n}", "ap {n}", "AP-{n}"])
def test_the_answer_comes_from_the_named_sheet(sheets_index, embedder, typed):
    qa = QA(sheets_index / "index", reader="fast", embedder=embedder)
    for n in (1003, 1008, 1011):
        answer = qa.ask(f"What is the price of the {typed.format(n=n)}?", max_answers=1).answers[0]
        assert answer.source.endswith(f"ap-{n}.txt")
        assert f"{100 + 7 * (n % 50)}" in answer.text


def test_a_question_reads_its_codes_as_the_passage_writes_them():
    passage = "The AP-1012 meets ISO 9001 and replaces the X2000-B, IN 2019."
    assert codes_as_written("What does the ap1012 weigh?", passage) == "What does the AP-1012 weigh?"
    assert codes_as_written("Is the iso9001 met by the x-2000-b?", passage) == "Is the ISO 9001 met by the X2000-B?"
    assert codes_as_written("Which replaced the AP1013 in 2019?", passage) == "Which replaced the AP1013 in 2019?"


def _old_keywords(folder) -> None:
    """Make a saved index look as one written before codes were joined: no "keywords" in its
    segments' manifest entries, keyword indexes of plain lower-cased \\w+ tokens."""
    import bm25s

    from qa.store.keywords import save_bm25

    manifest_path = folder / (folder / "CURRENT").read_text() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    segments = {seg.name: seg for seg in PassageIndex.load(folder)._segments}
    for meta in manifest["segments"]:
        del meta["keywords"]
        texts = [p.text for p in segments[meta["name"]].passages]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in re.findall(r"\w+", text.lower())] for text in texts]
        old = bm25s.BM25(method="lucene")
        old.index((ids, vocab), show_progress=False)
        save_bm25(old, folder / "segments" / meta["name"] / "bm25")
    manifest_path.write_text(json.dumps(manifest))


def test_an_index_with_keywords_of_older_tokens_is_rebuilt_not_searched_the_old_way(tmp_path, capsys):
    index = PassageIndex("test", 8, "flat")
    for n in SHEETS:
        index.add_document(f"ap-{n}", f"sha{n}", [Passage(_sheet(n), f"ap-{n}", None, 0, 10)],
                           np.eye(1, 8, dtype=np.float32))
    index.save(tmp_path)
    _old_keywords(tmp_path)
    capsys.readouterr()
    old = PassageIndex.load(tmp_path)
    assert "keyword index predates" in capsys.readouterr().err
    assert old.stale_keywords and old._segments[0].bm25 is None  # the saved one is not used
    hits = old.keyword_search("weight of the ap1005", 3)
    assert old.passage(hits[0][0]).source == "ap-1005"
    old.save(tmp_path)  # the next save rewrites the segment with this version's tokens
    manifest = json.loads((tmp_path / (tmp_path / "CURRENT").read_text() / "manifest.json").read_text())
    assert [s["keywords"] for s in manifest["segments"]] == [TOKENS_VERSION]
    again = PassageIndex.load(tmp_path)
    assert "predates" not in capsys.readouterr().err
    assert not again.stale_keywords and again._segments[0].bm25 is not None


def test_indexing_unchanged_documents_saves_keywords_of_older_tokens(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in (1000, 1001):
        (docs / f"ap-{n}.txt").write_text(_sheet(n))
    build_index(tmp_path / "ix", [docs], embedder=embedder)
    _old_keywords(tmp_path / "ix")
    report = build_index(tmp_path / "ix", [docs], embedder=embedder)
    assert not report.added and not report.updated
    assert not PassageIndex.load(tmp_path / "ix").stale_keywords
