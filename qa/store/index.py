"""The on-disk passage index: immutable segments and a manifest that names the live ones.

Layout of an index folder::

    CURRENT                      name of the live version folder, replaced atomically
    v000007/manifest.json        format, embedding model, dimension, index type, segments, documents
    segments/s000003/passages.jsonl   one passage a line
    segments/s000003/offsets.npy      int64 (n + 1,) byte offsets of the lines
    segments/s000003/vectors.npy      float32 (n, dim), unit rows; memory-mapped on load
    segments/s000003/bm25/            the segment's keyword index (bm25s, memory-mapped on load)
                                 of the tokens of :data:`qa.store.keywords.TOKENS_VERSION`
    segments/s000003/hnsw.index       FAISS HNSW graph, only for segments searched approximately

The design follows Lucene's: documents added since the last save go into a new
segment; a segment is never changed once written; removing a document only
drops it from the manifest, so its passages become tombstones, skipped by
search; a merge rewrites a run of segments (without their tombstones) into
one. A save therefore writes the new segment, any merged one and a small
manifest, never the whole index. Which segments to merge follows a
logarithmic rule (:func:`merge_plan`), so the total rewriting stays
O(n log n) however the documents arrive.

A save writes new segment folders, then a new version folder with the
manifest, then points ``CURRENT`` at it with an atomic rename; only then are
unreferenced folders deleted. A process killed at any point leaves the last
committed state readable. Vectors are compared by inner product, which on
unit vectors is cosine. Segments under :data:`HNSW_ABOVE` passages are searched
exactly (one matrix-vector product); larger ones through an HNSW graph
(Malkov & Yashunin, 2018) unless the index type says otherwise.

Each segment in the manifest names the tokenisation its keyword index was built with
(``"keywords"``; absent, 1, in segments written before codes were joined). A segment of
another one is not searched with its saved keyword index: that is rebuilt from its passages
in memory on first use (a notice on stderr says so once per load), and the next save
rewrites the segment. The format version is unchanged: new tokens only add to old ones, so
an older version of this package still reads a new index correctly.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from qa.ingest.splitting import Passage
from qa.store.families import decode_signature, encode_signature, minhash, regroup
from qa.store.keywords import (
    TOKENS_VERSION,
    bm25_scores,
    build_bm25,
    load_bm25,
    save_bm25,
    term_postings,
    top_scores,
)

FORMAT_VERSION = 3  # 3: documents carry their modification time, MinHash signature and family
INDEX_TYPES = ("auto", "flat", "hnsw")
HNSW_ABOVE = 200_000  # exact search of 200k x 384 takes ~20 ms on 2 cores (bench/scale.py); above, HNSW
MERGE_ALL_BELOW = 20_000  # an index this small is kept as one segment (one set of BM25 statistics)
MAX_DELETED = 0.3  # a segment with more tombstones than this share of its passages is rewritten
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128
REBUILD_HINT = "; remove the folder and build it again with 'qa index'"


class IndexLoadError(Exception):
    """An index folder is missing, incomplete or corrupt; the message says which."""


@dataclass
class DocumentEntry:
    """What the index holds of one document.

    ``sha256`` is its fingerprint, ``passages`` its passage count, ``modified`` its file's
    modification time (POSIX seconds; None when unknown, as in indexes of format 2),
    ``signature`` its MinHash signature (:func:`qa.store.families.encode_signature`; None in
    format 2) and ``family`` the id of its family of near-identical documents (versions of
    one report, :mod:`qa.store.families`), None when it has none.
    """

    sha256: str
    passages: int
    modified: float | None = None
    signature: str | None = None
    family: str | None = None


class _PassageFile:
    """Passages of a saved segment, read one line at a time from a memory map (nothing parsed up front)."""

    def __init__(self, path: Path, offsets: np.ndarray):
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map.size() != int(offsets[-1]):
            raise ValueError(f"{path.name} of {path.parent.name} has {self._map.size()} bytes, its offsets "
                             f"say {int(offsets[-1])}")
        self._offsets = offsets
        self._path = path

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> Passage:
        line = self._map[int(self._offsets[i]): int(self._offsets[i + 1])]
        try:
            return Passage(**json.loads(line))
        except (ValueError, TypeError) as e:
            raise IndexLoadError(f"index file {self._path} is corrupt (passage {i}: {e}){REBUILD_HINT}") from e


@dataclass
class _Segment:
    """Passages with their vectors and tombstones; ``name`` is None until written."""

    passages: list | _PassageFile
    vectors: np.ndarray
    live: np.ndarray  # bool (n,): False for a removed document's passages
    kind: str = "flat"  # "flat" (exact) or "hnsw"
    name: str | None = None
    bm25: object = None
    graph: object = None  # the FAISS HNSW index of an "hnsw" segment
    blocks: list = field(default_factory=list)  # vector blocks added since creation, joined on demand
    tokens: int = TOKENS_VERSION  # the tokenisation of its saved keyword index (qa.store.keywords)

    @property
    def size(self) -> int:
        return len(self.passages)

    def all_vectors(self) -> np.ndarray:
        if self.blocks:
            self.vectors = np.concatenate([self.vectors, *self.blocks])
            self.blocks = []
        return self.vectors

    def dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` live passages nearest to ``query``: (local id, inner product), best first."""
        if self.kind == "hnsw":
            return self._hnsw_search(query, k)
        scores = self.all_vectors() @ query
        scores = np.where(self.live, scores, -np.inf)
        return [(i, s) for i, s in top_scores(scores, k) if s > -np.inf]

    def _hnsw_search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        import faiss

        if self.graph is None:
            self.graph = build_hnsw(self.all_vectors())
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        if not self.live.all():
            bits = np.packbits(self.live, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(self.live), faiss.swig_ptr(bits))
        scores, ids = self.graph.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def keyword_index(self):
        """The segment's ``bm25s.BM25`` index, built from its passages when it has none (unsaved, or
        saved with an older tokenisation)."""
        if self.bm25 is None:
            self.bm25 = build_bm25([self.passages[i].text for i in range(self.size)])
        return self.bm25

    def keywords(self, question: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best live passages for ``question`` by BM25: (local id, score > 0), best first."""
        scores = bm25_scores(self.keyword_index(), question)
        if scores is None:
            return []
        scores = np.where(self.live, scores, 0.0)
        return [(i, s) for i, s in top_scores(scores, k) if s > 0]


def build_hnsw(vectors: np.ndarray):
    """A FAISS HNSW graph (inner product) over (n, dim) float32 unit vectors."""
    import faiss

    graph = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    graph.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return graph


def merge_plan(live: list[int], total: int | None = None) -> int:
    """How many of the newest segments to merge into one (0 or 1: none), given live counts oldest first.

    Everything is merged while the index holds at most :data:`MERGE_ALL_BELOW`
    passages; otherwise the newest segment absorbs older ones for as long as the
    older one is at most twice the size of what is being merged (a logarithmic
    merge policy, as in LSM trees: O(log n) segments, each passage rewritten
    O(log n) times).
    """
    total = sum(live) if total is None else total
    if len(live) > 1 and total <= MERGE_ALL_BELOW:
        return len(live)
    n, merged = 1, live[-1] if live else 0
    while n < len(live) and live[-n - 1] <= 2 * merged:
        merged += live[-n - 1]
        n += 1
    return n


@dataclass
class PassageIndex:
    """Passages with their unit vectors, searchable by inner product and by BM25.

    Passages are addressed by position: segments in order, each segment's
    passages in order. Positions of removed documents stay unused until the
    next save, which may renumber everything (a retrieval result is only
    valid until then).

    Attributes:
        embedding_model: the model the vectors came from (see ``Embedder.name``).
        dim: vector dimension.
        index_type: "auto" (exact search below :data:`HNSW_ABOVE` passages per
            segment, HNSW above), "flat" (always exact) or "hnsw" (always approximate).
        documents: source path -> :class:`DocumentEntry`.
    """

    embedding_model: str
    dim: int
    index_type: str = "auto"
    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    _segments: list[_Segment] = field(default_factory=list, repr=False)
    _where: dict = field(default_factory=dict, repr=False)  # source -> (segment, first passage)
    _regroup: set = field(default_factory=set, repr=False)  # sources whose family may have changed

    def __post_init__(self) -> None:
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"index type must be one of {INDEX_TYPES}, not {self.index_type!r}")

    def __len__(self) -> int:
        return sum(d.passages for d in self.documents.values())

    def _kind(self, n: int) -> str:
        if self.index_type == "auto":
            return "hnsw" if n >= HNSW_ABOVE else "flat"
        return self.index_type

    def _fresh(self) -> _Segment:
        """The unsaved segment that takes new documents (created on first use)."""
        if not self._segments or self._segments[-1].name is not None:
            empty = np.zeros((0, self.dim), dtype=np.float32)
            self._segments.append(_Segment([], empty, np.zeros(0, dtype=bool)))
        return self._segments[-1]

    def add_document(self, source: str, sha256: str, passages: list[Passage],
                     vectors: np.ndarray, modified: float | None = None) -> None:
        """Add (or replace) one document's passages and their (n, dim) vectors; ``modified`` is
        its file's modification time (POSIX seconds). Its MinHash signature is taken from the
        passages, and its family is found at the next :meth:`save` or :meth:`family_of`.

        Raises:
            ValueError: ``vectors`` is not of shape (len(passages), dim).
        """
        if vectors.shape != (len(passages), self.dim):
            raise ValueError(f"vectors of shape {vectors.shape}, expected ({len(passages)}, {self.dim})")
        if source in self.documents:
            self.remove_documents([source])
        seg = self._fresh()
        self._where[source] = (seg, seg.size)
        seg.passages.extend(passages)
        seg.blocks.append(np.asarray(vectors, dtype=np.float32))  # joined once, not copied per document
        seg.live = np.concatenate([seg.live, np.ones(len(passages), dtype=bool)])
        seg.bm25 = seg.graph = None
        signature = encode_signature(minhash("\n".join(p.text for p in passages)))
        self.documents[source] = DocumentEntry(sha256, len(passages), modified, signature)
        self._regroup.add(source)

    def move_document(self, old: str, new: str, sha256: str) -> None:
        """Re-file document ``old`` under the source ``new`` (a file moved or renamed with its content
        unchanged): its passages, renamed, and their vectors are added again, nothing is embedded.

        Raises:
            KeyError: ``old`` is not indexed.
        """
        seg, first = self._where[old]
        rows = range(first, first + self.documents[old].passages)
        passages = [replace(seg.passages[i], source=new) for i in rows]
        vectors = np.array(seg.all_vectors()[first: first + len(rows)], dtype=np.float32)
        modified = self.documents[old].modified
        self.remove_documents([old])
        self.add_document(new, sha256, passages, vectors, modified)

    def remove_documents(self, sources: list[str]) -> None:
        """Drop these documents (their passages become tombstones); unknown sources are ignored."""
        for source in set(sources) & set(self.documents):
            seg, first = self._where.pop(source)
            seg.live = seg.live.copy()  # a loaded mask may be shared; never write through it
            entry = self.documents.pop(source)
            seg.live[first: first + entry.passages] = False
            if entry.family is not None:  # the rest of its family may fall apart
                self._regroup |= {s for s, d in self.documents.items() if d.family == entry.family}
            self._regroup.discard(source)

    def family_of(self, source: str) -> list[str]:
        """The documents of ``source``'s family of near-identical documents, itself included,
        sorted; ``[source]`` when it has none (or is not indexed)."""
        self._settle_families()
        entry = self.documents.get(source)
        if entry is None or entry.family is None:
            return [source]
        return sorted(s for s, d in self.documents.items() if d.family == entry.family)

    def _settle_families(self) -> None:
        """Find the families of the documents added or changed since the last call
        (:func:`qa.store.families.regroup`: only those and the documents they touch are looked at)."""
        if not self._regroup:
            return
        signatures = {}
        for source, d in self.documents.items():
            if d.signature:
                try:
                    signatures[source] = decode_signature(d.signature)
                except ValueError:
                    continue
        found = regroup(signatures, {s: d.family for s, d in self.documents.items()}, self._regroup)
        for source, family in found.items():
            self.documents[source].family = family
        self._regroup.clear()

    def _offsets(self) -> list[int]:
        out, at = [], 0
        for seg in self._segments:
            out.append(at)
            at += seg.size
        return out

    def passage(self, position: int) -> Passage:
        """The passage at a position returned by :meth:`search` or :meth:`keyword_search`."""
        offsets = self._offsets()
        s = bisect.bisect_right(offsets, position) - 1
        return self._segments[s].passages[position - offsets[s]]

    def vector(self, position: int) -> np.ndarray:
        """The unit vector (dim,) of the passage at ``position``."""
        offsets = self._offsets()
        s = bisect.bisect_right(offsets, position) - 1
        return np.asarray(self._segments[s].all_vectors()[position - offsets[s]], dtype=np.float32)

    @property
    def passages(self) -> list[Passage]:
        """All live passages, in position order (reads every one: for small indexes and tests)."""
        return [seg.passages[i] for seg in self._segments for i in np.flatnonzero(seg.live)]

    @property
    def vectors(self) -> np.ndarray:
        """The live passages' unit vectors, float32 (len(self), dim), in the order of :attr:`passages`."""
        parts = [seg.all_vectors()[seg.live] for seg in self._segments]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def passages_of(self, source: str) -> list[Passage]:
        """The passages of one document, in reading order (empty for an unknown source)."""
        if source not in self._where:
            return []
        seg, first = self._where[source]
        found = [seg.passages[i] for i in range(first, first + self.documents[source].passages)]
        return sorted(found, key=lambda p: p.start)

    def _merged(self, per_segment: list[list[tuple[int, float]]], k: int) -> list[tuple[int, float]]:
        offsets = self._offsets()
        hits = [(offsets[s] + i, float(score)) for s, found in enumerate(per_segment) for i, score in found]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` live passages nearest to a unit query vector of shape (dim,).

        Returns (passage position, inner product) pairs, best first.
        """
        if k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        return self._merged([seg.dense(query, k) if seg.live.any() else [] for seg in self._segments], k)

    def keyword_search(self, question: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best live passages for ``question`` by BM25 (see :mod:`qa.store.keywords`).

        Returns (passage position, score > 0) pairs, best first; BM25 statistics
        are per segment, as in Lucene, and an index under :data:`MERGE_ALL_BELOW`
        passages is one segment.
        """
        if k <= 0:
            return []
        return self._merged([seg.keywords(question, k) if seg.live.any() else [] for seg in self._segments], k)

    def term_counts(self, terms: list[str], positions: list[int]) -> np.ndarray:
        """How many of ``terms`` (tokens of :func:`qa.store.keywords.bm25_tokens`, such as the codes
        of :func:`qa.store.keywords.code_terms`) the passage at each of ``positions`` holds: an int
        array of ``len(positions)``. Only the given passages are looked at, so a code found in a
        million passages costs no more than a rare one."""
        at = np.asarray(positions, dtype=np.int64)
        counts = np.zeros(len(at), dtype=np.int64)
        for lo, seg in zip(self._offsets(), self._segments):
            mine = (at >= lo) & (at < lo + seg.size)
            if not mine.any():
                continue
            for term in terms:
                counts[mine] += np.isin(at[mine] - lo, term_postings(seg.keyword_index(), term))
        return counts

    @property
    def stale_keywords(self) -> bool:
        """Whether a saved segment's keyword index has another tokenisation than this version's
        (it is rebuilt in memory when searched, and rewritten by the next :meth:`save`)."""
        return any(s.name is not None and s.tokens != TOKENS_VERSION for s in self._segments)

    def manifest(self) -> dict:
        """The manifest of the saved state (segment names must be assigned)."""
        return {
            "format_version": FORMAT_VERSION,
            "embedding_model": self.embedding_model,
            "dim": self.dim,
            "index_type": self.index_type,
            "segments": [{"name": s.name, "passages": s.size, "kind": s.kind, "keywords": s.tokens}
                         for s in self._segments],
            "documents": {src: {**asdict(d), "segment": self._where[src][0].name, "first": self._where[src][1]}
                          for src, d in self.documents.items()},
        }

    def save(self, folder: str | Path) -> None:
        """Write what changed since loading into ``folder`` atomically (see the module docstring)."""
        self._settle_families()
        folder = Path(folder)
        (folder / "segments").mkdir(parents=True, exist_ok=True)
        self._segments = [s for s in self._segments if s.live.any()]
        if self._segments and self._segments[-1].name is None:
            self._rewrite(folder, [self._segments[-1]])
        for seg in [s for s in self._segments if (~s.live).sum() > MAX_DELETED * s.size
                    or s.kind != self._kind(s.size) or s.tokens != TOKENS_VERSION]:
            # many tombstones, the index type changed, or keywords of an older tokenisation
            self._rewrite(folder, [seg])
        n = merge_plan([int(s.live.sum()) for s in self._segments])
        if n > 1:
            self._rewrite(folder, self._segments[-n:])
        self._commit(folder)

    def _rewrite(self, folder: Path, run: list[_Segment]) -> None:
        """Write the live passages of consecutive segments ``run`` as one new segment replacing them."""
        passages, vectors, moved = [], [], {}
        for seg in run:
            keep = np.flatnonzero(seg.live)
            new_id = {int(i): len(passages) + j for j, i in enumerate(keep)}
            moved[id(seg)] = new_id
            passages.extend(seg.passages[int(i)] for i in keep)
            vectors.append(seg.all_vectors()[keep])
        vectors = np.concatenate(vectors) if vectors else np.zeros((0, self.dim), dtype=np.float32)
        merged = _Segment(passages, vectors, np.ones(len(passages), dtype=bool), self._kind(len(passages)))
        merged.name = _write_segment(folder / "segments", merged)
        for source, (seg, first) in list(self._where.items()):
            if id(seg) in moved:
                self._where[source] = (merged, moved[id(seg)][first])
        at = self._segments.index(run[0])
        self._segments[at: at + len(run)] = [merged]

    def _commit(self, folder: Path) -> None:
        """Write the manifest as a new version, point CURRENT at it, delete what is no longer used."""
        current = _current_version(folder)
        known = _versions(folder) + ([current] if current else [])
        n = max((int(v[1:]) for v in known), default=0) + 1  # past any folder a killed save left
        name = f"v{n:06d}"
        tmp = folder / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        (tmp / "manifest.json").write_text(json.dumps(self.manifest(), indent=1, ensure_ascii=False))
        _fsync_tree(tmp)
        os.replace(tmp, folder / name)
        pointer = folder / ".CURRENT.tmp"
        pointer.write_text(name)
        os.replace(pointer, folder / "CURRENT")
        used = {s.name for s in self._segments}
        for old in folder.glob("v[0-9]*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        for old in (folder / "segments").iterdir():
            if old.name not in used:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: str | Path) -> PassageIndex:
        """Open the live version of an index folder; vectors, passages and BM25 stay on disk, memory-mapped.

        Raises:
            IndexLoadError: no index there, or its files are missing or corrupt.
        """
        folder = Path(folder)
        version = _current_version(folder)
        if version is None:
            raise IndexLoadError(f"no index in {folder} (run 'qa index' first)")
        try:
            manifest = json.loads((folder / version / "manifest.json").read_text())
            if not isinstance(manifest, dict):
                raise TypeError("the manifest is not a JSON object")
            if manifest.get("format_version") not in (1, 2, FORMAT_VERSION):
                raise IndexLoadError(
                    f"index in {folder} has format {manifest.get('format_version')}, this version reads "
                    f"{FORMAT_VERSION}{REBUILD_HINT}")
            if manifest["format_version"] == 1:
                return _load_v1(folder / version, manifest)
            index = cls(manifest["embedding_model"], manifest["dim"], manifest["index_type"])
            named = {}
            for meta in manifest["segments"]:
                seg = _read_segment(folder / "segments" / meta["name"], meta, index.dim)
                index._segments.append(seg)
                named[seg.name] = seg
            for seg in index._segments:
                seg.live = np.zeros(seg.size, dtype=bool)
            for source, d in manifest["documents"].items():
                seg, first = named[d["segment"]], int(d["first"])
                if first < 0 or first + d["passages"] > seg.size:
                    raise ValueError(f"document {source} lies outside its segment")
                seg.live[first: first + d["passages"]] = True
                index.documents[source] = DocumentEntry(d["sha256"], int(d["passages"]), d.get("modified"),
                                                        d.get("signature"), d.get("family"))
                index._where[source] = (seg, first)
        except IndexLoadError:
            raise
        except (OSError, ValueError, TypeError, KeyError, RuntimeError, AttributeError) as e:
            raise IndexLoadError(f"index in {folder} is corrupt or incomplete: "
                                 f"{type(e).__name__}: {e}{REBUILD_HINT}") from e
        if index.stale_keywords:
            print(f"index in {folder}: its keyword index predates the matching of codes written "
                  "apart (AP-1012, AP1012, ap 1012); it is rebuilt in memory when first searched, "
                  f"and saved when its documents are next indexed ('qa index DOCS --index {folder}')",
                  file=sys.stderr)
        return index


def _write_segment(root: Path, seg: _Segment) -> str:
    """Write a segment into a new folder under ``root`` (via a temporary name); returns its name."""
    taken = [int(p.name[1:]) for p in root.glob("s[0-9]*")]
    name = f"s{max(taken, default=0) + 1:06d}"
    tmp = root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    offsets = [0]
    with open(tmp / "passages.jsonl", "wb") as f:
        for p in seg.passages:
            line = (json.dumps(asdict(p), ensure_ascii=False) + "\n").encode("utf-8")
            f.write(line)
            offsets.append(offsets[-1] + len(line))
    np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
    np.save(tmp / "vectors.npy", np.ascontiguousarray(seg.all_vectors(), dtype=np.float32))
    seg.bm25 = build_bm25([p.text for p in seg.passages])
    save_bm25(seg.bm25, tmp / "bm25")
    if seg.kind == "hnsw":
        import faiss

        seg.graph = seg.graph or build_hnsw(seg.vectors)
        faiss.write_index(seg.graph, str(tmp / "hnsw.index"))
    _fsync_tree(tmp)
    os.replace(tmp, root / name)
    return name


def _read_segment(path: Path, meta: dict, dim: int) -> _Segment:
    """Open a written segment: passages, vectors and BM25 memory-mapped; an HNSW graph read."""
    offsets = np.load(path / "offsets.npy", mmap_mode="r")
    vectors = np.load(path / "vectors.npy", mmap_mode="r")
    n = int(meta["passages"])
    if vectors.shape != (n, dim) or len(offsets) != n + 1 or vectors.dtype != np.float32:
        raise ValueError(f"segment {meta['name']}: vector, offset and passage counts differ")
    tokens = int(meta.get("keywords", 1))
    bm25 = load_bm25(path / "bm25") if tokens == TOKENS_VERSION else None  # else rebuilt when searched
    seg = _Segment(_PassageFile(path / "passages.jsonl", offsets), vectors, np.ones(n, dtype=bool),
                   meta["kind"], meta["name"], bm25, tokens=tokens)
    if seg.kind == "hnsw":
        import faiss

        # the graph's vector storage stays on disk, memory-mapped: a 1M-passage graph opens in 0.1 s, not 4
        seg.graph = faiss.read_index(str(path / "hnsw.index"), faiss.IO_FLAG_MMAP_IFC)
        if seg.graph.ntotal != n:
            raise ValueError(f"segment {meta['name']}: HNSW graph and passage counts differ")
    return seg


def _load_v1(path: Path, manifest: dict) -> PassageIndex:
    """Read a format-1 index (one folder of passages and vectors) as unsaved; the next save writes format 2."""
    with open(path / "passages.jsonl", encoding="utf-8") as f:
        passages = [Passage(**json.loads(line)) for line in f]
    vectors = np.load(path / "vectors.npy")
    if vectors.shape != (len(passages), manifest["dim"]):
        raise ValueError("vector and passage counts differ")
    index = PassageIndex(manifest["embedding_model"], manifest["dim"])
    firsts: dict[str, int] = {}
    for i, p in enumerate(passages):
        firsts.setdefault(p.source, i)
    for source, d in manifest["documents"].items():
        first = firsts[source]
        index.add_document(source, d["sha256"], passages[first: first + d["passages"]],
                           vectors[first: first + d["passages"]])
    return index


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
        versions = _versions(folder)
        hint = (f"; the newest complete version is {versions[-1]}: write that name into "
                f"{folder / 'CURRENT'} to open it" if versions else REBUILD_HINT)
        raise IndexLoadError(f"index in {folder} is corrupt or incomplete: CURRENT names "
                             f"missing version {name!r}{hint}")
    return name


def live_version(folder: str | Path) -> str | None:
    """The name of the index's live version (``v000007``; it changes with every save), or None
    when there is no index: what read-only copies of an index (Ray Serve replicas) poll.

    Raises:
        IndexLoadError: ``CURRENT`` names a version that is not there.
    """
    return _current_version(Path(folder))


def _fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder`` (sub-folders included) to disk."""
    for f in folder.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())


@contextmanager
def index_lock(folder: str | Path) -> Iterator[None]:
    """Hold the index folder's writer lock (``LOCK``, an exclusive ``flock``) for a load-change-save.

    Two writers at once would each save their own view and the later would
    drop what the earlier added; the second one waits here instead, saying
    so on stderr. Readers need no lock (every save is atomic). Where ``fcntl``
    does not exist (Windows) nothing is locked.

    Raises:
        NotADirectoryError: ``folder`` is a file.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not an index folder")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / "LOCK", "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another process is updating the index in {folder}; waiting for it", file=sys.stderr)
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def internal_paths(folder: str | Path) -> list[Path]:
    """The files and folders of an index's own format inside ``folder`` (segments, versions,
    ``CURRENT``, ``LOCK``): what must never be indexed as documents. Other files kept there
    (the chat page's uploads) are not among them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir()
            if p.name in ("segments", "CURRENT", "LOCK") or (p.name[:1] == "v" and p.name[1:].isdigit())]


def index_exists(folder: str | Path) -> bool:
    """Whether ``folder`` holds an index (a ``CURRENT`` pointer or a committed version; it may
    still prove corrupt)."""
    return (Path(folder) / "CURRENT").is_file() or bool(_versions(Path(folder)))
