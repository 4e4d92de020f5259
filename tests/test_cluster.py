"""Indexing on a Ray cluster (a local one started by the test) writes the index a local run writes."""

import shutil

import numpy as np
import pytest
from conftest import SEED

from qa.pipeline import build_index
from qa.store.index import PassageIndex

ray = pytest.importorskip("ray", reason="the cluster extra is not installed")


@pytest.fixture(scope="module")
def local_ray():
    from qa.cluster import connect

    connect("local")
    yield
    ray.shutdown()


def test_ray_indexing_matches_a_local_run(tmp_path, embedder, local_ray):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    (docs / "river.md").write_text("# Rivers\n\nThe Lune river is 86 kilometres long. It flows into Morecambe Bay.")
    (docs / "broken.pdf").write_bytes(b"not a pdf at all")
    local = build_index(tmp_path / "local", [docs], embedder=embedder)
    remote = build_index(tmp_path / "ray", [docs], embedder=embedder, ray="local")
    assert remote.added == local.added and len(remote.added) == 2
    assert [s.source for s in remote.skipped] == [s.source for s in local.skipped] == [str(docs / "broken.pdf")]
    a, b = PassageIndex.load(tmp_path / "local"), PassageIndex.load(tmp_path / "ray")
    assert a.documents == b.documents
    assert [p.__dict__ for p in a.passages] == [p.__dict__ for p in b.passages]
    assert np.abs(a.vectors - b.vectors).max() < 0.02  # the same precision on both sides (int8 or bf16), other batch shapes
    again = build_index(tmp_path / "ray", [docs], embedder=embedder, ray="local")
    assert len(again.unchanged) == 2 and not again.added
    (docs / "sub").mkdir()
    (docs / "river.md").rename(docs / "sub" / "river.md")
    moved = build_index(tmp_path / "ray", [docs], embedder=embedder, ray="local")
    assert [b.split("/")[-2:] for _, b in moved.moved] == [["sub", "river.md"]] and not moved.added
    assert len(PassageIndex.load(tmp_path / "ray")) == len(a)


def test_a_missing_ray_is_named(monkeypatch):
    import builtins

    from qa import cluster

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ImportError, match=r"\.\[cluster\]"):
        cluster._ray()


def test_open_evaluation_on_ray_gives_the_local_report(seed_index, local_ray, tmp_path):
    from qa.eval.evaluation import evaluate_open, evaluate_open_on_ray, load_eval_file
    from qa.pipeline import QA

    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "a", "question": "How many boat strikes since August?", "answers": ["35"]}\n'
        '{"id": "k", "turns": [{"question": "How many boat strikes since August?", "answers": ["35"]}, '
        '{"question": "How many people died in them?", "answers": ["115"]}]}\n'
        '{"id": "b", "question": "Who did Ignacio Ramonet interview?", "answers": ["Maduro"]}\n')
    items = load_eval_file(questions)
    local = evaluate_open(items, QA(seed_index), 5)
    remote = evaluate_open_on_ray(items, str(seed_index), shards=2)
    assert remote["predictions"] == local["predictions"]
    for key in ("count", "em", "f1", "recall@5", "followups", "threshold"):
        assert remote[key] == local[key], key
    assert [r["id"] for r in remote["records"]] == ["a", "k#1", "k#2", "b"]


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1", "nowhere", ""])
def test_an_unreachable_cluster_is_a_quick_one_line_error(address):
    import time

    from qa import cluster

    if ray.is_initialized():
        ray.shutdown()
    t = time.perf_counter()
    with pytest.raises(ConnectionError, match="Ray cluster|--ray needs"):
        cluster.connect(address)
    assert time.perf_counter() - t < 10


def test_ray_indexes_a_mails_attachments_as_a_local_run_does(tmp_path, embedder, local_ray):
    from makedocs import pdf_lines
    from test_formats import make_eml

    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = pdf_lines(tmp_path / "quote.pdf", [["The glass panels are 6 mm thick."]]).read_bytes()
    make_eml(docs / "offer.eml", {"quote.pdf": pdf, "photo.heic": b"\x00\x01binary"})
    local = build_index(tmp_path / "local", [docs], embedder=embedder)
    remote = build_index(tmp_path / "ray", [docs], embedder=embedder, ray="local")
    assert sorted(remote.added) == sorted(local.added) and len(local.added) == 2
    assert [s.source for s in remote.skipped] == [s.source for s in local.skipped]
    assert PassageIndex.load(tmp_path / "local").documents == PassageIndex.load(tmp_path / "ray").documents
