"""An int8 copy of a sentence-transformers model for embedding passages, run by OpenVINO.

On a CPU without AMX the embedder is bound by bf16 arithmetic; int8 matrix products (AVX-512
VNNI) run about twice as fast. :class:`Int8Encoder` converts the model (transformer and pooling)
to OpenVINO, quantizes it with NNCF post-training quantization (``ModelType.TRANSFORMER``: the
linear layers and attention products in int8, layer norms and softmax left in floating point),
calibrated on the 148 Wikipedia paragraphs of ``qa/data/int8-calibration.txt`` (SQuAD 1.1 train
contexts, CC BY-SA 4.0), and caches the result under ``$QA_CACHE_DIR`` (else ``~/.cache/qa-docs``)
so that only the first use pays for it (about 20 s on 2 cores for all-MiniLM-L6-v2).

Measured by ``bench/indexing.py`` (2-core AMD EPYC, AVX-512 VNNI and BF16, no AMX, 2026-11-30):
94-104 passages/s against 44-53 for torch bf16 on the 24 articles of SQuAD dev part A, dense
recall within 0.3 point of fp32 (cosine to the fp32 vectors 0.997 on average, 0.989 at worst).

Needs the ``int8`` extra (``pip install -e .[int8]``: ``openvino``, ``nncf``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

from qa.modeling.base_encoder import cache_dir
from qa.modeling.hf import embedding_dimension

CALIBRATION_FILE = Path(__file__).parent.parent / "data" / "int8-calibration.txt"
INSTALL_HINT = "pip install -e '.[int8]' (openvino and nncf)"
_FORMAT = 1  # bump when the conversion below changes
_INPUTS = ("input_ids", "attention_mask")  # the converted model's inputs (token type ids are all 0)
_LOCK_WAIT_S = 900  # seconds to wait for another process making the same copy


def available() -> bool:
    """Whether the ``int8`` extra (openvino and nncf) is installed."""
    from importlib.util import find_spec

    return find_spec("openvino") is not None and find_spec("nncf") is not None


def calibration_texts(limit: int | None = None) -> list[str]:
    """The calibration paragraphs, one per line of :data:`CALIBRATION_FILE` (first ``limit``)."""
    lines = [t for t in CALIBRATION_FILE.read_text(encoding="utf-8").splitlines() if t.strip()]
    return lines[:limit]


class Int8Encoder:
    """Embeds texts with an int8 OpenVINO copy of a loaded ``SentenceTransformer``.

    Args:
        model: the loaded ``SentenceTransformer`` (its tokenizer and max_seq_length are used).
        source: the model's folder (or id), loaded afresh in fp32 when the int8 copy is made
            (the loaded model may hold bf16 weights). The cache key is the loaded model's
            weights and modules, not this path.
        batch_size: texts per forward pass (16 measured best; 8-64 within 5 %).
        calibration: how many calibration paragraphs to use (None: all 148).

    Raises:
        ImportError: openvino or nncf is missing; the message names the extra.
    """

    def __init__(self, model, source: str, batch_size: int = 16, calibration: int | None = None):
        try:
            import nncf  # noqa: F401
            import openvino as ov
        except ImportError as err:
            raise ImportError(f"int8 embedding needs the int8 extra: {INSTALL_HINT} ({err})") from None
        self.model, self.batch_size = model, batch_size
        self.dim = embedding_dimension(model)
        name = getattr(model, "default_prompt_name", None)
        self.prompt = (getattr(model, "prompts", None) or {}).get(name) if name else None
        path = self._cached(source, calibration)
        import torch

        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": torch.get_num_threads()}
        self.compiled = ov.Core().compile_model(str(path), "CPU", config)  # threads as torch (qa --threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Sentence embeddings, float32 of shape (len(texts), dim), as the model's pooling gives
        them (not normalised here). Texts go longest first so that a batch pads little."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for at in range(0, len(texts), self.batch_size):
            rows = order[at: at + self.batch_size]
            out[rows] = next(iter(self.compiled(self._feed([texts[i] for i in rows])).values()))
        return out

    def _feed(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The converted model's two inputs for ``texts``, int64 arrays of shape (len(texts), tokens)."""
        batch = self._tokenize(texts)
        return {k: batch[k].numpy().astype(np.int64) for k in _INPUTS}

    def _tokenize(self, texts: list[str]) -> dict:
        """Model inputs as ``SentenceTransformer.encode`` makes them (its default prompt included)."""
        preprocess = getattr(self.model, "preprocess", None)
        if preprocess is not None:
            return preprocess(texts, prompt=self.prompt)
        return self.model.tokenize([(self.prompt or "") + t for t in texts])

    def _cached(self, source: str, calibration: int | None) -> Path:
        """The quantized model's .xml in the cache, made (and written atomically) when missing.

        One process makes it while others wait on a file lock (Ray actors on one node); folders
        left by a conversion that was killed are removed then.

        Raises:
            TimeoutError: another process held the lock for over 15 minutes.
        """
        from filelock import FileLock, Timeout

        dest = cache_dir() / f"int8-{_key(self.model, calibration)}"
        xml = dest / "model.xml"
        if _complete(dest):
            return xml
        dest.parent.mkdir(parents=True, exist_ok=True)
        lock = dest.parent / f"{dest.name}.lock"
        try:
            with FileLock(str(lock), timeout=_LOCK_WAIT_S):
                if not _complete(dest):
                    self._make(dest, source, calibration)
        except Timeout:
            raise TimeoutError(f"waited {_LOCK_WAIT_S} s for another process making the int8 copy "
                               f"(lock {lock}); remove the lock file if no such process runs") from None
        return xml

    def _make(self, dest: Path, source: str, calibration: int | None) -> None:
        """Quantize the model and write it to ``dest`` through a temporary folder renamed at the
        end; the caller holds the lock, so any other temporary folder of ``dest`` is stale."""
        for stale in dest.parent.glob(f"{dest.name}.*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        _tell(f"making an int8 copy of the embedding model (once, about 20 s; cached in {dest})")
        with contextlib.redirect_stdout(sys.stderr):  # NNCF's progress bars: keep stdout for results
            quantized = self._quantize(source, calibration)
        import openvino as ov

        tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
        try:
            ov.save_model(quantized, str(tmp / "model.xml"))
            (tmp / "source.json").write_text(json.dumps({"model": source, "format": _FORMAT}) + "\n")
            tmp.chmod(0o755)
            shutil.rmtree(dest, ignore_errors=True)  # a broken copy (the lock makes us the only writer)
            tmp.rename(dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _quantize(self, source: str, calibration: int | None):
        """Convert the model to OpenVINO and quantize it to int8 on the calibration texts."""
        import nncf
        import openvino as ov
        from sentence_transformers import SentenceTransformer

        wrapped = _pooled_module(SentenceTransformer(source, device="cpu")).eval()
        sample = self._tokenize(["a short text", "another"])
        with warnings.catch_warnings():  # tracing notes shape checks that hold for every input here
            warnings.simplefilter("ignore")
            graph = ov.convert_model(
                wrapped, example_input={k: sample[k] for k in _INPUTS},
                input=[(k, [-1, -1], ov.Type.i64) for k in _INPUTS])
        items = [self._feed([text]) for text in calibration_texts(calibration)]
        return nncf.quantize(graph, nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
                             subset_size=len(items))


def _complete(dest: Path) -> bool:
    """Whether the cache folder ``dest`` holds a whole saved model."""
    return (dest / "model.xml").is_file() and (dest / "model.bin").is_file()


def _tell(message: str) -> None:
    """Print ``message`` to stderr on a line of its own, above any progress bar being drawn."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


def _pooled_module(model):
    """A torch module mapping (input_ids, attention_mask) to the model's sentence embedding."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, st):
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask):
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            for module in self.st:
                if type(module).__name__ == "Normalize":
                    continue  # the caller normalises
                features = module(features)
            return features["sentence_embedding"]

    return Pooled(model)


def _key(model, calibration: int | None) -> str:
    """Cache key: the model's weights and modules (pooling and any layers after it), the calibration
    set and the library versions; not its path, so a moved or re-downloaded model is found again."""
    import torch

    h = hashlib.sha256(repr(model).encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().float().contiguous().view(torch.uint8).numpy().tobytes())
    h.update(hashlib.sha256(CALIBRATION_FILE.read_bytes()).digest())
    h.update(f"{calibration}:{_FORMAT}".encode())
    for dist in ("openvino", "nncf"):
        h.update(f"{dist}={metadata.version(dist)}".encode())
    return h.hexdigest()[:16]
