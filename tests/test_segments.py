"""The segmented index: saves write only what changed, removals are tombstones, merges compact,
and a process killed mid-save leaves the last committed index readable."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import qa
import qa.store.index as qi
from qa.ingest.splitting import Passage
from qa.store.index import PassageIndex, merge_plan

DIM = 16


def _doc(index: PassageIndex, name: str, n: int, rng) -> np.ndarray:
    passages = [Passage(f"{name} passage {i} about topic{i}", name, None, 30 * i, 30 * i + 25)
                for i in range(n)]
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index.add_document(name, f"sha-{name}", passages, vectors)
    return vectors


def _files(folder) -> dict[str, float]:
    return {str(p.relative_to(folder / "segments")): p.stat().st_mtime_ns
            for p in (folder / "segments").rglob("*") if p.is_file()}


@pytest.fixture
def no_merge_all(monkeypatch):
    monkeypatch.setattr(qi, "MERGE_ALL_BELOW", 0)


def test_merge_plan_is_logarithmic():
    assert merge_plan([10**6, 50]) == 1  # a small new segment stays on its own
    assert merge_plan([10**6, 50, 50]) == 2  # equal neighbours merge
    assert merge_plan([10**6, 150, 100, 50]) == 3
    assert merge_plan([10**6, 10**6]) == 2
    assert merge_plan([10, 10], total=20) == 2  # small indexes are kept as one segment


def test_adding_a_document_writes_only_a_new_segment(tmp_path, no_merge_all):
    rng = np.random.default_rng(0)
    index = PassageIndex("test", DIM)
    for d in range(4):
        _doc(index, f"doc{d}", 40, rng)
    index.save(tmp_path)
    before = _files(tmp_path)
    index = PassageIndex.load(tmp_path)
    new = _doc(index, "late", 3, rng)
    index.save(tmp_path)
    after = _files(tmp_path)
    assert all(after.get(f) == t for f, t in before.items())  # old segment untouched
    assert len({f.split("/")[0] for f in after}) == 2
    index = PassageIndex.load(tmp_path)
    assert len(index) == 163
    best, score = index.search(new[1], 1)[0]
    assert index.passage(best).text == "late passage 1 about topic1" and score == pytest.approx(1, abs=1e-5)


def test_removal_is_a_tombstone_that_search_never_returns(tmp_path, no_merge_all):
    rng = np.random.default_rng(1)
    index = PassageIndex("test", DIM)
    vectors = {d: _doc(index, f"doc{d}", 20, rng) for d in range(5)}
    index.save(tmp_path)
    before = _files(tmp_path)
    index = PassageIndex.load(tmp_path)
    index.remove_documents(["doc2"])
    index.save(tmp_path)
    assert _files(tmp_path) == before  # only the manifest changed
    index = PassageIndex.load(tmp_path)
    assert "doc2" not in index.documents and len(index) == 80
    hits = index.search(vectors[2][0], 100)
    assert len(hits) == 80 and all(index.passage(i).source != "doc2" for i, _ in hits)
    assert all(index.passage(i).source != "doc2" for i, _ in index.keyword_search("doc2 passage topic3", 100))
    assert index.passages_of("doc3")[0].text == "doc3 passage 0 about topic0"


def test_many_tombstones_compact_the_segment(tmp_path, no_merge_all):
    rng = np.random.default_rng(2)
    index = PassageIndex("test", DIM)
    for d in range(4):
        _doc(index, f"doc{d}", 10, rng)
    index.save(tmp_path)
    index = PassageIndex.load(tmp_path)
    index.remove_documents(["doc0", "doc1"])
    index.save(tmp_path)
    manifest = json.loads((tmp_path / (tmp_path / "CURRENT").read_text() / "manifest.json").read_text())
    assert [s["passages"] for s in manifest["segments"]] == [20]
    assert len(list((tmp_path / "segments").iterdir())) == 1  # the old segment was deleted
    assert sorted(PassageIndex.load(tmp_path).documents) == ["doc2", "doc3"]


def test_replacing_a_document_keeps_one_copy(tmp_path):
    rng = np.random.default_rng(3)
    index = PassageIndex("test", DIM)
    _doc(index, "a", 5, rng)
    _doc(index, "b", 5, rng)
    index.save(tmp_path)
    index = PassageIndex.load(tmp_path)
    new = _doc(index, "a", 2, rng)
    index.save(tmp_path)
    index = PassageIndex.load(tmp_path)
    assert len(index) == 7 and len(index.passages_of("a")) == 2
    assert np.allclose(index.vectors[-2:], new) or np.allclose(index.vectors[:2], new)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_search_skips_tombstones_in_both_kinds(tmp_path, kind, no_merge_all):
    rng = np.random.default_rng(4)
    index = PassageIndex("test", DIM, kind)
    vectors = _doc(index, "gone", 30, rng)
    _doc(index, "kept", 30, rng)
    index.save(tmp_path)
    index = PassageIndex.load(tmp_path)
    assert index._segments[0].kind == kind
    index.remove_documents(["gone"])
    hits = index.search(vectors[0], 5)
    assert len(hits) == 5 and all(index.passage(i).source == "kept" for i, _ in hits)


def test_an_index_of_format_1_is_read_and_rewritten(tmp_path):
    v = tmp_path / "v000001"
    v.mkdir()
    passages = [Passage("Owls hunt at night.", "/d/owls.txt", None, 0, 19),
                Passage("Bats too.", "/d/bats.txt", None, 0, 9)]
    v.joinpath("passages.jsonl").write_text("".join(json.dumps(p.__dict__) + "\n" for p in passages))
    np.save(v / "vectors.npy", np.eye(2, DIM, dtype=np.float32))
    v.joinpath("manifest.json").write_text(json.dumps({
        "format_version": 1, "embedding_model": "test", "dim": DIM, "index_type": "flat",
        "documents": {"/d/owls.txt": {"sha256": "a", "passages": 1}, "/d/bats.txt": {"sha256": "b", "passages": 1}}}))
    (tmp_path / "CURRENT").write_text("v000001")
    index = PassageIndex.load(tmp_path)
    assert index.passages_of("/d/bats.txt")[0].text == "Bats too."
    index.save(tmp_path)
    again = PassageIndex.load(tmp_path)
    assert json.loads((tmp_path / (tmp_path / "CURRENT").read_text() / "manifest.json").read_text())[
        "format_version"] == 3
    assert again.passage(again.search(np.eye(1, DIM, 0, dtype=np.float32)[0], 1)[0][0]).text.startswith("Owls")


CHILD = textwrap.dedent("""
    import sys, numpy as np
    import qa.store.index as qi
    from qa.store.index import PassageIndex
    from qa.ingest.splitting import Passage
    qi.MERGE_ALL_BELOW = int(sys.argv[2])
    folder, rng = sys.argv[1], np.random.default_rng(0)
    index = PassageIndex("test", 16)
    for round in range(10**6):
        for d in range(3):
            name = f"r{round}d{d}"
            v = rng.normal(size=(200, 16)).astype(np.float32)
            index.add_document(name, "x", [Passage(name + " text", name, None, 0, 9)] * 200, v)
        if round % 3 == 2:
            index.remove_documents([f"r{round - 1}d0"])
        index.save(folder)
        print(round, flush=True)
""")


@pytest.mark.parametrize("merge_all_below", [0, 10**6])
def test_a_save_killed_at_any_point_leaves_a_committed_index(tmp_path, merge_all_below):
    """A child process saves in a loop and is killed with SIGKILL at several moments;
    every time the index loads, and holds whole rounds of documents only."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(qi.Path(qa.__file__).parents[1])}
    folder = tmp_path / "ix"
    loaded = []
    for delay in (0.9, 1.3, 1.7, 2.2):
        child = subprocess.Popen([sys.executable, str(script), str(folder), str(merge_all_below)],
                                 stdout=subprocess.PIPE, env=env)
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if not qi.index_exists(folder):
            continue
        index = PassageIndex.load(folder)
        docs = index.documents
        loaded.append(len(docs))
        assert all(d.passages == 200 for d in docs.values())
        rounds = {s.split("d")[0] for s in docs}
        assert all({f"{r}d1", f"{r}d2"} <= set(docs) for r in rounds)  # whole rounds only
        assert len(index.vectors) == len(index)
        if docs:
            assert index.search(index.vectors[0], 1)
    assert len(loaded) >= 2 and loaded[-1] > 0, loaded
