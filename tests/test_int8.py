"""int8 passage embedding (qa.store.int8): close to fp32, made once and cached, clear without its extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from qa.store import int8
from qa.store.embedding import Embedder, default_embedding_model

needs_int8 = pytest.mark.skipif(not int8.available(), reason="the int8 extra (openvino, nncf) is not installed")

PASSAGES = [
    "The Coast Guard reported 35 boat strikes since August, most of them off the coast of Venezuela.",
    "Photosynthesis turns light, water and carbon dioxide into sugars and oxygen in the chloroplasts.",
    "The 1973 oil crisis began when OAPEC proclaimed an embargo on nations that had supported Israel.",
    "Falcon Optics appointed Eva Pichler as chief executive officer in March; its CFO is Tom Reyes.",
]


def _raising(error: Exception):
    """A stand-in that raises ``error`` whatever it is called with."""
    def stand_in(*_):
        raise error
    return stand_in


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private cache folder holding one int8 copy made from 16 calibration paragraphs."""
    folder = tmp_path_factory.mktemp("int8cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_CACHE_DIR", str(folder))
        if int8.available():
            int8.Int8Encoder(Embedder(precision="fp32").model, default_embedding_model(), calibration=16)
    return folder


@needs_int8
def test_int8_vectors_stay_close_to_fp32(cache, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(cache))
    fp32 = Embedder(precision="fp32")
    encoder = int8.Int8Encoder(fp32.model, default_embedding_model(), calibration=16)
    got = encoder.encode(PASSAGES)
    got /= np.linalg.norm(got, axis=1, keepdims=True)
    ref = fp32.encode(PASSAGES)
    cos = (got * ref).sum(1)
    assert got.shape == (4, 384) and cos.min() > 0.97 and cos.mean() > 0.98
    # each passage is still nearest to its own fp32 vector
    assert list((got @ ref.T).argmax(1)) == [0, 1, 2, 3]


@needs_int8
def test_the_int8_copy_is_made_once_then_read_from_the_cache(cache, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(cache))
    monkeypatch.setattr(int8.Int8Encoder, "_quantize", _raising(AssertionError("quantized again instead of reading the cache")))
    encoder = int8.Int8Encoder(Embedder(precision="fp32").model, default_embedding_model(), calibration=16)
    assert encoder.encode(PASSAGES[:1]).shape == (1, 384)
    made = [p for p in cache.iterdir() if p.is_dir()]
    assert len(made) == 1 and {f.name for f in made[0].iterdir()} == {"model.xml", "model.bin", "source.json"}


@needs_int8
def test_a_failed_conversion_leaves_nothing_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(int8.Int8Encoder, "_quantize", _raising(RuntimeError("conversion failed")))
    with pytest.raises(RuntimeError, match="conversion failed"):
        int8.Int8Encoder(Embedder(precision="fp32").model, default_embedding_model(), calibration=16)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


@needs_int8
def test_a_killed_conversions_leftover_folder_is_removed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    model = Embedder(precision="fp32").model
    stale = tmp_path / f"int8-{int8._key(model, 16)}.k1ll3d"
    stale.mkdir()
    (stale / "model.bin").write_bytes(b"half written")
    monkeypatch.setattr(int8.Int8Encoder, "_quantize", _raising(RuntimeError("conversion failed")))
    with pytest.raises(RuntimeError, match="conversion failed"):
        int8.Int8Encoder(model, default_embedding_model(), calibration=16)
    assert not stale.exists()


@needs_int8
def test_a_second_process_waits_for_the_copy_another_is_making(cache, tmp_path, monkeypatch):
    import shutil
    import threading

    from filelock import FileLock

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    model = Embedder(precision="fp32").model
    made = next(p for p in cache.iterdir() if p.is_dir())
    lock = FileLock(str(tmp_path / f"{made.name}.lock"), thread_local=False)  # released by the timer
    lock.acquire()

    def other_process_finishes():
        shutil.copytree(made, tmp_path / made.name)
        lock.release()

    threading.Timer(1.0, other_process_finishes).start()
    monkeypatch.setattr(int8.Int8Encoder, "_quantize", _raising(AssertionError("made twice")))
    encoder = int8.Int8Encoder(model, default_embedding_model(), calibration=16)  # waits, then reads theirs
    assert encoder.encode(PASSAGES[:1]).shape == (1, 384)


@needs_int8
def test_a_lock_held_too_long_is_named_in_the_error(tmp_path, monkeypatch):
    from filelock import FileLock

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(int8, "_LOCK_WAIT_S", 0.2)
    model = Embedder(precision="fp32").model
    held = FileLock(str(tmp_path / f"int8-{int8._key(model, 16)}.lock"))
    with held, pytest.raises(TimeoutError, match=r"another process making the int8 copy \(lock .*\.lock\)"):
        int8.Int8Encoder(model, default_embedding_model(), calibration=16)


@needs_int8
def test_int8_embedder_embeds_passages_in_int8_and_questions_in_bf16():
    e = Embedder(precision="int8")  # the default cache, as the tests' shared embedder uses
    q = e.encode_queries(["How many boat strikes since August?"])
    assert e._int8 is None and q.shape == (1, 384)  # asking never builds the int8 copy
    assert e.query_precision == "bf16"
    p = e.encode(PASSAGES)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-5)
    assert int((q @ p.T).argmax()) == 0


def test_without_the_extra_auto_is_bf16_and_int8_names_the_extra(monkeypatch):
    monkeypatch.setattr(int8, "available", lambda: False)
    assert Embedder().precision == "bf16"
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError
    e = Embedder(precision="int8")
    with pytest.raises(ImportError, match=r"int8 extra.*pip install -e '\.\[int8\]'"):
        e.encode(PASSAGES[:1])
    assert e.encode_queries(["still answers questions"]).shape == (1, 384)


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision must be one of"):
        Embedder(precision="int4")


def test_auto_embeds_a_few_passages_in_bf16_without_loading_the_int8_copy(monkeypatch):
    from qa.store import embedding

    monkeypatch.setattr(int8, "available", lambda: True)
    e = Embedder()
    assert e.precision == "int8" and e.requested_precision == "auto"
    monkeypatch.setattr(embedding, "AUTO_INT8_MIN", 10)
    vecs = e.encode(PASSAGES)
    assert e._int8 is None and vecs.shape == (4, 384)
    assert np.allclose(vecs, e.encode_queries(PASSAGES))  # the bf16 model's own vectors


def test_auto_falls_back_to_bf16_when_the_int8_copy_cannot_be_made(monkeypatch, capsys):
    from qa.store import embedding

    monkeypatch.setattr(int8, "available", lambda: True)
    monkeypatch.setattr(int8, "Int8Encoder", _raising(RuntimeError("cannot write the cache")))
    monkeypatch.setattr(embedding, "AUTO_INT8_MIN", 2)
    e = Embedder()
    vecs = e.encode(PASSAGES)
    assert e.precision == "bf16" and vecs.shape == (4, 384)
    assert "int8 embedding unavailable (RuntimeError: cannot write the cache); embedding in bf16" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="cannot write"):
        Embedder(precision="int8").encode(PASSAGES)  # asked for by name: the error stands
