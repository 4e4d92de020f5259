"""Compiled copies of the models (ONNX on ONNX Runtime): same tokens, same answers, no torch import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa.answer.reading import Reader, packaged_reader_dir
from qa.modeling import compiled
from qa.store.embedding import Embedder, default_embedding_model

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = ("The Trump administration has conducted 35 known boat strikes since August, resulting in at "
           "least 115 fatalities. " * 30) + "Talks were held in Caracas; Ramonet interviewed Maduro."
QUESTIONS = ["How many boat strikes since August?", "Who did Ignacio Ramonet interview?",
             "Wo fanden die Gespräche statt — café naïve 東京?"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A model cache holding compiled copies of the fast reader and the packaged embedder."""
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("QA_CACHE_DIR")
    os.environ["QA_CACHE_DIR"] = str(folder)
    try:
        compiled.compile_reader(packaged_reader_dir())
        compiled.compile_embedder(default_embedding_model())
        yield folder
    finally:
        if old is None:
            os.environ.pop("QA_CACHE_DIR", None)
        else:
            os.environ["QA_CACHE_DIR"] = old


def _run(args, env):
    return subprocess.run(args, check=False, env=env, capture_output=True, text=True, timeout=300)


def _pair_tokens(tok, pairs, **kw):
    enc = tok([q for q, _ in pairs], [c for _, c in pairs], truncation="only_second", max_length=128,
              stride=32, return_overflowing_tokens=True, return_offsets_mapping=True, **kw)
    rows = range(len(enc["input_ids"]))
    return ([list(enc["input_ids"][r]) for r in rows], [[tuple(o) for o in enc["offset_mapping"][r]] for r in rows],
            list(enc["overflow_to_sample_mapping"]), [list(enc.sequence_ids(r)) for r in rows])


@pytest.mark.parametrize("folder", [packaged_reader_dir(), packaged_reader_dir().parent / "reader-base"])
def test_tokenizer_matches_transformers_on_pairs_with_windows(folder, tmp_path):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(folder)
    hf.backend_tokenizer.save(str(tmp_path / compiled.TOKENIZER_FILE))
    ours = compiled.Tokenizer(tmp_path, {"pad_token_id": hf.pad_token_id, "inputs": list(hf.model_input_names)})
    pairs = [(q, CONTEXT) for q in QUESTIONS] + [("Short?", "One line.")]
    theirs = _pair_tokens(hf, pairs)
    assert _pair_tokens(ours, pairs) == theirs
    assert len(theirs[0]) > len(pairs)  # the long passage was cut into overlapping windows
    single = ours(["What port is it?"], add_special_tokens=False, return_offsets_mapping=True)
    expected = hf(["What port is it?"], add_special_tokens=False, return_offsets_mapping=True)
    assert [tuple(o) for o in single["offset_mapping"][0]] == [tuple(o) for o in expected["offset_mapping"][0]]


def test_compiled_reader_gives_the_torch_readers_answers(cache):
    torch_reader = Reader("fast", bf16=False)
    onnx_reader = Reader("fast", engine="onnx")
    assert onnx_reader.engine == "onnx" and onnx_reader.model is None
    passages = [CONTEXT, "The meeting was held in Lyon in 2024.", "Nothing relevant here at all."]
    for question in QUESTIONS[:2]:
        ours = onnx_reader.read_pairs([(question, p) for p in passages], top_n=2)
        theirs = torch_reader.read_pairs([(question, p) for p in passages], top_n=2)
        assert [[(s.text, s.start) for s in g] for g in ours] == [[(s.text, s.start) for s in g] for g in theirs]
        got = np.array([s.score for g in ours for s in g] + [s.null_score for g in ours for s in g])
        want = np.array([s.score for g in theirs for s in g] + [s.null_score for g in theirs for s in g])
        assert np.allclose(got, want, atol=1e-4)
    assert onnx_reader.threshold == torch_reader.threshold and onnx_reader.rule == torch_reader.rule


def test_compiled_embedder_gives_the_same_question_vectors(cache):
    ours, theirs = Embedder(engine="auto"), Embedder(precision="fp32")
    assert ours.engine == "onnx" and theirs.engine == "torch"
    texts = QUESTIONS + ["x " * 600]  # the last is cut at the model's length
    cosines = (ours.encode_queries(texts) * theirs.encode_queries(texts)).sum(axis=1)
    assert cosines.min() > 0.9999


def test_engine_onnx_without_a_copy_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    with pytest.raises(compiled.CompiledError, match="no compiled copy.*python -m qa.modeling.compiled"):
        Reader("fast", engine="onnx")
    with pytest.raises(ValueError, match="unknown engine"):
        Reader("fast", engine="tensorrt")
    assert Reader("fast", engine="auto").engine == "torch"


def test_damaged_copy_falls_back_to_torch(cache, tmp_path, monkeypatch):
    copy = tmp_path / "cache"
    import shutil

    shutil.copytree(cache, copy)
    monkeypatch.setenv("QA_CACHE_DIR", str(copy))
    folder = compiled.compiled_dir("reader", packaged_reader_dir())
    (folder / compiled.MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(compiled.CompiledError, match="cannot be loaded"):
        Reader("fast", engine="onnx")
    assert Reader("fast", engine="auto").engine == "torch"
    assert not folder.exists()  # discarded, so the next qa ask makes it again


def test_qa_ask_answers_from_compiled_copies_without_importing_torch(cache, seed_index):
    code = ("import sys; from qa.apps.cli import main; code = main(['ask', 'How many boat strikes since "
            f"August?', '--index', {str(seed_index)!r}, '--reader', 'fast']); "
            "print('torch imported' if 'torch' in sys.modules else 'no torch'); sys.exit(code)")
    env = os.environ | {"QA_CACHE_DIR": str(cache), "QA_ENGINE": "auto"}
    out = _run([sys.executable, "-c", code], env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "35"
    assert out.stdout.splitlines()[-1] == "no torch"
    assert "compiled copies" not in out.stderr


def test_first_ask_makes_the_copies_in_the_background(seed_index, tmp_path):
    env = os.environ | {"QA_CACHE_DIR": str(tmp_path), "QA_ENGINE": "auto"}
    ask = [sys.executable, "-m", "qa", "ask", "How many boat strikes since August?", "--index",
           str(seed_index), "--reader", "fast"]
    first = _run(ask, env)
    assert first.returncode == 0 and first.stdout.startswith("35"), first.stderr
    assert "making compiled copies" in first.stderr
    deadline = time.time() + 240
    wanted = [compiled.compiled_dir("reader", packaged_reader_dir()),
              compiled.compiled_dir("embedder", default_embedding_model())]
    wanted = [tmp_path / w.name for w in wanted]
    while not all(compiled.is_ready(w) for w in wanted) and time.time() < deadline:
        time.sleep(1)
    assert all(compiled.is_ready(w) for w in wanted)
    assert json.loads((wanted[0] / compiled.META_FILE).read_text())["outputs"] == ["start_logits", "end_logits"]
    second = _run(ask, env)
    assert second.stdout.startswith("35") and "making compiled copies" not in second.stderr
    assert not (tmp_path / ".compiling.lock").exists() and not list(tmp_path.glob(".compiling-*"))
    torch_only = _run(ask, env | {"QA_ENGINE": "torch"})
    assert torch_only.stdout.startswith("35")
    wrong = _run(ask, env | {"QA_ENGINE": "gpu"})
    assert wrong.stderr.strip() == "qa: error: QA_ENGINE=gpu: use auto, torch or onnx"


def test_embedder_copy_that_does_not_load_and_a_dead_compilers_lock(cache, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "cache2"
    shutil.copytree(cache, copy)
    monkeypatch.setenv("QA_CACHE_DIR", str(copy))
    folder = compiled.compiled_dir("embedder", default_embedding_model())
    (folder / compiled.MODEL_FILE).write_bytes(b"\0" * 100)
    with pytest.raises(compiled.CompiledError, match="no compiled copy that loads"):
        Embedder(engine="onnx")
    assert not folder.exists()  # discarded, so the next qa ask makes it again
    assert Embedder(engine="auto").engine == "torch"
    lock = copy / ".compiling.lock"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(str(dead.pid))
    assert not compiled._locked(lock)
    lock.write_text(str(os.getpid()))
    assert compiled._locked(lock)
