"""Families of near-identical documents (versions of one report) and which of them is current.

A document's text is summarised by a MinHash signature (Broder, "On the resemblance and
containment of documents", 1997): for each of :data:`PERMUTATIONS` hash functions, the least
hash over the document's word 5-shingles. The share of positions where two signatures agree
estimates the Jaccard similarity of the two shingle sets (standard error about
``sqrt(J (1 - J) / 64)``, 0.06 at J = 0.5). Documents whose estimate reaches
:data:`FAMILY_SIMILARITY` are linked, and a family is a connected group of linked documents
(the same report as PDF and DOCX, its drafts). Candidate pairs come from locality-sensitive
hashing over bands of the signature (Indyk & Motwani, 1998; the banding of Leskovec,
Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3), so adding documents to a large index
never compares every pair.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

PERMUTATIONS = 64
SHINGLE_WORDS = 5
BANDS, ROWS = 16, 4  # 16 bands of 4 signature values: a pair at J = 0.6 is a candidate with p = 0.89
FAMILY_SIMILARITY = 0.6  # estimated Jaccard of word 5-shingles from which two documents are versions
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(1997)
_A = _rng.integers(1, 1 << 31, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, PERMUTATIONS, dtype=np.uint64)
_CHUNK = 8192  # shingles hashed at a time (bounds memory: 8192 x 64 x 8 bytes)


def shingle_hashes(text: str) -> np.ndarray:
    """The distinct 32-bit hashes (uint32, shape (n,)) of the word 5-shingles of ``text``, words
    lower-cased (a text of fewer words is one shingle; an empty text has none)."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return np.zeros(0, dtype=np.uint32)
    n = max(1, len(words) - SHINGLE_WORDS + 1)
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]) for i in range(n)}
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=4).digest() for s in shingles)
    return np.frombuffer(digests, dtype="<u4")


def minhash(text: str) -> np.ndarray:
    """The MinHash signature of ``text``: uint32, shape (:data:`PERMUTATIONS`,); all ones
    (``0xFFFFFFFF``) for a text without words. Hash functions ``(a x + b) mod (2^61 - 1)``,
    the low 32 bits kept."""
    signature = np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint64)
    hashes = shingle_hashes(text).astype(np.uint64)
    for lo in range(0, len(hashes), _CHUNK):
        x = hashes[lo:lo + _CHUNK, None]
        values = ((_A * x + _B) % np.uint64(_PRIME)) & np.uint64(0xFFFFFFFF)
        signature = np.minimum(signature, values.min(axis=0))
    return signature.astype(np.uint32)


def encode_signature(signature: np.ndarray) -> str:
    """A signature as base64 text (344 characters), as the index manifest keeps it."""
    return base64.b64encode(np.asarray(signature, dtype="<u4").tobytes()).decode("ascii")


def decode_signature(text: str) -> np.ndarray:
    """The inverse of :func:`encode_signature`.

    Raises:
        ValueError: not a signature of :data:`PERMUTATIONS` values.
    """
    values = np.frombuffer(base64.b64decode(text), dtype="<u4")
    if values.shape != (PERMUTATIONS,):
        raise ValueError(f"a signature holds {PERMUTATIONS} values, not {values.size}")
    return values


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures, in [0, 1]."""
    return float(np.mean(a == b))


def _candidates(signatures: dict[str, np.ndarray], among: set[str]) -> set[tuple[str, str]]:
    """Pairs (sorted) of documents sharing a band of their signatures, at least one in ``among``."""
    buckets: dict[tuple[int, bytes], list[str]] = defaultdict(list)
    for source, sig in signatures.items():
        for band in range(BANDS):
            buckets[(band, sig[band * ROWS:(band + 1) * ROWS].tobytes())].append(source)
    pairs = set()
    for members in buckets.values():
        if len(members) > 1 and among.intersection(members):
            pairs.update((a, b) if a < b else (b, a) for a in members for b in members if a != b
                         and (a in among or b in among))
    return pairs


def regroup(signatures: dict[str, np.ndarray], families: dict[str, str | None],
            changed: Iterable[str]) -> dict[str, str | None]:
    """Families after the documents ``changed`` were added, replaced or lost family members.

    Args:
        signatures: source -> signature of every indexed document that has one.
        families: source -> family id (its first member's source, sorted) or None, as recorded.
        changed: sources added or replaced, and the remaining members of families that lost one.

    Returns:
        The new family id of every document whose family may have changed (others keep theirs):
        the changed documents, the members of their recorded families and of the families of
        the documents they are now linked to.
    """
    changed = set(changed) & set(signatures)
    if not changed:
        return {}
    pairs = {(a, b) for a, b in _candidates(signatures, changed)
             if similarity(signatures[a], signatures[b]) >= FAMILY_SIMILARITY}
    touched = changed | {s for pair in pairs for s in pair}
    ids = {families.get(s) for s in touched} - {None}
    touched |= {s for s, f in families.items() if f in ids and s in signatures}
    pairs |= {(a, b) for a, b in _candidates(signatures, touched - changed)
              if a in touched and b in touched and similarity(signatures[a], signatures[b]) >= FAMILY_SIMILARITY}
    return _components(touched, pairs)


def _components(nodes: set[str], pairs: set[tuple[str, str]]) -> dict[str, str | None]:
    """Connected components (union-find): node -> the smallest node of its component, None alone."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[root(n)].append(n)
    return {n: (min(members) if len(members) > 1 else None) for members in groups.values() for n in members}


_FINAL = re.compile(r"(?:^|[^a-z])(?:final|approved|published|signed|released?)(?:[^a-z]|$)")
_DRAFT = re.compile(r"(?:^|[^a-z])(?:draft|wip|old|obsolete|superseded|backup|bak|copy|prelim(?:inary)?|"
                    r"tmp|temp|outdated)(?:[^a-z]|$)")
_VERSION = re.compile(r"(?:^|[^a-z])(?:v|ver|version|rev|revision)[\s._-]?(\d+)(?:\D|$)")


def currency(source: str, modified: float | None) -> tuple[int, int, float]:
    """How current a person takes a version to be, for sorting (larger is more current).

    ``(status, version, modified)``: status 2 when the file name says final (approved,
    published, signed, release), 0 when it says draft (wip, old, obsolete, superseded, backup,
    copy, preliminary), else 1; version the highest number after ``v``, ``ver``, ``version``,
    ``rev`` or ``revision`` in the name (``report_v2``, ``plan-rev3``), else 0; then the file's
    modification time (POSIX seconds, 0 when unknown). What the name says comes first: a draft
    opened and saved after the final is still the draft.
    """
    name = re.sub(r"\.[A-Za-z0-9]+$", "", source.replace("\\", "/").rsplit("/", 1)[-1]).lower()
    status = 2 if _FINAL.search(name) else 0 if _DRAFT.search(name) else 1
    version = max((int(v) for v in _VERSION.findall(name)), default=0)
    return status, version, modified or 0.0


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def same_value(a: str, b: str) -> bool:
    """Whether two answers say the same: equal up to case, punctuation and spacing, one inside the
    other ("1998" and "in 1998"), or the same numbers ("48.2 million euros", "EUR 48.2 million")."""
    wa, wb = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    if not wa or not wb:
        return a.strip() == b.strip()
    ta, tb = " ".join(wa), " ".join(wb)
    if ta == tb or f" {ta} " in f" {tb} " or f" {tb} " in f" {ta} ":
        return True
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    return bool(na) and sorted(na) == sorted(nb)
