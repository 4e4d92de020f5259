"""The pipeline: documents into an index, and questions into answers.

``build_index`` runs loading -> splitting -> embedding -> index for a set of
paths, incrementally. ``QA`` runs retrieval -> reading for a question and
maps answer spans back to their documents.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from qa.answer.citing import cite  # noqa: F401 - where it was first defined; used by qa.apps.webapp and others
from qa.answer.followup import Turn, may_refer_back, resolve
from qa.answer.questions import MAX_QUESTION_CHARS, mend_question_word
from qa.answer.reading import Reader, Span, point_name
from qa.answer.retrieval import RetrievedPassage, Retriever
from qa.answer.verify import contradicts, keyed_value
from qa.ingest.loading import (
    ATTACHMENT_SEP,
    EXTRACTION_VERSION,
    Document,
    Limits,
    Page,
    Skipped,
    container_of,
    iter_files,
)
from qa.ingest.loading.workers import load_in_workers
from qa.ingest.splitting import Passage, Splitter
from qa.store.embedding import Embedder
from qa.store.families import currency, same_value
from qa.store.index import PassageIndex, index_exists, index_lock, internal_paths

# Answers are ranked by span probability * exp(-RANK_DECAY * retrieval rank). On the first 1,000
# questions of SQuAD dev part A (open mode, top-5) this lifted F1 from 57.5 to 64.0; 0.5-0.7 was
# the plateau (bench notes in README). 0 ranks by the reader's probability alone.
RANK_DECAY = 0.5
EMBED_BATCH = 256  # passages from several small files are embedded together, in batches this large
DEFAULT_INDEX = "index"
DEFAULT_DOCS = "seeds"


class QuestionError(ValueError):
    """The question cannot be asked (e.g. it is empty)."""


@dataclass
class IndexReport:
    """What one ``build_index`` call did, by source path.

    ``not_indexed`` lists ``remove`` paths that matched no indexed document;
    ``missing`` lists indexed documents whose file no longer exists (kept in
    the index); ``pruned`` those of them that ``prune`` removed (also in
    ``removed``); ``moved`` pairs (old source, new source) of documents found
    under a new path with the same content, re-filed without embedding again;
    ``retimed`` unchanged or moved documents whose file's modification time changed (recorded).
    ``notes`` holds what a person should know about how a file was read, by
    source (a scanned page where OCR found no text), and ``ocr_pages`` counts
    the pages read by OCR.
    """

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    not_indexed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    ocr_pages: int = 0
    retimed: list[str] = field(default_factory=list)
    passages: int = 0

    def summary(self) -> str:
        """One line: counts of each outcome and the index's size."""
        missing = f", {len(self.missing)} missing (kept)" if self.missing else ""
        moved = f", {len(self.moved)} moved" if self.moved else ""
        ocr = f", {self.ocr_pages} page{'' if self.ocr_pages == 1 else 's'} read by OCR" if self.ocr_pages else ""
        plural = "" if self.passages == 1 else "s"
        return (f"{len(self.added)} added, {len(self.updated)} updated{moved}, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped{missing}{ocr}; {self.passages} passage{plural} in the index")


def _source_key(path: Path) -> str:
    return str(path.resolve())


def build_index(
    index_dir: str | Path = DEFAULT_INDEX,
    paths: list[str | Path] | str | Path | None = None,
    remove: list[str | Path] | str | Path | None = None,
    embedder: Embedder | None = None,
    splitter: Splitter | None = None,
    index_type: str | None = None,
    progress: bool = False,
    prune: bool = False,
    on_file: Callable[[int, int, str], None] | None = None,
    ray: str | None = None,
    limits: Limits | None = None,
    on_page: Callable[[str, int, int], None] | None = None,
) -> IndexReport:
    """Add, update and remove documents in the index at ``index_dir``.

    New files under ``paths`` are added, files whose content hash changed are
    re-indexed, unchanged ones are skipped; indexed documents under a
    ``remove`` path are dropped. An indexed document whose file is gone (an
    unmounted drive, a renamed folder) is only reported in ``missing``, unless
    ``prune`` asks to drop such documents; if a new file has its content, the
    file was moved, and the document is re-filed under its new path (``moved``). Files that cannot be loaded are
    reported in ``skipped`` and do not stop the rest. The index is written
    atomically once, at the end. ``on_page(path, page, pages)`` is called as a page of a PDF or an
    image is read (OCR'd pages take seconds each). ``on_file(i, n, path)`` is called before the
    i-th of n files (from 0), for progress displays. ``ray`` names a Ray cluster
    ("auto", "local" or an address) to load, split and embed on (:mod:`qa.cluster`). Locally, files are
    read in worker processes, several at once, each within ``limits`` (:class:`qa.ingest.loading.Limits`:
    sizes, pages, archive expansion, memory and time; the defaults when None); a file past a limit,
    or whose reading fails in any way, is a named skip. A Python script that calls this must run under
    ``if __name__ == "__main__":`` (the worker processes are spawned).

    Raises:
        FileNotFoundError: a path in ``paths`` does not exist.
        ValueError: ``embedder`` is not the model the existing index was built with.
        IndexLoadError: the existing index is corrupt.
        ImportError: ``ray`` is given but the ``cluster`` extra is not installed.
        ConnectionError: no Ray cluster at ``ray``.
        qa.ingest.loading.workers.WorkersUnavailable: worker processes cannot start.
        TypeError: ``index_dir`` is not one path (documents go in ``paths``, the second argument).
    """
    if not isinstance(index_dir, (str, os.PathLike)):
        raise TypeError(f"index_dir must be one folder path, not {type(index_dir).__name__}; the documents to "
                        "index go in paths, the second argument: build_index('index', ['docs/'])")
    index_dir = Path(index_dir)
    paths = [paths] if isinstance(paths, (str, Path)) else paths
    remove = [remove] if isinstance(remove, (str, Path)) else remove
    roots = [_source_key(Path(r)) for r in remove or []]
    own = [_source_key(p) for p in internal_paths(index_dir)]  # never the index's own files
    files = [f for f in iter_files(paths or [])
             if not _under(_source_key(f), roots + own)]  # --remove wins over a folder that holds the file
    embedder = embedder or Embedder()
    with index_lock(index_dir):
        return _update(index_dir, files, remove or [], embedder, splitter, index_type, progress, prune,
                       on_file, ray, limits, on_page)


def _under(key: str, roots: list[str]) -> bool:
    """Whether a source key is one of ``roots`` or inside one of them (a file in a folder, an
    attachment in a mail)."""
    return any(key == r or key.startswith((r.rstrip("/") + "/", r + ATTACHMENT_SEP))
               for r in roots)


def _attachments_of(index: PassageIndex, key: str) -> list[str]:
    """The indexed attachments of the mail indexed as ``key`` (``"{key} › {name}"``)."""
    return [s for s in index.documents if s.startswith(key + ATTACHMENT_SEP)]


def _update(index_dir: Path, files: list[Path], remove: list[str | Path], embedder: Embedder,
            splitter: Splitter | None, index_type: str | None, progress: bool, prune: bool,
            on_file: Callable[[int, int, str], None] | None, ray: str | None,
            limits: Limits | None = None, on_page: Callable[[str, int, int], None] | None = None
            ) -> IndexReport:
    """The body of :func:`build_index`, run under the index's writer lock."""
    if index_exists(index_dir):
        index = PassageIndex.load(index_dir)
        if index.embedding_model != embedder.name:
            raise ValueError(
                f"{index_dir} was built with embedding model {index.embedding_model!r}; "
                f"refusing to add vectors from {embedder.name!r} (use another --index folder)")
    else:
        index = PassageIndex(embedder.name, embedder.dim, index_type or "auto")
    retyped = bool(index_type) and index_type != index.index_type
    if retyped:
        index.index_type = index_type  # the next save rewrites segments of another kind
    report = IndexReport()
    gone: list[str] = []
    for r in remove:
        matched = [s for s in index.documents if _under(s, [_source_key(Path(r))])]
        if not matched:
            report.not_indexed.append(str(r))
        gone += matched
    index.remove_documents(gone)
    report.missing = sorted(s for s in index.documents if not Path(container_of(s)).exists())
    missing = _by_fingerprint(index, [m for m in report.missing if container_of(m) == m])  # files, not attachments
    if ray:
        _index_on_ray(index, embedder, files, ray, report, missing)
    else:
        _index_locally(index, embedder, splitter or Splitter(embedder.model.tokenizer), files, report,
                       missing, progress, on_file, limits, on_page)
    moved = {old for old, _ in report.moved}
    report.missing = [m for m in report.missing if m not in moved]
    if prune:  # after moves are found: a moved file is re-filed, not pruned and embedded again
        report.pruned, report.missing = report.missing, []
        index.remove_documents(report.pruned)
    report.removed = sorted(set(gone) | set(report.pruned))
    report.passages = len(index)
    if (report.added or report.updated or report.removed or report.moved or report.retimed or retyped
            or index.stale_keywords or not index_exists(index_dir)):  # stale: keywords of older tokens
        index.save(index_dir)
    return report


def _index_locally(index: PassageIndex, embedder: Embedder, splitter: Splitter, files: list[Path],
                   report: IndexReport, missing: dict[str, list[str]], progress: bool,
                   on_file: Callable[[int, int, str], None] | None, limits: Limits | None = None,
                   on_page: Callable[[str, int, int], None] | None = None) -> None:
    """Load new or changed ``files`` in worker processes (:mod:`qa.ingest.loading.workers`: each file under
    ``limits``, several at once), split and embed them here, adding them to ``index`` (or re-filing a
    ``missing`` document that a new file holds, see :func:`_refile_moved`)."""
    pending: list[tuple[str, str, list[Passage], bool]] = []  # split, waiting to be embedded together
    bar = tqdm(total=len(files), desc="indexing", unit="file", disable=not progress)
    started, embedded, count = time.perf_counter(), 0, iter(range(len(files)))

    def starting(f: Path) -> None:
        if on_file:
            on_file(next(count), len(files), str(f))

    def page_read(f: Path, page: int, pages: int) -> None:
        bar.set_postfix_str(f"{f.name}: page {page} of {pages}")
        if on_page:
            on_page(str(f), page, pages)

    for f, out in load_in_workers(_to_load(index, files, report, missing, starting), limits,
                                  on_start=starting, on_page=page_read):
        bar.update(1)
        key = _source_key(f)
        if isinstance(out, Skipped):
            report.skipped.append(Skipped(str(f), out.reason + _kept_note(index, key)))
            continue
        entry = index.documents.get(key)
        if entry and entry.sha256 == fingerprint(out.sha256):  # changed back while it was read
            report.unchanged.append(key)
            continue
        _note(report, key, out)
        pending.extend(_with_attachments(index, report, out, key, splitter))
        if sum(len(p) for _, _, p, _ in pending) >= EMBED_BATCH:
            embedded += _embed_and_add(index, embedder, pending, report)
            rate = embedded / (time.perf_counter() - started)
            bar.set_postfix_str(f"{embedded} passages, {rate:.0f} passages/s")
    bar.update(bar.total - bar.n)
    bar.close()
    _embed_and_add(index, embedder, pending, report)


def _to_load(index: PassageIndex, files: list[Path], report: IndexReport, missing: dict[str, list[str]],
             starting: Callable[[Path], None]) -> Iterator[Path]:
    """The ``files`` that need reading: each once, and neither unchanged (same bytes and loaders as
    indexed) nor moved (re-filed instead); those are reported here, from their bytes' hash alone."""
    seen: set[str] = set()
    for f in files:
        key = _source_key(f)
        if key in seen:  # the same file again (a symbolic link, or named twice)
            continue
        seen.add(key)
        entry = index.documents.get(key)
        if entry is not None or missing:
            print_ = _file_fingerprint(f)
            if entry is not None and entry.sha256 == print_:
                starting(f)
                report.unchanged.append(key)
                _retime(index, key, report)
                continue
            if entry is None and print_ and _refile_moved(index, report, missing, key, print_):
                starting(f)
                _retime(index, key, report)
                continue
        yield f


def _file_fingerprint(path: Path) -> str | None:
    """The :func:`fingerprint` of a file's bytes, hashed as it streams by; None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None  # the worker names why
    return fingerprint(digest.hexdigest())


def _with_attachments(index: PassageIndex, report: IndexReport, doc: Document, key: str,
                      splitter: Splitter) -> list[tuple[str, str, list[Passage], bool]]:
    """A new or changed document (indexed as ``key``) and its attachments, split, ready to embed:
    ``(key, fingerprint, passages, indexed before)`` each. The attachments indexed with an earlier
    version of the mail are dropped (the new ones replace them); attachments that cannot be read
    go to ``report.skipped``."""
    before = set(_attachments_of(index, key))
    index.remove_documents(sorted(before))
    out = []
    path, known = doc.source, before | ({key} if key in index.documents else set())
    for d in [doc, *doc.attachments]:
        d.source = key + d.source[len(path):]
        out.append((d.source, fingerprint(d.sha256), splitter.split(d), d.source in known))
    report.skipped.extend(doc.skipped)
    return out


def _note(report: IndexReport, key: str, doc: Document) -> None:
    """Count a loaded document's pages read by OCR and keep its notes in ``report``."""
    report.ocr_pages += len(doc.ocr_pages)
    if doc.notes:
        report.notes.setdefault(key, []).extend(doc.notes)


def _kept_note(index: PassageIndex, key: str) -> str:
    """What a skip message adds for a file that could not be read again but is indexed."""
    return "; the version indexed earlier is kept" if key in index.documents else ""


def _by_fingerprint(index: PassageIndex, sources: list[str]) -> dict[str, list[str]]:
    """Indexed ``sources`` grouped by their :func:`fingerprint`."""
    out: dict[str, list[str]] = {}
    for source in sources:
        out.setdefault(index.documents[source].sha256, []).append(source)
    return out


def _refile_moved(index: PassageIndex, report: IndexReport, missing: dict[str, list[str]], key: str,
                  print_: str) -> bool:
    """If a document whose file is missing (``missing``: from :func:`_by_fingerprint`) has the
    fingerprint ``print_`` of the new file ``key``, the file was moved: re-file that document
    under ``key`` (see :meth:`PassageIndex.move_document`) and return True."""
    olds = missing.get(print_)
    if not olds:
        return False
    old = olds.pop(0)
    index.move_document(old, key, print_)
    report.moved.append((old, key))
    for attachment in _attachments_of(index, old):  # a mail's attachments move with it
        new = key + attachment[len(old):]
        index.move_document(attachment, new, index.documents[attachment].sha256)
        report.moved.append((attachment, new))
    return True


def fingerprint(sha256: str) -> str:
    """What the index keeps of a document to tell it unchanged: the SHA-256 of its bytes and the
    loaders' :data:`qa.ingest.loading.EXTRACTION_VERSION`, so that a file whose text would now be read
    differently is indexed again (as "updated") by the next `qa index`."""
    return f"{sha256}.x{EXTRACTION_VERSION}"


def _index_on_ray(index: PassageIndex, embedder: Embedder, files: list[Path], address: str,
                  report: IndexReport, missing: dict[str, list[str]]) -> None:
    """Load, split and embed new or changed ``files`` on a Ray cluster (:mod:`qa.cluster`),
    then add them to ``index`` in file order, as a local run does (moved files re-filed)."""
    from qa import cluster

    cluster.connect(address)
    todo = {_source_key(f): f for f in _to_load(index, files, report, missing, lambda f: None)}
    done = {item[0]: item for item in cluster.embed_files(todo, embedder)}
    attached: dict[str, list[tuple]] = {}  # mail key -> its attachments' items
    for item in done.values():
        if container_of(item[0]) != item[0]:
            attached.setdefault(container_of(item[0]), []).append(item)
    for key, f in todo.items():
        item = done.get(key, (key, "no passages"))
        if len(item) == 2:
            report.skipped.append(Skipped(str(f), item[1] + _kept_note(index, key)))
            continue
        before = set(_attachments_of(index, key))
        index.remove_documents(sorted(before))  # the mail's new attachments replace them
        for one in [item, *sorted(attached.get(key, []), key=lambda i: i[0])]:
            if len(one) == 2:
                report.skipped.append(Skipped(str(f) + one[0][len(key):], one[1]))
                continue
            known = one[0] in index.documents or one[0] in before
            index.add_document(one[0], fingerprint(one[1]), *one[2:], modified=modified_time(key))
            (report.updated if known else report.added).append(one[0])


def _retime(index: PassageIndex, key: str, report: IndexReport) -> None:
    """Record the modification time of the file of indexed document ``key`` when it changed (a file
    saved again unchanged, or moved), listing it in ``report.retimed``."""
    modified = modified_time(key)
    entry = index.documents[key]
    if modified is not None and entry.modified != modified:
        entry.modified = modified
        report.retimed.append(key)


def modified_time(source: str | Path) -> float | None:
    """The modification time (POSIX seconds) of a document's file (a mail attachment's: its mail's,
    :func:`qa.ingest.loading.container_of`), None when it cannot be read."""
    try:
        return os.stat(container_of(str(source))).st_mtime
    except OSError:
        return None


def _embed_and_add(index: PassageIndex, embedder: Embedder,
                   pending: list[tuple[str, str, list[Passage], bool]], report: IndexReport) -> int:
    """Embed the passages of several documents in one call, add each document, empty ``pending``;
    returns the number of passages embedded."""
    if not pending:
        return 0
    vectors = embedder.encode([p.text for _, _, passages, _ in pending for p in passages])
    at = 0
    for key, sha, passages, known in pending:
        index.add_document(key, sha, passages, vectors[at: at + len(passages)], modified_time(key))
        at += len(passages)
        (report.updated if known else report.added).append(key)
    pending.clear()
    return at


@dataclass
class OtherAnswer:
    """What another document says instead of an answer.

    ``kind`` is ``"version"`` for another version of the answer's document (same family,
    :mod:`qa.store.families`) or ``"document"`` for an unrelated document whose answer also scored
    well; ``modified`` is its file's modification time (POSIX seconds) or None.
    """

    text: str
    score: float
    source: str
    page: Page
    modified: float | None
    kind: str

    @property
    def date(self) -> str | None:
        """The modification date as ``YYYY-MM-DD`` (local time), or None."""
        return date_of(self.modified)


@dataclass
class Answer:
    """An answer span and where it comes from.

    ``start``/``end`` are character offsets into the source document's text
    (end exclusive); ``score`` is the reader's probability in [0, 1]; ``page``
    is the part the answer starts in (:data:`qa.ingest.loading.Page`: a PDF page or slide number from 1, a
    sheet's name, a message's number) or None; ``passage`` is the passage's text and
    ``passage_start`` its offset in the document. ``modified`` is the document's modification
    time (POSIX seconds) or None; ``others`` what other versions of the document, or other
    documents, say instead (:class:`OtherAnswer`, most current version first).
    """

    text: str
    score: float
    source: str
    page: Page
    start: int
    end: int
    passage: str
    passage_start: int
    modified: float | None = None
    others: list[OtherAnswer] = field(default_factory=list)

    @property
    def date(self) -> str | None:
        """The document's modification date as ``YYYY-MM-DD`` (local time), or None."""
        return date_of(self.modified)


def date_of(modified: float | None) -> str | None:
    """POSIX seconds as a local ``YYYY-MM-DD`` date; None for None."""
    if modified is None:
        return None
    from datetime import datetime

    return datetime.fromtimestamp(modified).date().isoformat()


@dataclass
class Result:
    """The answers to one question (empty when it abstains) and the retrieved passages.

    ``understood_as`` is the question as it was read when the conversation's
    earlier turns changed it (a follow-up question), else None.
    """

    question: str
    answers: list[Answer]
    passages: list[RetrievedPassage]
    understood_as: str | None = None

    @property
    def abstained(self) -> bool:
        """True when the documents hold no answer the reader trusts."""
        return not self.answers


def check_question(question: str) -> str:
    """Validate a question; returns it with runs of white space made one space.

    Raises:
        QuestionError: the question is not a string, is empty or blank, has no letter or digit,
            or is longer than
            :data:`MAX_QUESTION_CHARS` characters (a question is a sentence or two: a pasted
            text would be read as its first few hundred characters, which rarely hold the
            question, so it is refused rather than cut).
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    if not question.strip():
        raise QuestionError("the question is empty")
    if not any(ch.isalnum() for ch in question):
        raise QuestionError("the question has no words (only punctuation or symbols)")
    # undecodable bytes from a terminal arrive as lone surrogates: replace them
    question = " ".join(question.encode("utf-8", "replace").decode("utf-8").split())
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question):,} characters long; ask it in at most "
                            f"{MAX_QUESTION_CHARS} (a sentence or two)")
    return question


class QA:
    """Question answering over an index: retriever + reader.

    Example::

        from qa import QA
        qa = QA("index")
        print(qa.ask("How many boat strikes since August?").answers[0].text)

    Args:
        index_dir: the index folder.
        reader: a :class:`Reader`, or a model id/folder for one (default: packaged).
        embedder: an :class:`Embedder`, or a model id/folder for one (default: packaged);
            it must be the model the index was built with.
        retrieval: "hybrid", "dense" or "bm25".
        rank_decay: answers are ranked by ``score * exp(-rank_decay * retrieval_rank)``
            (rank 0 = best passage); the reported ``score`` stays the reader's probability.
        engine: for the reader and embedder made here (not those passed in): ``"torch"``, or
            ``"auto"`` to run their compiled copies on ONNX Runtime where they exist
            (:mod:`qa.modeling.compiled`; a quick start, used by ``qa ask``).
        operating_point: ``"answer-more"``, ``"balanced"`` or ``"careful"``: the reader's named
            no-answer threshold (:data:`qa.answer.reading.OPERATING_POINTS`); ``None``: its
            calibrated threshold (or the one the given :class:`Reader` was made with).

    Raises:
        IndexLoadError: no index in ``index_dir``, or a corrupt one.
        ValueError: the embedding model differs from the index's; an unknown engine or operating
            point, or one the reader was not calibrated for.
    """

    def __init__(self, index_dir: str | Path = DEFAULT_INDEX, reader: Reader | str | None = None,
                 embedder: Embedder | str | None = None, retrieval: str = "hybrid",
                 rank_decay: float = RANK_DECAY, operating_point: str | None = None,
                 engine: str = "torch"):
        if operating_point is not None:
            point_name(operating_point)  # a misspelt name fails before anything loads
        self.index_dir = Path(index_dir)
        self.rank_decay = rank_decay
        index = PassageIndex.load(self.index_dir)
        if not isinstance(embedder, Embedder):
            embedder = Embedder(embedder or (index.embedding_model if index.embedding_model
                                             != Embedder.PACKAGED else None), engine=engine)
        self.embedder = embedder
        self.retriever = Retriever(index, embedder, retrieval)
        self.reader = (reader.at_point(operating_point) if isinstance(reader, Reader)
                       else Reader(reader, operating_point=operating_point, engine=engine))

    def __len__(self) -> int:
        """Number of passages in the index."""
        return len(self.retriever.index)

    def passages_of(self, source: str) -> list[Passage]:
        """The indexed passages of one document, in reading order."""
        return self.retriever.index.passages_of(source)

    def reload(self) -> None:
        """Re-read the index from disk (after documents were added or removed)."""
        self.retriever = Retriever(PassageIndex.load(self.index_dir), self.embedder,
                                   self.retriever.mode)

    def ask(self, question: str, top_k: int = 5, max_answers: int = 3,
            history: list[str | Result] | None = None, reader: Reader | None = None) -> Result:
        """Answer ``question`` from the ``top_k`` retrieved passages.

        Returns a :class:`Result` with up to ``max_answers`` answers, best
        first (see ``rank_decay``), distinct in text and position; none when no span reaches the reader's
        threshold (the retrieved passages are returned all the same).

        Passages are read in retrieval order, in small batches, and reading stops as soon as the
        unread ones can no longer change the first ``max_answers`` answers, which are those of
        reading all ``top_k`` (with ``max_answers=1``, a confident answer in the best passage costs
        one passage's reading; at least ``max_answers`` passages are always read). With
        ``max_answers=1``, when another document says something else and scores well (an answer
        read already, else one from the best unread passage of another document), it is shown in
        :attr:`Answer.others` rather than silently passed over (:meth:`_note_other_document`).

        Versions of one document (:meth:`PassageIndex.family_of`) are answered once, by the most
        current version (:func:`qa.store.families.currency`); what other versions say otherwise is in
        its :attr:`Answer.others`, with their files and dates.

        ``history`` holds the conversation's earlier questions, oldest first, as
        strings or as the :class:`Result` they got. A follow-up question ("How
        many people died in them?") is then read in their context
        (:mod:`qa.answer.followup`) and ``Result.understood_as`` says how; a question
        that stands alone is answered as without history. A misspelt first question word
        ("whn", "waht") is mended first (:mod:`qa.answer.questions`), and ``understood_as`` says so too. ``None`` or ``[]``:
        the question is read on its own. ``reader`` reads with another :class:`Reader`
        than the pipeline's own (the chat page's per-conversation preset).

        Raises:
            QuestionError: the question is empty.
            ValueError: ``top_k`` or ``max_answers`` is under 1.
        """
        if top_k < 1 or max_answers < 1:
            raise ValueError("top_k and max_answers must be at least 1")
        question = check_question(question)
        read_as = query = mend_question_word(question)  # "whn was ..." -> "when was ..."
        if history and may_refer_back(read_as):
            resolved = resolve(read_as, [self._turn(history)])
            read_as, query = resolved.question, resolved.query
        retrieved = self.retriever.retrieve(query, top_k)
        reader = reader or self.reader
        ranked, read = self._read_in_rank_order(reader, read_as, retrieved, max_answers)
        answers = self._settle_versions(reader, read_as, retrieved, [a for a, _ in ranked], max_answers)
        if max_answers == 1 and answers:
            self._note_other_document(reader, read_as, retrieved[read:], answers)
        return Result(question, answers[:max_answers], retrieved, read_as if read_as != question else None)

    def _read_in_rank_order(self, reader: Reader, question: str, retrieved: list[RetrievedPassage],
                            max_answers: int) -> tuple[list[tuple[Answer, float]], int]:
        """Distinct answers with their ranking keys, best first, reading the passages in retrieval
        order and stopping once the unread ones cannot change the first ``max_answers`` (only those
        are final); and how many of ``retrieved`` were read (the first ones).

        A span's key is ``score * exp(-rank_decay * rank)`` with ``score <= 1``, so with
        ``rank_decay >= 0`` no passage at rank ``r`` or below can exceed ``exp(-rank_decay * r)``:
        once ``max_answers`` distinct answers reach that bound, reading on changes none of them (an
        upper-bound stop, as in WAND top-k retrieval, Broder et al., 2003; a tie goes to the passage
        read first, as a stable sort of all spans would have it). Batches of 1, 1, 2, 4, ...
        passages keep the forward passes few when every passage must be read. A span the
        text contradicts (its sentence names another role than the one asked about, or it
        lies in another table row than the one the question names) is passed over
        (:func:`qa.answer.verify.contradicts`). A span that is the value of a ``key: value`` line whose
        key the question names is accepted at a lower confidence (:func:`qa.answer.verify.keyed_value`).
        """
        spans: list[Span] = []
        ranked: list[tuple[Answer, float]] = []
        lo = 0
        check, keyed = _span_checks(question)
        for size in _batch_sizes(len(retrieved)):
            texts = [r.passage.text for r in retrieved[lo:lo + size]]
            spans += [replace(s, passage=lo + s.passage)
                      for s in reader.read(question, texts, top_n=size, keep=check, supported=keyed)]
            lo += size
            ranked = self._distinct_answers(spans, retrieved)
            if self.rank_decay >= 0 and lo < len(retrieved):
                bound = math.exp(-self.rank_decay * lo)
                if sum(key >= bound for _, key in ranked[:max_answers]) >= max_answers:
                    break
        return ranked, lo

    def _distinct_answers(self, spans: list[Span], retrieved: list[RetrievedPassage]) -> list[tuple[Answer, float]]:
        """``spans`` as answers in their documents, ranked by key, repeats of a better one dropped."""
        keyed = sorted(((s, s.score * math.exp(-self.rank_decay * s.passage)) for s in spans),
                       key=lambda sk: -sk[1])
        answers: list[tuple[Answer, float]] = []
        for s, key in keyed:
            a = self._answer(s, retrieved[s.passage].passage)
            if not any(_same_answer(a, k) for k, _ in answers):
                answers.append((a, key))
        return answers

    def _answer(self, span: Span, p: Passage) -> Answer:
        """A span of passage ``p`` as an :class:`Answer` in its document."""
        entry = self.retriever.index.documents.get(p.source)
        return Answer(span.text, span.score, p.source, p.page_at(p.start + span.start), p.start + span.start,
                      p.start + span.end, p.text, p.start, entry.modified if entry else None)

    def _note_other_document(self, reader: Reader, question: str, unread: list[RetrievedPassage],
                             answers: list[Answer]) -> None:
        """Add to the first answer, as an :class:`OtherAnswer` of kind ``"document"``, the best
        later answer from a document outside its family that says something else and scores
        well (:data:`OTHER_DOCUMENT_SCORE`, and half the first's score); when no answer read so far
        qualifies, the best unread passage of such a document is read for one (one passage more)."""
        best, family = answers[0], set(self.retriever.index.family_of(answers[0].source))

        def differs(a: Answer) -> bool:
            return (a.source not in family and a.score >= max(OTHER_DOCUMENT_SCORE, best.score / 2)
                    and not any(same_value(a.text, x.text) for x in [best, *best.others]))

        other = next((a for a in answers[1:] if differs(a)), None)
        if other is None:
            passage = next((r.passage for r in unread if r.passage.source not in family), None)
            if passage is not None:
                check, keyed = _span_checks(question)
                spans = reader.read(question, [passage.text], top_n=1, keep=check, supported=keyed)
                other = next((a for a in (self._answer(sp, passage) for sp in spans) if differs(a)), None)
        if other is not None:
            best.others.append(OtherAnswer(other.text, other.score, other.source, other.page, other.modified,
                                           "document"))

    def _settle_versions(self, reader: Reader, question: str, retrieved: list[RetrievedPassage],
                         answers: list[Answer], max_answers: int) -> list[Answer]:
        """``answers`` with each family of versions (:meth:`PassageIndex.family_of`) among the first
        ``max_answers`` answered once, by its most current version (:func:`qa.store.families.currency`),
        what the other versions say otherwise in :attr:`Answer.others`; the other versions' further
        answers are dropped. Versions whose passages gave no answer are read for one."""
        out: list[Answer] = []
        settled: set[str] = set()
        for a in answers:
            if a.source in settled:
                continue
            family = self.retriever.index.family_of(a.source)
            if len(family) > 1:
                if len(out) < max_answers:
                    a = self._current_version(reader, question, retrieved, answers, family)
                settled.update(set(family) - {a.source})  # the current version's other answers stay
            if not any(_same_answer(a, b) for b in out):
                out.append(a)
        return out

    def _current_version(self, reader: Reader, question: str, retrieved: list[RetrievedPassage],
                         answers: list[Answer], family: list[str]) -> Answer:
        """The answer of a family's most current version that has one, with the differing answers
        of the other versions (most current first, one per value) as its :attr:`Answer.others`."""
        by_doc: dict[str, Answer] = {}
        for a in answers:
            if a.source in family:
                by_doc.setdefault(a.source, a)
        anchor = next(iter(by_doc.values()))
        unread = [m for m in family if m not in by_doc]
        by_doc.update(self._read_versions(reader, question, retrieved, unread, anchor.passage))
        order = sorted(by_doc, key=lambda m: currency(m, by_doc[m].modified), reverse=True)
        main = by_doc[order[0]]
        others: list[OtherAnswer] = []
        for m in order[1:]:
            o = by_doc[m]
            if not any(same_value(o.text, x.text) for x in [main, *others]):
                others.append(OtherAnswer(o.text, o.score, o.source, o.page, o.modified, "version"))
        main.others = others + [o for o in main.others if o.kind != "version"]
        return main

    def _read_versions(self, reader: Reader, question: str, retrieved: list[RetrievedPassage],
                       members: list[str], anchor: str) -> dict[str, Answer]:
        """The best answer of each document in ``members`` (none where the reader finds none), read
        from its retrieved passages, else from its passage most like ``anchor`` (word overlap)."""
        passages: list[Passage] = []
        for m in members:
            got = [r.passage for r in retrieved if r.passage.source == m]
            closest = _closest_passage(self.passages_of(m), anchor)
            passages += got or ([closest] if closest else [])
        if not passages:
            return {}
        check, keyed = _span_checks(question)
        found: dict[str, Answer] = {}
        for span in reader.read(question, [p.text for p in passages], top_n=len(passages), keep=check,
                                supported=keyed):
            p = passages[span.passage]
            found.setdefault(p.source, self._answer(span, p))
        return found

    def _turn(self, history: list[str | Result]) -> Turn:
        """The last earlier turn as understood, with its answer (asked again when given as text)."""
        last = history[-1]
        if not isinstance(last, Result):
            last = self.ask(last, max_answers=1, history=history[:-1])
        return Turn(last.understood_as or last.question, last.answers[0].text if last.answers else None,
                    last.question if last.understood_as else None)


def _span_checks(question: str) -> tuple[Callable[[str, Span], bool], Callable[[str, Span], bool]]:
    """The reader's ``keep`` and ``supported`` checks for ``question`` (:meth:`Reader.read`)."""

    def check(text: str, span: Span) -> bool:  # "Who is the CEO?" is not answered by the CFO
        return not contradicts(question, text, span.start, span.end)

    def keyed(text: str, span: Span) -> bool:  # "What port ...?" is answered by "port: 8443"
        return keyed_value(question, text, span.start, span.end)

    return check, keyed


def _closest_passage(passages: list[Passage], text: str) -> Passage | None:
    """The passage sharing the largest share of its words with ``text`` (Jaccard), None for none."""
    words = set(text.lower().split())

    def overlap(p: Passage) -> float:
        other = set(p.text.lower().split())
        return len(words & other) / max(1, len(words | other))

    return max(passages, key=overlap, default=None)


# An answer from an unrelated document is shown beside the best one when it differs and scores at
# least this, and at least half the best one's score: two documents disagree, and neither is
# silently preferred.
OTHER_DOCUMENT_SCORE = 0.5


def _batch_sizes(n: int) -> list[int]:
    """How many passages each step of :meth:`QA._read_in_rank_order` reads: 1, 1, 2, 4, ... up to ``n`` in all."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(max(1, sum(sizes)), n - sum(sizes)))
    return sizes


def _same_answer(a: Answer, b: Answer) -> bool:
    """Same text, or overlapping characters of one document (overlapping passages)."""
    if a.text.strip().lower() == b.text.strip().lower():
        return True
    return a.source == b.source and a.start < b.end and b.start < a.end
