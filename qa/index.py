"""The on-disk passage index: FAISS vectors, passages and a manifest.

Layout of an index folder::

    CURRENT            name of the live version folder, replaced atomically
    v000007/manifest.json   format version, embedding model, dimension, index type, documents
    v000007/passages.jsonl  one passage a line, in vector order
    v000007/vectors.npy     float32 (n_passages, dim), unit rows
    v000007/faiss.index     the FAISS index over those vectors
    v000007/bm25/           the keyword index (bm25s arrays and vocabulary; loaded memory-mapped)

A save writes a new version folder, then points ``CURRENT`` at it with an
atomic rename, so a process killed mid-save leaves the previous index usable.
Vectors are compared by inner product, which on unit vectors is cosine.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.keywords import build_bm25, load_bm25, save_bm25
from qa.splitting import Passage

FORMAT_VERSION = 1
INDEX_TYPES = ("flat", "hnsw")
REBUILD_HINT = "; remove the folder and build it again with 'qa index'"


class IndexLoadError(Exception):
    """An index folder is missing, incomplete or corrupt; the message says which."""


@dataclass
class DocumentEntry:
    """What the index holds of one document: its content hash and passage count."""

    sha256: str
    passages: int


@dataclass
class PassageIndex:
    """Passages with their unit vectors, searchable by inner product.

    Attributes:
        embedding_model: the model the vectors came from (see ``Embedder.name``).
        dim: vector dimension.
        index_type: "flat" (exact) or "hnsw" (approximate, for large collections).
        passages: passages in vector order.
        vectors: float32 array (len(passages), dim) (given to the constructor as ``_vectors``).
        documents: source path -> :class:`DocumentEntry`.
    """

    embedding_model: str
    dim: int
    index_type: str = "flat"
    passages: list[Passage] = field(default_factory=list)
    _vectors: np.ndarray | None = None
    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    _faiss: object = field(default=None, repr=False)
    _bm25: object = field(default=None, repr=False)
    _pending: list = field(default_factory=list, repr=False)  # added vector blocks, joined when needed

    def __post_init__(self) -> None:
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"index type must be one of {INDEX_TYPES}, not {self.index_type!r}")
        if self._vectors is None:
            self._vectors = np.zeros((0, self.dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.passages)

    def _build_faiss(self):
        import faiss

        if self.index_type == "hnsw":
            index = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        else:
            index = faiss.IndexFlatIP(self.dim)
        if len(self.vectors):
            index.add(self.vectors)
        return index

    def add_document(self, source: str, sha256: str, passages: list[Passage],
                     vectors: np.ndarray) -> None:
        """Add (or replace) one document's passages and their (n, dim) vectors."""
        if vectors.shape != (len(passages), self.dim):
            raise ValueError(f"vectors of shape {vectors.shape}, expected ({len(passages)}, {self.dim})")
        if source in self.documents:
            self.remove_documents([source])
        self.passages.extend(passages)
        self._pending.append(vectors.astype(np.float32))  # joined once, not copied per document
        self.documents[source] = DocumentEntry(sha256, len(passages))
        self._faiss = self._bm25 = None

    @property
    def vectors(self) -> np.ndarray:
        """The passages' unit vectors, float32 of shape (n_passages, dim), in passage order.

        Blocks added by :meth:`add_document` are joined here, once for many
        additions, rather than copying the whole array per document.
        """
        if self._pending:
            self._vectors = np.concatenate([self._vectors, *self._pending])
            self._pending = []
        return self._vectors

    def remove_documents(self, sources: list[str]) -> None:
        """Drop these documents' passages and vectors; unknown sources are ignored."""
        drop = set(sources) & set(self.documents)
        if not drop:
            return
        vectors = self.vectors
        keep = [i for i, p in enumerate(self.passages) if p.source not in drop]
        self.passages = [self.passages[i] for i in keep]
        self._vectors = vectors[keep]
        for s in drop:
            del self.documents[s]
        self._faiss = self._bm25 = None

    def keyword_index(self):
        """The BM25 index over the passages (see :mod:`qa.keywords`); None when there are none.

        Loaded memory-mapped with the index when it was saved with one, else built here.
        """
        if self._bm25 is None and self.passages:
            self._bm25 = build_bm25([p.text for p in self.passages])
        return self._bm25

    def passages_of(self, source: str) -> list[Passage]:
        """The passages of one document, in reading order (empty for an unknown source)."""
        return sorted((p for p in self.passages if p.source == source), key=lambda p: p.start)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` passages nearest to a unit query vector of shape (dim,).

        Returns (passage position, inner product) pairs, best first.
        """
        if not len(self.passages) or k <= 0:
            return []
        if self._faiss is None:
            self._faiss = self._build_faiss()
        scores, ids = self._faiss.search(query.reshape(1, -1).astype(np.float32), min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def manifest(self) -> dict:
        """The manifest written beside the vectors."""
        return {
            "format_version": FORMAT_VERSION,
            "embedding_model": self.embedding_model,
            "dim": self.dim,
            "index_type": self.index_type,
            "documents": {s: asdict(d) for s, d in self.documents.items()},
        }

    def save(self, folder: str | Path) -> None:
        """Write the index into ``folder`` atomically (see the module docstring)."""
        import faiss

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        current = _current_version(folder)
        known = _versions(folder) + ([current] if current else [])
        n = max((int(v[1:]) for v in known), default=0) + 1  # past any folder a killed save left
        name = f"v{n:06d}"
        tmp = folder / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self._faiss is None:
            self._faiss = self._build_faiss()
        faiss.write_index(self._faiss, str(tmp / "faiss.index"))
        if self.passages:
            save_bm25(self.keyword_index(), tmp / "bm25")
        np.save(tmp / "vectors.npy", self.vectors)
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in self.passages)
        (tmp / "manifest.json").write_text(json.dumps(self.manifest(), indent=1))
        _fsync_tree(tmp)
        os.replace(tmp, folder / name)
        pointer = folder / ".CURRENT.tmp"
        pointer.write_text(name)
        os.replace(pointer, folder / "CURRENT")
        for old in folder.glob("v[0-9]*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: str | Path) -> PassageIndex:
        """Read the live version of an index folder.

        Raises:
            IndexLoadError: no index there, or its files are missing or corrupt.
        """
        import faiss

        folder = Path(folder)
        version = _current_version(folder)
        if version is None:
            raise IndexLoadError(f"no index in {folder} (run 'qa index' first)")
        path = folder / version
        try:
            manifest = json.loads((path / "manifest.json").read_text())
            if manifest.get("format_version") != FORMAT_VERSION:
                raise IndexLoadError(
                    f"index in {folder} has format {manifest.get('format_version')}, "
                    f"this version reads {FORMAT_VERSION}; rebuild it")
            with open(path / "passages.jsonl", encoding="utf-8") as f:
                passages = [Passage(**json.loads(line)) for line in f]
            vectors = np.load(path / "vectors.npy")
            index = faiss.read_index(str(path / "faiss.index"))
            bm25 = load_bm25(path / "bm25") if (path / "bm25").is_dir() else None
            if vectors.shape != (len(passages), manifest["dim"]) or index.ntotal != len(passages):
                raise IndexLoadError(f"index in {folder} is corrupt: vector and passage counts differ"
                                     f"{REBUILD_HINT}")
            docs = {s: DocumentEntry(**d) for s, d in manifest["documents"].items()}
        except IndexLoadError:
            raise
        except (OSError, ValueError, TypeError, KeyError, RuntimeError, AttributeError) as e:
            raise IndexLoadError(f"index in {folder} is corrupt or incomplete: "
                                 f"{type(e).__name__}: {e}{REBUILD_HINT}") from e
        return cls(manifest["embedding_model"], manifest["dim"], manifest["index_type"],
                   passages, vectors, docs, index, bm25)


def _versions(folder: Path) -> list[str]:
    """Names of the complete version folders (``v000007``), oldest first."""
    return sorted(p.name for p in folder.glob("v[0-9]*") if p.is_dir()) if folder.is_dir() else []


def _current_version(folder: Path) -> str | None:
    """The live version's folder name; None when there is no index.

    A save renames a fully written version folder into place before it
    points ``CURRENT`` at it, so when a process was killed between the two
    (no ``CURRENT``), the newest version folder is the last committed state.

    Raises:
        IndexLoadError: ``CURRENT`` names a version that is not there.
    """
    try:
        name = (folder / "CURRENT").read_text().strip()
    except OSError:
        versions = _versions(folder)
        return versions[-1] if versions else None
    if not name or not (folder / name).is_dir():
        raise IndexLoadError(f"index in {folder} is corrupt or incomplete: CURRENT names "
                             f"missing version {name!r}")
    return name


def _fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder`` (sub-folders included) to disk."""
    for f in folder.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())


def index_exists(folder: str | Path) -> bool:
    """Whether ``folder`` holds an index (a ``CURRENT`` pointer or a committed version; it may
    still prove corrupt)."""
    return (Path(folder) / "CURRENT").is_file() or bool(_versions(Path(folder)))
