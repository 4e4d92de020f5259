import json
import shutil

import numpy as np
import pytest
from conftest import SEED

from qa.pipeline import build_index
from qa.store.index import IndexLoadError, PassageIndex


def _docs(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    shutil.copy(SEED, d / "seed.txt")
    (d / "river.txt").write_text("The Lune river is 86 kilometres long. It flows into Morecambe Bay.")
    return d


def test_build_persist_and_search(tmp_path, embedder):
    docs = _docs(tmp_path)
    report = build_index(tmp_path / "ix", [docs], embedder=embedder)
    assert len(report.added) == 2 and report.passages >= 4
    index = PassageIndex.load(tmp_path / "ix")
    manifest = json.loads((tmp_path / "ix" / (tmp_path / "ix" / "CURRENT").read_text()
                           / "manifest.json").read_text())
    assert manifest["dim"] == 384 and manifest["format_version"] == 3
    assert manifest["embedding_model"] == embedder.name
    q = embedder.encode_queries(["How long is the Lune river?"])[0]
    best, score = index.search(q, 1)[0]
    assert "Lune" in index.passage(best).text and 0 < score <= 1.0001
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1, atol=1e-3)


def test_incremental_add_change_remove(tmp_path, embedder):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    again = build_index(ix, [docs], embedder=embedder)
    assert len(again.unchanged) == 2 and not again.added and not again.updated

    (docs / "river.txt").write_text("The Lune river is 105 kilometres long now.")
    (docs / "new.md").write_text("A new note about owls.")
    r = build_index(ix, [docs], embedder=embedder)
    assert [p.split("/")[-1] for p in r.updated] == ["river.txt"]
    assert [p.split("/")[-1] for p in r.added] == ["new.md"]
    texts = " ".join(p.text for p in PassageIndex.load(ix).passages)
    assert "105 kilometres" in texts and "86 kilometres" not in texts

    (docs / "new.md").unlink()
    r = build_index(ix, [docs], embedder=embedder)
    assert not r.removed and [p.split("/")[-1] for p in r.missing] == ["new.md"]  # reported, kept
    assert any(s.endswith("new.md") for s in PassageIndex.load(ix).documents)
    r = build_index(ix, [], embedder=embedder, prune=True)
    assert [p.split("/")[-1] for p in r.removed] == [p.split("/")[-1] for p in r.pruned] == ["new.md"]

    r = build_index(ix, [], remove=[docs / "river.txt", docs / "typo.txt"], embedder=embedder)
    assert r.not_indexed == [str(docs / "typo.txt")]
    index = PassageIndex.load(ix)
    assert [s.split("/")[-1] for s in index.documents] == ["seed.txt"]
    assert len(index.passages) == len(index.vectors) == index.documents[next(iter(index.documents))].passages


def test_interrupted_write_leaves_old_index(tmp_path, embedder, monkeypatch):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    before = len(PassageIndex.load(ix))
    (docs / "more.txt").write_text("Extra words about lighthouses.")

    def crash(*a, **k):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(ix, [docs], embedder=embedder)
    monkeypatch.undo()
    index = PassageIndex.load(ix)
    assert len(index) == before
    assert not any("more.txt" in s for s in index.documents)
    # and the next run completes the update
    build_index(ix, [docs], embedder=embedder)
    assert any("more.txt" in s for s in PassageIndex.load(ix).documents)


def test_a_moved_file_is_refiled_not_indexed_twice(tmp_path, embedder, monkeypatch):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    before = PassageIndex.load(ix)
    n, old_vectors = len(before), before.vectors.copy()
    (docs / "sub").mkdir()
    (docs / "river.txt").rename(docs / "sub" / "lune.txt")
    (docs / "seed.txt").unlink()  # gone for good: still only reported
    monkeypatch.setattr(embedder, "encode", lambda texts, **kw: pytest.fail("a move embeds nothing"))
    r = build_index(ix, [docs], embedder=embedder)
    assert [(a.split("/")[-1], b.split("/")[-2:]) for a, b in r.moved] == [("river.txt", ["sub", "lune.txt"])]
    assert not r.added and [m.split("/")[-1] for m in r.missing] == ["seed.txt"]
    assert "1 moved" in r.summary() and "1 missing (kept)" in r.summary()
    after = PassageIndex.load(ix)
    assert len(after) == n and sorted(s.split("/")[-1] for s in after.documents) == ["lune.txt", "seed.txt"]
    assert {p.source.split("/")[-1] for p in after.passages} == {"lune.txt", "seed.txt"}
    assert sorted(map(tuple, after.vectors.round(6))) == sorted(map(tuple, old_vectors.round(6)))
    assert not build_index(ix, [docs], embedder=embedder).moved  # and then it is simply unchanged


def test_remove_and_prune_of_files_that_are_gone(tmp_path, embedder):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    (docs / "river.txt").unlink()
    r = build_index(ix, [], remove=[docs / "river.txt"], embedder=embedder)  # the usual way to drop it
    assert [s.split("/")[-1] for s in r.removed] == ["river.txt"] and not r.missing
    (docs / "seed.txt").rename(tmp_path / "seed-moved.txt")
    (docs / "other.txt").write_text("Owls hunt at night.")
    build_index(ix, [docs], embedder=embedder)
    (docs / "other.txt").unlink()
    r = build_index(ix, [tmp_path / "seed-moved.txt"], prune=True, embedder=embedder)
    assert [s.split("/")[-1] for s in r.pruned] == [s.split("/")[-1] for s in r.removed] == ["other.txt"]
    assert [b.split("/")[-1] for _, b in r.moved] == ["seed-moved.txt"] and not r.added  # not pruned
    assert [s.split("/")[-1] for s in PassageIndex.load(ix).documents] == ["seed-moved.txt"]


def test_a_file_that_turns_unreadable_keeps_its_indexed_version(tmp_path, embedder):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    (docs / "river.txt").write_bytes(b"")
    r = build_index(ix, [docs], embedder=embedder)
    assert [s.reason for s in r.skipped] == ["empty file; the version indexed earlier is kept"]
    assert "86 kilometres" in " ".join(p.text for p in PassageIndex.load(ix).passages)


def test_missing_and_corrupt_index(tmp_path, embedder):
    with pytest.raises(IndexLoadError, match="no index"):
        PassageIndex.load(tmp_path / "none")
    ix = tmp_path / "ix"
    build_index(ix, [_docs(tmp_path)], embedder=embedder)
    segment = next((ix / "segments").iterdir())
    (segment / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexLoadError, match="corrupt"):
        PassageIndex.load(ix)


def test_a_damaged_passages_file_is_reported_as_corrupt(tmp_path, embedder):
    ix, docs = tmp_path / "ix", _docs(tmp_path)
    build_index(ix, [docs], embedder=embedder)
    passages = next((ix / "segments").iterdir()) / "passages.jsonl"
    good = passages.read_bytes()
    passages.write_bytes(b"garbage\n")  # another length: found on opening
    with pytest.raises(IndexLoadError, match="corrupt.*passages.jsonl"):
        PassageIndex.load(ix)
    with pytest.raises(IndexLoadError, match="corrupt"):  # so `qa index` does not build on it either
        build_index(ix, [docs], embedder=embedder)
    passages.write_bytes(b"x" * len(good))  # the same length: found when a passage is read
    index = PassageIndex.load(ix)
    with pytest.raises(IndexLoadError, match="passages.jsonl is corrupt"):
        index.passage(0)


def test_refuses_other_embedding_model(tmp_path, embedder):
    ix = tmp_path / "ix"
    build_index(ix, [_docs(tmp_path)], embedder=embedder)

    class Other:
        name, dim, model = "someone/else", 384, embedder.model

    with pytest.raises(ValueError, match="refusing"):
        build_index(ix, [tmp_path / "docs"], embedder=Other())


def test_hnsw_index_finds_the_same_best(tmp_path, embedder):
    docs = _docs(tmp_path)
    build_index(tmp_path / "hnsw", [docs], embedder=embedder, index_type="hnsw")
    index = PassageIndex.load(tmp_path / "hnsw")
    assert index.index_type == "hnsw"
    q = embedder.encode_queries(["Where does the Lune flow?"])[0]
    assert "Lune" in index.passage(index.search(q, 1)[0][0]).text


def test_keyword_index_is_saved_and_loaded_with_the_index(tmp_path, embedder):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    segment = next((ix / "segments").iterdir())
    assert (segment / "bm25" / "vocab.index.json").exists()
    index = PassageIndex.load(ix)
    assert index._segments[0].bm25 is not None  # memory-mapped from disk, not rebuilt
    hits = index.keyword_search("How long is the Lune river?", 1)
    assert "Lune" in index.passage(hits[0][0]).text


def test_a_save_killed_before_current_was_written_leaves_a_usable_index(tmp_path, embedder):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    (ix / "CURRENT").unlink()  # as if killed between renaming the new version and pointing at it
    assert len(PassageIndex.load(ix)) > 0
    (docs / "more.txt").write_text("Owls hunt at night.")
    build_index(ix, [docs], embedder=embedder)  # the next save still works
    assert any(s.endswith("more.txt") for s in PassageIndex.load(ix).documents)
    # a version folder left over from a killed save does not block the next one
    (ix / "v000099").mkdir()
    (docs / "more.txt").write_text("Owls hunt at dusk.")
    build_index(ix, [docs], embedder=embedder)
    assert (ix / "CURRENT").read_text() == "v000100"


@pytest.mark.parametrize("manifest", ["[1, 2]", '"text"', '{"format_version": 1}',
                                      '{"format_version": 1, "dim": 384, "documents": []}',
                                      '{"format_version": 2, "dim": 384, "segments": [{}]}',
                                      ('{"format_version": 2, "embedding_model": "m", "dim": 384, '
                                       '"index_type": "auto", "segments": [], "documents": {"a": {}}}')])
def test_a_manifest_of_the_wrong_shape_is_a_one_line_error(tmp_path, embedder, manifest):
    from qa.store.index import IndexLoadError

    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs], embedder=embedder)
    (ix / (ix / "CURRENT").read_text() / "manifest.json").write_text(manifest)
    with pytest.raises(IndexLoadError, match="corrupt"):
        PassageIndex.load(ix)


def test_remove_wins_over_a_folder_being_added(tmp_path, embedder):
    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    report = build_index(ix, [docs], remove=[docs / "river.txt"], embedder=embedder)
    assert [s.split("/")[-1] for s in report.added] == ["seed.txt"]
    build_index(ix, [docs], embedder=embedder)
    report = build_index(ix, [docs], remove=[docs / "river.txt"], embedder=embedder)
    assert [s.split("/")[-1] for s in report.removed] == ["river.txt"] and not report.added
    assert [s.split("/")[-1] for s in PassageIndex.load(ix).documents] == ["seed.txt"]


def test_an_index_inside_the_document_folder_is_not_indexed(tmp_path, embedder):
    docs = _docs(tmp_path)
    build_index(docs / "ix", [docs], embedder=embedder)
    report = build_index(docs / "ix", [docs], embedder=embedder)
    assert not report.skipped and len(report.unchanged) == 2


def test_an_index_path_that_is_a_file_is_a_clear_error(tmp_path, embedder):
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        build_index(tmp_path / "f.txt", [], embedder=embedder)


def test_a_second_writer_waits_for_the_first(tmp_path, embedder, capfd):
    import threading

    from qa.store.index import index_lock

    docs = _docs(tmp_path)
    ix = tmp_path / "ix"
    build_index(ix, [docs / "seed.txt"], embedder=embedder)
    done = threading.Event()
    with index_lock(ix):  # another writer holds the index
        worker = threading.Thread(target=lambda: (build_index(ix, [docs / "river.txt"], embedder=embedder),
                                                  done.set()))
        worker.start()
        assert not done.wait(3)  # it waits rather than saving over the holder's work
    worker.join(60)
    assert done.is_set() and "waiting" in capfd.readouterr().err
    assert sorted(s.split("/")[-1] for s in PassageIndex.load(ix).documents) == ["river.txt", "seed.txt"]


def test_files_are_read_again_when_the_loaders_change(tmp_path, embedder, monkeypatch):
    import qa.pipeline

    docs = _docs(tmp_path)
    build_index(tmp_path / "ix", [docs], embedder=embedder)
    monkeypatch.setattr(qa.pipeline, "EXTRACTION_VERSION", qa.pipeline.EXTRACTION_VERSION + 1)
    again = build_index(tmp_path / "ix", [docs], embedder=embedder)
    assert len(again.updated) == 2 and not again.unchanged  # old text is not kept after an upgrade
    assert len(build_index(tmp_path / "ix", [docs], embedder=embedder).unchanged) == 2
