"""Indexing on a Ray cluster (a local one started by the test) writes the index a local run writes."""

import shutil

import numpy as np
import pytest
from conftest import SEED

from qa.index import PassageIndex
from qa.pipeline import build_index

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
    assert np.abs(a.vectors - b.vectors).max() < 0.02  # bf16 on both sides, other batch shapes
    again = build_index(tmp_path / "ray", [docs], embedder=embedder, ray="local")
    assert len(again.unchanged) == 2 and not again.added


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
