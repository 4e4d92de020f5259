"""Compiled copies of the shipped models: ONNX graphs run by ONNX Runtime, for a quick start.

A cold ``qa ask`` spent most of its time starting torch and transformers (about 3 s of 5 on 2
cores) for a question that takes 0.15 s to read. A compiled copy of a model is its ONNX graph
(fp32, the same weights) beside the ``tokenizers`` tokenizer that transformers builds for it;
running it needs only ONNX Runtime, ``tokenizers`` and NumPy.

Copies are made once per model, from the torch model (``torch.onnx.export``, which needs the
``onnx`` package), into the model cache (:func:`qa.modeling.base_encoder.cache_dir`) under a name
that changes when the model's files, this format or the library versions change. They are written
aside and renamed into place, so a reader never sees half a copy. ``python -m qa.modeling.compiled
reader REF`` (or ``embedder FOLDER``) makes one; :func:`start_compiling` does it in a detached,
niced background process.

Results agree with the torch models run in fp32 to about 1e-5 in the logits; the torch readers run
their linear layers in bf16, so scores differ from theirs in the third decimal.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

FORMAT = 1  # bump when what a compiled copy holds changes
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "compiled.json"
LOCK_AGE_S = 1800  # a compile lock older than this is taken to be left by a dead process
OPSET = 17
TEMP_PREFIX = ".compiling-"  # folders being written beside the copies


class CompiledError(OSError):
    """A compiled copy cannot be made or loaded."""


def _versions() -> str:
    found = []
    for package in ("transformers", "peft", "tokenizers", "onnxruntime"):
        try:
            found.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package}=none")
    return " ".join(found)


def _folder_key(folder: Path) -> str:
    """A digest of a model folder's file names, sizes and modification times (cheap: no file is read)."""
    digest = hashlib.sha256(f"{FORMAT} {_versions()} {folder.resolve()}".encode())
    for f in sorted(folder.iterdir()):
        if f.is_file():
            st = f.stat()
            digest.update(f"\0{f.name} {st.st_size} {st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def compiled_dir(kind: str, folder: str | Path) -> Path | None:
    """Where the compiled copy of the model in local ``folder`` lives (it may not exist yet).

    Args:
        kind: ``"reader"`` (an extractive QA model; a folder holding a LoRA adapter over a pinned
            base counts as its merged model) or ``"embedder"`` (a plain transformer whose token
            vectors are mean-pooled).
        folder: the model folder.

    Returns:
        A folder under the model cache, or None when ``folder`` is not a local folder (a hub id
        may change under the same name) or a LoRA adapter over a base not pinned by hash.
    """
    from qa.modeling.base_encoder import cache_dir
    from qa.modeling.hf import ADAPTER_CONFIG, merged_cache_dir

    path = Path(folder).expanduser()
    if not path.is_dir():
        return None
    key = _folder_key(path)
    if (path / ADAPTER_CONFIG).exists():
        base_ref = json.loads((path / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]
        merged = merged_cache_dir(path, base_ref)
        if merged is None:
            return None
        key = hashlib.sha256(f"{key} {merged.name}".encode()).hexdigest()[:16]
    return cache_dir() / f"compiled-{kind}-{path.name}-{key}"


def is_ready(folder: Path | None) -> bool:
    """Whether ``folder`` holds a complete compiled copy (its files present; whether they load is
    :class:`Session`'s to find)."""
    return folder is not None and all((folder / f).is_file() for f in (META_FILE, MODEL_FILE, TOKENIZER_FILE))


def discard(folder: Path) -> None:
    """Remove a compiled copy that does not load, so that the next command makes it again
    (:func:`start_compiling`); a copy that cannot be removed is left."""
    shutil.rmtree(folder, ignore_errors=True)


class Encoded:
    """Tokenized texts as transformers' fast tokenizers return them, for the keys a reader uses.

    ``enc["input_ids"][row]`` and likewise ``"attention_mask"``, ``"token_type_ids"`` (when the
    model takes them), ``"offset_mapping"`` (character (start, end) per token) and
    ``"overflow_to_sample_mapping"`` (the input each row came from); ``enc.sequence_ids(row)``:
    per token 0 (first text), 1 (second text) or None (special tokens).
    """

    def __init__(self, encodings: list, owners: list[int], keys: tuple[str, ...]):
        self._encodings, self._keys = encodings, keys
        self._data = {"overflow_to_sample_mapping": owners}

    def __contains__(self, key: str) -> bool:
        return key in self._keys or key in ("offset_mapping", "overflow_to_sample_mapping")

    def __getitem__(self, key: str) -> list:
        if key not in self._data:
            if key not in self:
                raise KeyError(key)
            field = {"input_ids": "ids", "attention_mask": "attention_mask",
                     "token_type_ids": "type_ids", "offset_mapping": "offsets"}[key]
            self._data[key] = [getattr(e, field) for e in self._encodings]
        return self._data[key]

    def sequence_ids(self, row: int) -> list[int | None]:
        """Which text each token of ``row`` belongs to: 0, 1, or None for special tokens."""
        return self._encodings[row].sequence_ids


class Tokenizer:
    """The tokenizer of a compiled copy: ``tokenizers.Tokenizer``, called as a reader calls
    transformers' fast tokenizer (single texts or pairs; truncation of the second text with a
    stride and overflowing windows; offsets).

    Attributes:
        pad_token_id: the padding token's id.
        model_input_names: the inputs the model takes (``input_ids``, ``attention_mask`` and
            perhaps ``token_type_ids``).
    """

    def __init__(self, folder: Path, meta: dict):
        from tokenizers import Tokenizer as Backend

        self._backend = Backend.from_file(str(folder / TOKENIZER_FILE))
        self._backend.no_padding()
        self._backend.no_truncation()
        self.pad_token_id: int = meta["pad_token_id"]
        self.model_input_names: tuple[str, ...] = tuple(meta["inputs"])

    def __call__(self, text: str | list[str], text_pair: list[str] | None = None, *,
                 add_special_tokens: bool = True, truncation: str | bool | None = None,
                 max_length: int | None = None, stride: int = 0,
                 return_overflowing_tokens: bool = False, return_offsets_mapping: bool = False) -> Encoded:
        """Tokenize ``text`` (one or a list), paired with ``text_pair`` when given.

        ``truncation``: ``"only_second"``, ``"longest_first"`` / True, or None for none;
        windows beyond the first are rows of their own when ``return_overflowing_tokens``.
        """
        texts = [text] if isinstance(text, str) else list(text)
        inputs = list(zip(texts, text_pair, strict=True)) if text_pair is not None else texts
        if truncation and max_length:
            strategy = "only_second" if truncation == "only_second" else "longest_first"
            self._backend.enable_truncation(max_length, stride=stride, strategy=strategy)
        try:
            encodings = self._backend.encode_batch(inputs, add_special_tokens=add_special_tokens)
        finally:
            self._backend.no_truncation()
        rows, owners = [], []
        for i, e in enumerate(encodings):
            parts = [e, *e.overflowing] if return_overflowing_tokens else [e]
            rows.extend(parts)
            owners.extend([i] * len(parts))
        return Encoded(rows, owners, self.model_input_names)


_threads = 0


def set_threads(threads: int) -> None:
    """Run compiled models on ``threads`` CPU threads from now on (0: ONNX Runtime's default, one
    per physical core)."""
    global _threads
    _threads = max(0, int(threads))


class Session:
    """A compiled model loaded in ONNX Runtime (CPU).

    Raises:
        CompiledError: the copy is incomplete or ONNX Runtime cannot load it.
    """

    def __init__(self, folder: Path, threads: int | None = None):
        threads = _threads if threads is None else threads
        try:
            import onnxruntime as ort

            self.meta = json.loads((folder / META_FILE).read_text())
            options = ort.SessionOptions()
            options.log_severity_level = 3
            if threads:
                options.intra_op_num_threads = threads
            self._session = ort.InferenceSession(str(folder / MODEL_FILE), options,
                                                 providers=["CPUExecutionProvider"])
            self.tokenizer = Tokenizer(folder, self.meta)
        except Exception as err:  # a damaged or partial copy: the caller falls back to torch
            raise CompiledError(f"compiled model {folder} cannot be loaded: {err}") from err

    def run(self, batch: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The model's outputs (float32 arrays) for ``batch`` (int64 arrays of shape (rows, tokens),
        one per input name; extra keys are ignored)."""
        feeds = {k: batch[k].astype(np.int64, copy=False) for k in self.meta["inputs"]}
        return self._session.run(None, feeds)


def padded(enc, rows: list[int], keys: tuple[str, ...], pad_id: int) -> dict[str, np.ndarray]:
    """The ``rows`` of ``enc`` (tokenized texts) as int64 arrays of shape (len(rows), longest),
    padded on the right with ``pad_id`` (``input_ids``) or 0 (other keys); keys absent from ``enc``
    are left out."""
    n = max(len(enc["input_ids"][r]) for r in rows)
    batch = {}
    for key in keys:
        if key not in enc:
            continue
        out = np.full((len(rows), n), pad_id if key == "input_ids" else 0, dtype=np.int64)
        for i, r in enumerate(rows):
            values = enc[key][r]
            out[i, : len(values)] = values
        batch[key] = out
    return batch


def mean_pooled(tokens: np.ndarray, mask: np.ndarray, normalize: bool) -> np.ndarray:
    """Sentence vectors from token vectors: the mean over unmasked tokens, L2-normalised when
    ``normalize`` (sentence-transformers' mean pooling, Reimers and Gurevych, 2019).

    Args:
        tokens: float array (rows, tokens, dim). mask: (rows, tokens), 1 for real tokens.
    Returns:
        float32 array (rows, dim).
    """
    weights = mask[..., None].astype(np.float32)
    vectors = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    if normalize:
        vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    return vectors.astype(np.float32)


# --- making copies (needs torch, transformers and onnx) ------------------------------------------

def _export(model, tokenizer, dest: Path, outputs: tuple[str, ...], pick, extra: dict | None = None) -> None:
    """Export ``model`` (torch, fp32) to ``dest``/model.onnx with dynamic rows and tokens, and
    write its tokenizer and metadata; ``pick(model_output)`` gives the tensors named ``outputs``."""
    import torch

    inputs = tuple(n for n in ("input_ids", "attention_mask", "token_type_ids")
                   if n in tokenizer.model_input_names)

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return pick(self.inner(**dict(zip(inputs, args, strict=True))))

    sample = tokenizer(["a question?", "another one"], ["some context", "more context here"],
                       padding=True, return_tensors="pt")
    axes = {name: {0: "rows", 1: "tokens"} for name in (*inputs, *outputs)}
    model = model.float().eval()
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python code
        torch.onnx.export(Wrapped(model), tuple(sample[n] for n in inputs), str(dest / MODEL_FILE),
                          input_names=list(inputs), output_names=list(outputs), dynamic_axes=axes,
                          opset_version=OPSET, dynamo=False)
    tokenizer.backend_tokenizer.save(str(dest / TOKENIZER_FILE))
    meta = {"format": FORMAT, "inputs": list(inputs), "outputs": list(outputs),
            "pad_token_id": tokenizer.pad_token_id or 0} | (extra or {})
    (dest / META_FILE).write_text(json.dumps(meta))


def _write(kind: str, folder: str | Path, make) -> Path:
    """The compiled copy of ``kind`` for ``folder``: made, where it is missing, by ``make(tmp)``
    (:func:`qa.modeling.hf.written_aside`). Raises :class:`CompiledError` for a
    model that is not a local folder."""
    dest = compiled_dir(kind, folder)
    if dest is None:
        raise CompiledError(f"{folder}: only local model folders are compiled")
    if not is_ready(dest):
        from qa.modeling.hf import written_aside

        written_aside(dest, make, TEMP_PREFIX)
    return dest


def compile_reader(folder: str | Path) -> Path:
    """Make the compiled copy of the extractive QA model in ``folder`` (outputs ``start_logits``
    and ``end_logits``, (rows, tokens)); returns its folder. Raises :class:`CompiledError`."""
    from transformers import AutoTokenizer

    from qa.modeling.hf import load_qa_model, loading

    def make(tmp: Path) -> None:
        with loading(str(folder), "reader"):
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = load_qa_model(str(folder), require_head=True)
        _export(model, tokenizer, tmp, ("start_logits", "end_logits"),
                lambda out: (out.start_logits, out.end_logits))

    return _write("reader", folder, make)


def compile_embedder(folder: str | Path) -> Path:
    """Make the compiled copy of the transformer in ``folder`` (a plain sentence-transformers
    folder; output ``token_vectors``, (rows, tokens, dim)); returns its folder. Raises
    :class:`CompiledError`."""
    from transformers import AutoModel, AutoTokenizer

    from qa.modeling.hf import loading

    def make(tmp: Path) -> None:
        with loading(str(folder), "embedding model"):
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModel.from_pretrained(folder)
        longest = tokenizer.model_max_length if tokenizer.model_max_length < 100_000 else 512
        _export(model, tokenizer, tmp, ("token_vectors",), lambda out: out.last_hidden_state,
                {"model_max_length": longest})

    return _write("embedder", folder, make)


def _lock() -> Path:
    """One lock for all compiling in the model cache, holding the compiling process's id."""
    from qa.modeling.base_encoder import cache_dir

    return cache_dir() / ".compiling.lock"


def _locked(lock: Path) -> bool:
    """Whether another live process holds ``lock`` (one older than :data:`LOCK_AGE_S`, or whose
    process is gone, is stale)."""
    try:
        if time.time() - lock.stat().st_mtime >= LOCK_AGE_S:
            return False
        os.kill(int(lock.read_text().strip()), 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError):  # no lock, or one being written: taken only when it exists
        return lock.exists()
    return True


def start_compiling(jobs: list[tuple[str, str]]) -> bool:
    """Make the missing compiled copies of ``jobs`` ((kind, folder) pairs) in a detached, niced
    background process, so that the next command starts quickly. Returns whether one was started
    (not when every copy exists, another process is making them, or compiling is switched off
    with ``QA_ENGINE=torch``)."""
    if os.environ.get("QA_ENGINE", "").strip().lower() == "torch":
        return False
    todo = [(k, str(f)) for k, f in jobs if (d := compiled_dir(k, f)) is not None and not is_ready(d)]
    if not todo:
        return False
    lock = _lock()
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        if _locked(lock):
            return False
        lock.write_text(str(os.getpid()))
    except OSError:
        return False
    args = [sys.executable, "-m", "qa.modeling.compiled", "--lock", str(lock)]
    for kind, folder in todo:
        args += [kind, folder]
    try:
        child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        lock.write_text(str(child.pid))
    except OSError:
        lock.unlink(missing_ok=True)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.modeling.compiled [--lock FILE] KIND FOLDER [KIND FOLDER ...]``: make the
    compiled copies (KIND: reader or embedder); prints one line per copy; exit status 1 when one
    failed."""
    args = list(sys.argv[1:] if argv is None else argv)
    lock = None
    if args[:1] == ["--lock"]:  # started by start_compiling: in the background, second to the user
        lock, args = Path(args[1]), args[2:]
        os.nice(10)
    makers = {"reader": compile_reader, "embedder": compile_embedder}
    status = 0
    try:
        if lock is not None:  # holding the cache's lock: folders being written are a dead run's
            for left in lock.parent.glob(TEMP_PREFIX + "*"):
                shutil.rmtree(left, ignore_errors=True)
        for kind, folder in zip(args[::2], args[1::2], strict=True):
            try:
                print(f"{kind} {folder}: {makers[kind](folder)}")
            except Exception as err:  # noqa: BLE001 (one line per failure; the torch path keeps working)
                print(f"{kind} {folder}: not compiled: {type(err).__name__}: {err}", file=sys.stderr)
                status = 1
    finally:
        if lock is not None:
            lock.unlink(missing_ok=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
