"""Loading, splitting and embedding files on a Ray cluster (the optional ``cluster`` extra).

Embedding is the indexing cost that grows with the collection; Ray Data
(https://docs.ray.io/en/latest/data/) spreads it over the machines of a
cluster. Files are loaded and split by one set of tasks, passages are
embedded in batches by actors that each hold the embedding model, and the
driver gathers every document's passages and vectors, in order, to add them
to the index exactly as a local run does. Every worker must see the files at
the same paths (a shared or synced folder) and have this package installed.

Install with ``pip install -e ".[cluster]"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from qa.ingest.splitting import Passage

EMBED_BATCH = 64


def _ray():
    try:
        import ray
    except ImportError as e:
        raise ImportError("distributed indexing needs Ray: pip install -e \".[cluster]\"") from e
    return ray


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` ("auto": the one this machine belongs to;
    "local": start a private one on this machine), unless already connected.

    Raises:
        ImportError: Ray (the ``cluster`` extra) is not installed.
        ConnectionError: no cluster at that address.
    """
    ray = _ray()
    if ray.is_initialized():
        return
    if not address.strip():
        raise ConnectionError("--ray needs an address: auto, local or HOST:PORT")
    if address not in ("auto", "local"):
        _check_reachable(address)
    try:
        ray.init(address=None if address == "local" else address, logging_level="ERROR",
                 log_to_driver=False, include_dashboard=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ConnectionError(f"cannot reach a Ray cluster at {address!r}: {e}") from e


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast when nothing listens at a ``[ray://]HOST:PORT`` address (Ray itself retries for minutes).

    Raises:
        ConnectionError: the address is malformed or nothing answers there.
    """
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConnectionError(f"cannot reach a Ray cluster at {address!r}: expected HOST:PORT, "
                              "ray://HOST:PORT, auto or local")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConnectionError(f"cannot reach a Ray cluster at {address!r}: {e}") from e


class _SplitFile:
    """Ray task body: one file row -> one row per passage (or one row with the load error)."""

    def __init__(self, tokenizer_path: str):
        from transformers import AutoTokenizer

        from qa.ingest.splitting import Splitter

        self.splitter = Splitter(AutoTokenizer.from_pretrained(tokenizer_path))

    def __call__(self, row: dict) -> list[dict]:
        from qa.ingest.loading import LoadError, load_file

        try:
            doc = load_file(row["path"])
        except LoadError as e:
            return [_error_row(row["key"], str(e))]
        out: list[dict] = []
        path = doc.source
        for d in [doc, *doc.attachments]:  # a mail's attachments: documents keyed "{key} › {name}"
            d.source = row["key"] + d.source[len(path):]
            passages = self.splitter.split(d)
            out += [{"key": d.source, "sha": d.sha256, "n": i, "count": len(passages),
                     "passage": json.dumps(asdict(p), ensure_ascii=False), "text": p.text, "error": ""}
                    for i, p in enumerate(passages)] or [_error_row(d.source, "no passages")]
        return out + [_error_row(row["key"] + s.source[len(path):], s.reason) for s in doc.skipped]


def _error_row(key: str, error: str) -> dict:
    """The row of a file (or attachment) that could not be loaded or split."""
    return {"key": key, "sha": "", "n": -1, "count": 0, "passage": "", "text": "", "error": error}


class _Embed:
    """Ray actor body: embeds a batch of passage rows (error rows get zero vectors)."""

    def __init__(self, model: str | None, precision: str):
        from qa.store.embedding import Embedder

        self.embedder = Embedder(model, precision=precision)

    def __call__(self, batch: dict) -> dict:
        texts = [str(t) for t in batch["text"]]
        ok = [i for i, n in enumerate(batch["n"]) if n >= 0]
        vectors = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        if ok:
            vectors[ok] = self.embedder.encode([texts[i] for i in ok])
        return {**batch, "vector": list(vectors)}


def embed_files(files: dict[str, Path], embedder, actors: int | None = None
                ) -> Iterator[tuple[str, str, list[Passage], np.ndarray] | tuple[str, str]]:
    """Load, split and embed ``files`` (index key -> path) on the connected Ray cluster.

    Yields, per file, ``(key, sha256, passages, vectors)`` with vectors float32
    of shape (len(passages), dim), or ``(key, error)`` for a file that cannot be
    loaded; in no particular order. A mail's attachments come as items of their own, keyed
    ``"{key} › {name}"`` (:data:`qa.ingest.loading.ATTACHMENT_SEP`). ``embedder`` gives the model name, dimension
    and precision; each actor loads its own copy of that model.

    Raises:
        ImportError: Ray is not installed.
    """
    ray = _ray()
    from qa.store.embedding import Embedder, default_embedding_model

    model = None if embedder.name == Embedder.PACKAGED else embedder.name
    tokenizer = default_embedding_model() if model is None else model
    actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // 2)
    ds = ray.data.from_items([{"key": k, "path": str(p)} for k, p in files.items()])
    pool = ray.data.ActorPoolStrategy(size=actors)
    ds = ds.flat_map(_SplitFile, fn_constructor_args=(tokenizer,), compute=pool)
    ds = ds.map_batches(_Embed, fn_constructor_args=(model, _requested_precision(embedder)),
                        batch_size=EMBED_BATCH, compute=ray.data.ActorPoolStrategy(size=actors))
    waiting: dict[str, list[dict]] = {}
    for row in ds.iter_rows():
        if row["n"] < 0:
            yield row["key"], row["error"]
            continue
        rows = waiting.setdefault(row["key"], [])
        rows.append(row)
        if len(rows) == row["count"]:
            rows.sort(key=lambda r: r["n"])
            passages = [Passage(**json.loads(r["passage"])) for r in rows]
            vectors = np.stack([np.asarray(r["vector"], dtype=np.float32) for r in rows])
            del waiting[row["key"]]
            yield row["key"], row["sha"], passages, vectors


def _requested_precision(embedder) -> str:
    """The precision to ask each worker for: "auto" stays "auto", so that a worker without the
    int8 extra embeds in bf16 instead of failing."""
    return getattr(embedder, "requested_precision", None) or getattr(embedder, "precision", "bf16")
