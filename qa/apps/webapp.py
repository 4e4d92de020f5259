"""The chat page: Gradio handlers and layout over a :class:`qa.pipeline.QA`.

Handlers are plain functions of a :class:`ChatService`, so they are tested
without a browser; :func:`build_app` wires them into a ``gr.Blocks`` page.
"""


import filecmp
import hashlib
import html
import json
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from qa.answer.citing import cite, otherwise
from qa.answer.reading import Reader, base_reader_available
from qa.apps.accounts import LOCAL_CLIENT, AccessDenied, Users, allowed, denial
from qa.ingest.loading import SUPPORTED, Limits, LoadError, container_of
from qa.ingest.loading.ocr import IMAGE_TYPES
from qa.ingest.loading.pdf import render_page
from qa.ingest.loading.workers import load_one, run_in_worker
from qa.ingest.splitting import sentence_spans
from qa.pipeline import (
    DEFAULT_DOCS,
    MAX_QUESTION_CHARS,
    QA,
    Answer,
    Result,
    build_index,
)
from qa.store.index import index_exists

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one uploaded file
MAX_UPLOAD_FILES = 20  # files in one upload
MAX_SESSION_UPLOAD_BYTES = 200 * 1024 * 1024  # all the uploads of one browser session
MAX_SESSION_UPLOAD_FILES = 100
MAX_FEEDBACK_CHARS = 1000  # a right answer typed with a thumbs-down
MAX_SESSION_FEEDBACK = 200  # ratings one browser session may record
MAX_FEEDBACK_FILE_BYTES = 100 * 1024 * 1024  # INDEX/feedback.jsonl stops growing here
MAX_HISTORY_QUESTIONS = 50  # earlier questions an /ask call may send
MAX_CHAT_MESSAGES = 400  # messages of a conversation the page keeps (older ones are dropped)
UPLOAD_DIR = "uploads"
NAMES_FILE = ".names.json"  # stored upload name -> name it was uploaded with
FEEDBACK_FILE = "feedback.jsonl"
EXAMPLES = [
    "How many boat strikes since August?",
    "Who interviewed Maduro?",
    "Which oil company exports Venezuelan crude to the United States?",
]
NO_ANSWER = "The documents hold no answer to that question."
# Settings -> Answers: (label, operating point of qa.answer.reading.OPERATING_POINTS)
POINT_CHOICES = [("Answer more", "answer-more"), ("Balanced", "balanced"), ("Careful", "careful")]


def safe_filename(name: str) -> str:
    """A file name reduced to letters, digits, '.', '_' and '-', without any folder part.

    Raises:
        ValueError: nothing usable is left of the name.
    """
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.replace("\\", "/")).name).strip("._")
    stem, dot, ext = base.rpartition(".")
    base = (stem[:100] + dot + ext[:10]) if dot else base[:110]
    if not base or base.startswith("."):
        raise ValueError(f"unusable file name {name!r}")
    return base


def _free_name(folder: Path, name: str, taken: set[str]) -> Path:
    """``folder/name`` made unique with a ``-2``, ``-3``, ... suffix before the extension."""
    stem, dot, ext = name.rpartition(".")
    stem, dot, ext = (stem, dot, ext) if dot else (name, "", "")
    n = 2
    while (folder / f"{stem}-{n}{dot}{ext}").exists() or f"{stem}-{n}{dot}{ext}" in taken:
        n += 1
    return folder / f"{stem}-{n}{dot}{ext}"


def confidence_words(score: float) -> str:
    """The reader's score in words: "very likely" (>= 0.7), "likely" (>= 0.4), else "unsure"."""
    return "very likely" if score >= 0.7 else "likely" if score >= 0.4 else "unsure"


def answer_in_sentence(answer: Answer) -> str:
    """Markdown: the sentence of the passage that holds the answer, the answer in bold.

    Sentences as :func:`qa.ingest.splitting.sentence_spans` finds them; an answer that
    runs over several takes them all.
    """
    text = answer.passage
    start, end = answer.start - answer.passage_start, answer.end - answer.passage_start
    spans = [(s, e) for s, e in sentence_spans(text) if s < end and e > start] or [(start, end)]
    s, e = min(spans[0][0], start), max(spans[-1][1], end)
    return (_md_escape(text[s:start]) + f"**{_md_escape(text[start:end])}**"
            + _md_escape(text[end:e])).replace("\n", " ")


def format_answer(result: Result) -> str:
    """Markdown for the chat: the answer in bold inside its sentence, its confidence in words and
    as a number, and its source with page; differing answers from other passages below it."""
    if result.abstained:
        text = f"{NO_ANSWER} The closest passages are listed under *Sources*."
    else:
        best, *more = result.answers
        dated = f", {best.date}" if best.others and best.date else ""
        text = (f"**{_md_escape(best.text)}**\n\n> {answer_in_sentence(best)}\n\n"
                f"{confidence_words(best.score)} ({best.score:.0%}) · "
                f"{_md_escape(cite(best.source, best.page, name_only=True) + dated)}")
        text += _others_text(best)
        if more:
            text += "\n\nOther answers:"
            for a in more:
                text += (f"\n- **{_md_escape(a.text)}** — {confidence_words(a.score)} ({a.score:.0%}) · "
                         f"{_md_escape(cite(a.source, a.page, name_only=True))}")
    if result.understood_as:
        text = f"_Answered as: {_md_escape(result.understood_as)}_\n\n" + text
    return text


def _others_text(answer: Answer) -> str:
    """Markdown lines for what other versions or documents say instead of ``answer``:
    "Another version says otherwise: **45.9 million euros** — report-draft.docx, 2024-01-10"."""
    lines = []
    for o in answer.others:
        lead, where = otherwise(o.kind, o.source, o.page, o.date, name_only=True)
        lines.append(f"\n\n{lead}: **{_md_escape(o.text)}** — {_md_escape(where)}")
    return "".join(lines)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def highlight(passage_text: str, start: int, end: int) -> str:
    """HTML of a passage with characters [start, end) inside ``<mark>``; all text escaped."""
    start, end = max(0, start), min(len(passage_text), end)
    if start >= end:
        return html.escape(passage_text)
    return (html.escape(passage_text[:start]) + "<mark>" + html.escape(passage_text[start:end])
            + "</mark>" + html.escape(passage_text[end:]))


def in_document(passages: list, passage, answer: Answer | None) -> str:
    """HTML of ``passage`` between its neighbours in the document (greyed), the answer marked.

    ``passages`` are the document's passages in reading order; overlapping
    text is shown once.
    """
    i = next((k for k, q in enumerate(passages) if q.start == passage.start), None)
    window = passages[max(0, i - 1): i + 2] if i is not None else [passage]
    parts, covered = [], window[0].start
    for q in window:
        cut = max(0, covered - q.start)
        text = q.text[cut:]
        if q is passage or q.start == passage.start:
            lo = q.start + cut
            if answer and lo <= answer.start:
                a, b = answer.start - lo, answer.end - lo
                body = highlight(text, a, b)
            else:
                body = html.escape(text)
            parts.append(f"<span class='qa-here'>{body}</span>")
        else:
            parts.append(f"<span class='qa-near'>{html.escape(text)}</span>")
        covered = max(covered, q.end)
    return "<div class='qa-passage'>" + "".join(parts).replace("\n", "<br>") + "</div>"


def format_sources(result: Result) -> str:
    """HTML list of the retrieved passages, answers highlighted where they lie."""
    if not result.passages:
        return "<p>No passages were retrieved: the index is empty.</p>"
    items = []
    for rank, r in enumerate(result.passages, start=1):
        p = r.passage
        inside = [a for a in result.answers if a.source == p.source and p.start <= a.start
                  and a.end <= p.end]
        body = (highlight(p.text, inside[0].start - p.start, inside[0].end - p.start)
                if inside else html.escape(p.text))
        items.append(
            f"<li><div class='qa-src'><b>{html.escape(cite(p.source, p.page, name_only=True))}</b>"
            f" · characters {p.start}–{p.end} · retrieval score {r.score:.4f}</div>"
            f"<div class='qa-passage'>{body}</div></li>")
    return "<ol class='qa-sources'>" + "".join(items) + "</ol>"


def message_text(content) -> str:
    """The text of a chat message's content: a string, or the page's list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list):
        return "".join(message_text(part) for part in content)
    return ""


def feedback_record(result: Result, liked: bool, correction: str = "", user: str | None = None) -> dict:
    """One line of ``INDEX/feedback.jsonl``, in the JSONL evaluation format.

    The question is the one the system answered (a follow-up as it was
    understood). A thumbs-up confirms the answer (or, on an abstention, that
    the documents hold none: ``answers`` empty); a thumbs-down with a
    correction makes that the reference. A thumbs-down without one has no
    ``answers`` and is skipped by ``qa eval``. ``user`` (the signed-in name, when
    there are accounts) is recorded as ``"user"``.
    """
    given = result.answers[0].text if result.answers else ""
    return feedback_line(result.understood_as or result.question, given, liked, correction, user)


def feedback_line(question: str, given: str, liked: bool, correction: str = "",
                  user: str | None = None) -> dict:
    """The feedback record of :func:`feedback_record` from its parts (the answer given as text)."""
    record = {"id": f"fb-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}",
              "question": question, "feedback": "up" if liked else "down", "given": given}
    if user is not None:
        record["user"] = user
    if liked:
        record["answers"] = [given] if given else []
    elif correction.strip():
        record["answers"] = [" ".join(correction.split())]
    return record


EMPTY_INDEX = "No documents are indexed yet: add some in the *Documents* tab, then ask again."


def _check_readable(path: Path, limits: Limits | None) -> None:
    """Raise ValueError when the file at ``path`` cannot be read as a document (the reason). The file
    is read in a worker process (:mod:`qa.ingest.loading.workers`), never in the server's."""
    try:
        load_one(path, limits)
    except LoadError as e:
        raise ValueError(f"{e}; the version indexed earlier is kept") from e


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:])/(?:[^/\s'\"`]+/)+([^/\s'\"`]*)")


def hide_paths(text: str) -> str:
    """``text`` with every absolute file path replaced by its last part (the file's name), so that
    messages the server sends never show where it keeps files."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "…", text)


def document_id(source: str) -> str:
    """A document's id in the page and the API: 12 hex digits of the SHA-256 of its source path, so
    that the path itself never leaves the server."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


class _SessionUse:
    """What one browser session has used of the server's caps (uploads, feedback)."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.feedback = 0


def _refusal(question, why: str) -> dict:
    """The ``/ask`` reply to a question that cannot be asked: the answer's keys, no answers."""
    return {"question": question, "understood_as": None, "abstained": False, "answers": [],
            "chat": f"*{why}*", "error": why}


class ChatService:
    """The state behind the page: one QA pipeline per process, shared by all sessions.

    Asking runs concurrently with uploads; changes to the index are
    serialised by a lock and take effect for later questions once written.

    Uploads are read in worker processes within ``limits``; what one browser session may upload and
    rate is capped (``MAX_SESSION_*``), and so is the feedback a rating may carry.

    Every handler takes the signed-in name as ``user`` and checks its role in
    ``users`` before doing anything (:class:`qa.apps.accounts.AccessDenied` when it may
    not). Without ``users`` there is one user, who may do everything, and
    ``user`` is ignored.

    Args:
        index_dir: the index folder (uploads are stored in ``index_dir/uploads``). When it holds
            no index, one is built from ``seeds/`` in the working folder, or started empty.
        qa: a ready pipeline; built from ``index_dir`` when None.
        limits: what reading one uploaded file may cost (:class:`qa.ingest.loading.Limits`; defaults when None).
        users: the accounts (see :mod:`qa.apps.accounts`); None for single-user use.
    """

    def __init__(self, index_dir: str | Path, qa: QA | None = None, reader: str | None = None,
                 limits: Limits | None = None, users: Users | None = None):
        self.index_dir = Path(index_dir)
        self.users = users
        self.status = ""
        self.limits = limits
        self._use: dict[str, _SessionUse] = {}
        if not index_exists(self.index_dir):
            if Path(DEFAULT_DOCS).is_dir():
                report = build_index(self.index_dir, [DEFAULT_DOCS], limits=limits)
                self.status = f"Built a new index from {DEFAULT_DOCS}/ at start-up: {report.summary()}."
            else:
                build_index(self.index_dir, [])
                self.status = "Started a new, empty index: add documents in the Documents tab."
        self.qa = qa or QA(self.index_dir, reader)
        self._lock = threading.Lock()
        self._readers: dict[str, Reader] = {}
        names = ["base", "fast"] if base_reader_available() else ["fast"]  # looked up once, not per question
        own = self.qa.reader.name.removeprefix("packaged-")
        self._choices = sorted(names, key=lambda n: n != own)

    def role(self, user: str | None) -> str | None:
        """The role of ``user``: ``admin`` for everyone without accounts; None for an unknown name;
        ``reader`` for the holder of the running server's local token (:data:`LOCAL_CLIENT`)."""
        if self.users is None:
            return "admin"
        return "reader" if user == LOCAL_CLIENT else self.users.role(user)

    def require(self, user: str | None, action: str) -> None:
        """Check that ``user`` may do ``action`` (a key of :data:`qa.apps.accounts.ACTIONS`).

        Raises:
            AccessDenied: the user's role does not allow it (or nobody is signed in).
        """
        if not allowed(self.role(user), action):
            raise AccessDenied(denial(user, action))

    def reader_choices(self) -> list[str]:
        """The reader presets this install can use: ``base`` (when its model parts are installed)
        and ``fast``; the first is the pipeline's own when it is a preset."""
        return list(self._choices)

    def reader_for(self, name: str | None) -> Reader | None:
        """The :class:`Reader` of preset ``name``, loaded once and shared by all sessions;
        ``None`` (the pipeline's own) for ``None``, an unknown name or the pipeline's own preset."""
        if not name or name not in self.reader_choices() or self.qa.reader.name == f"packaged-{name}":
            return None
        with self._lock:
            if name not in self._readers:
                self._readers[name] = Reader(name, threshold=None)
            return self._readers[name]

    def reader_at(self, name: str | None, point: str | None) -> Reader | None:
        """The reader of preset ``name`` (:meth:`reader_for`) at the named operating ``point``
        (:meth:`qa.answer.reading.Reader.at_point`); ``None`` (the pipeline's own reader as it is)
        when neither is given.

        Raises:
            ValueError: an unknown point, or one the reader was not calibrated for.
        """
        chosen = self.reader_for(name)
        return (chosen or self.qa.reader).at_point(point) if point else chosen

    def documents(self) -> list[str]:
        """Source paths of the indexed documents, sorted."""
        return sorted(self.qa.retriever.index.documents)

    def document_choices(self) -> list[tuple[str, str]]:
        """(label, id) of each indexed document, for the page: the file's name (with its folder's
        name where two share a name) and its :func:`document_id`; no path leaves the server."""
        sources = self.documents()
        names = [Path(s).name for s in sources]
        return [(f"{Path(s).parent.name}/{n}" if names.count(n) > 1 else n, document_id(s))
                for s, n in zip(sources, names, strict=True)]

    def source_of(self, choice: str | None) -> str | None:
        """The indexed source a page choice names (its :func:`document_id`, or the source itself)."""
        return next((s for s in self.documents() if choice in (s, document_id(s))), None)

    def status_line(self) -> str:
        """Markdown: what the index holds."""
        index = self.qa.retriever.index
        line = f"Index `{self.index_dir.name}`: {len(index.documents)} documents, {len(index)} passages."
        return hide_paths(f"{self.status} {line}".strip())

    def _session(self, session: str) -> _SessionUse:
        """The caps' account of one browser session."""
        with self._lock:
            return self._use.setdefault(session, _SessionUse())

    def ask(self, question: str, history: list | None, top_k: int = 5, answers: int = 1,
            turns: list[Result] | None = None, reader: str | None = None, user: str | None = None,
            point: str | None = None) -> tuple[list, str, str, list[Result]]:
        """Chat handler: returns (chat with the new turn, sources HTML, cleared textbox, turns).

        ``turns`` are this conversation's earlier results (one browser session's);
        a follow-up question is read in their context. ``reader`` is a preset name from
        :meth:`reader_choices` (``None``: the pipeline's own reader); ``point`` one of
        :data:`qa.answer.reading.OPERATING_POINTS` (``None``: the reader's calibrated threshold).

        Raises:
            AccessDenied: ``user`` may not ask.
        """
        self.require(user, "ask")
        history, turns = list(history or [])[-MAX_CHAT_MESSAGES:], list(turns or [])[-MAX_CHAT_MESSAGES // 2:]
        try:
            result = self.qa.ask(question, top_k=int(top_k), max_answers=int(answers), history=turns,
                                 reader=self.reader_at(reader, point))
        except ValueError as e:  # QuestionError, or an operating point the reader lacks
            return history, f"<p>{html.escape(str(e)[:1].upper() + str(e)[1:])}.</p>", "", turns
        except Exception as e:  # noqa: BLE001 - shown in the page, never as a traceback
            history += [{"role": "user", "content": question},
                        {"role": "assistant", "content": f"Sorry, something went wrong ({type(e).__name__})."}]
            return history, "", "", turns
        said = EMPTY_INDEX if len(self.qa) == 0 else format_answer(result)
        history += [{"role": "user", "content": result.question}, {"role": "assistant", "content": said}]
        return history, format_sources(result), "", turns + [result]

    def feedback(self, history: list | None, turns: list[Result] | None, index: int, liked: bool,
                 correction: str = "", session: str = "", user: str | None = None) -> str:
        """Record a thumbs-up/down on the chat message at ``index``; returns a note for the page.

        Lines are appended to ``INDEX/feedback.jsonl`` (see :func:`feedback_record`), so
        ``qa eval INDEX/feedback.jsonl`` measures the system on its users' questions. A correction
        longer than ``MAX_FEEDBACK_CHARS`` is refused; so are ratings past ``MAX_SESSION_FEEDBACK``
        for one browser ``session`` and past ``MAX_FEEDBACK_FILE_BYTES`` for the file.

        Raises:
            AccessDenied: ``user`` may not give feedback.
        """
        self.require(user, "feedback")
        correction = correction if isinstance(correction, str) else ""
        if len(correction) > MAX_FEEDBACK_CHARS:
            return f"The right answer can be at most {MAX_FEEDBACK_CHARS:,} characters; nothing was recorded."
        full = self._feedback_full(session)
        if full:
            return full
        history, turns = list(history or []), list(turns or [])
        if not 0 < index < len(history) or history[index].get("role") != "assistant":
            return "Rate an answer of this conversation."
        asked = message_text(history[index - 1].get("content"))
        result = next((t for t in reversed(turns) if t.question == asked), None)
        if result is None:
            return "That answer can no longer be rated."
        record = feedback_record(result, liked, correction, self._who(user))
        self._append_feedback(record, session)
        if liked:
            return "Thanks: noted as a good answer."
        if "answers" in record:
            return f"Thanks: noted the right answer, {record['answers'][0]!r}."
        return "Thanks: noted as a wrong answer. You can type the right answer below."

    def _feedback_full(self, session: str) -> str | None:
        """Why no more feedback is recorded for ``session`` (its cap, or the file's), or None."""
        if self._session(session).feedback >= MAX_SESSION_FEEDBACK:
            return f"This session has already rated {MAX_SESSION_FEEDBACK} answers; nothing more is recorded."
        path = self.index_dir / FEEDBACK_FILE
        if path.exists() and path.stat().st_size > MAX_FEEDBACK_FILE_BYTES:
            return "The feedback file is full; nothing was recorded (ask the administrator to archive it)."
        return None

    def _who(self, user: str | None) -> str | None:
        """The name feedback is recorded under: the signed-in one where there are accounts."""
        return user if self.users is not None else None

    def _append_feedback(self, record: dict, session: str) -> None:
        with self._lock, open(self.index_dir / FEEDBACK_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._use.setdefault(session, _SessionUse()).feedback += 1

    def api_feedback(self, question: str, answer: str, liked: bool, correction: str = "",
                     user: str | None = None) -> dict:
        """Record feedback on an answer given through the API (question, the answer's text).

        Ratings are capped per user (as per browser session on the page). Returns the stored
        record (see :func:`feedback_line`).

        Raises:
            AccessDenied: ``user`` may not give feedback.
            ValueError: an empty question, a question or correction over their limits
                (500 and ``MAX_FEEDBACK_CHARS`` characters), or the caps reached.
        """
        self.require(user, "feedback")
        question = " ".join(str(question or "").split())
        if not question or len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"feedback needs the question (1 to {MAX_QUESTION_CHARS} characters)")
        if len(correction or "") > MAX_FEEDBACK_CHARS or len(answer or "") > MAX_FEEDBACK_CHARS:
            raise ValueError(f"the answer and the correction may have {MAX_FEEDBACK_CHARS} characters at most")
        session = f"api:{user or ''}"
        full = self._feedback_full(session)
        if full:
            raise ValueError(full)
        record = feedback_line(question, answer or "", bool(liked), correction or "", self._who(user))
        self._append_feedback(record, session)
        return record

    def api_ask(self, question: str, history: list[str] | None = None, top_k: int = 5,
                answers: int = 1, user: str | None = None, operating_point: str | None = None) -> dict:
        """The ``/ask`` API endpoint: answer ``question``, reading it in the context of ``history``.

        Args:
            question: the question.
            history: the conversation's earlier questions, oldest first.
            top_k: passages retrieved and read at most (1 to 20).
            answers: answers returned (1 to 5).
            operating_point: ``"answer-more"``, ``"balanced"`` or ``"careful"``
                (:data:`qa.answer.reading.OPERATING_POINTS`); ``None``: the reader's calibrated threshold.

        Returns:
            ``{"question", "understood_as", "abstained", "answers": [{"text", "score", "source",
            "page", "start", "end", "modified", "others": [{"text", "source", "page", "modified",
            "kind"}]}], "chat": the chat page's Markdown for it, "error": None}`` (``modified`` a
            ``YYYY-MM-DD`` date or None; ``others`` what other versions or documents say instead). A
            question that cannot be asked (empty, too long, bad top-k) gets the same keys: no
            answers, ``abstained`` False and ``error`` (also in ``chat``) saying why.

        Raises:
            AccessDenied: ``user`` may not ask.
        """
        self.require(user, "ask")
        try:
            top_k, answers = max(1, min(20, int(top_k))), max(1, min(5, int(answers)))
            if not isinstance(history, (list, tuple, type(None))):
                raise TypeError("history is not a list")
            if len(history or []) > MAX_HISTORY_QUESTIONS:
                return _refusal(question, f"history holds at most {MAX_HISTORY_QUESTIONS} questions")
            history = [str(q)[:MAX_QUESTION_CHARS] for q in history or []]
        except (TypeError, ValueError):
            return _refusal(question, "top_k and answers must be whole numbers, history a list of questions")
        try:
            reader = self.reader_at(None, operating_point)
            result = self.qa.ask(question, top_k=top_k, max_answers=answers, history=history, reader=reader)
        except ValueError as e:  # QuestionError, or an operating point the reader lacks
            return _refusal(question, str(e))
        return {"question": result.question, "understood_as": result.understood_as,
                "abstained": result.abstained,
                "answers": [{"text": a.text, "score": round(a.score, 4), "source": cite(a.source, name_only=True),
                             "page": a.page, "start": a.start, "end": a.end, "modified": a.date,
                             "others": [{"text": o.text, "source": cite(o.source, name_only=True), "page": o.page,
                                         "modified": o.date, "kind": o.kind} for o in a.others]}
                            for a in result.answers],
                "chat": format_answer(result), "error": None}

    @staticmethod
    def source_choices(turns: list[Result] | None) -> list[tuple[str, int]]:
        """(label, position) of the latest answer's retrieved passages, for the source picker."""
        if not turns:
            return []
        return [(f"{i + 1}. {cite(r.passage.source, r.passage.page, name_only=True)}", i)
                for i, r in enumerate(turns[-1].passages)]

    def source_view(self, turns: list[Result] | None, choice: int | None, user: str | None = None):
        """Show one retrieved passage in its document: (HTML, page image or None, file or None).

        The HTML holds the passage between its neighbours in the document, the
        answer marked; for a PDF the image is the answer's page with the
        answer outlined; the file is the original document, for download.

        Raises:
            AccessDenied: ``user`` may not ask.
        """
        self.require(user, "ask")
        if not turns or choice is None or not 0 <= int(choice) < len(turns[-1].passages):
            return "<p>Ask a question, then pick one of its sources.</p>", None, None
        result = turns[-1]
        p = result.passages[int(choice)].passage
        answer = next((a for a in result.answers if a.source == p.source
                       and p.start <= a.start and a.end <= p.end), None)
        body = in_document(self.qa.passages_of(p.source), p, answer)
        head = html.escape(cite(p.source, answer.page if answer else p.page, name_only=True))
        view = f"<div class='qa-doc'><div class='qa-src'><b>{head}</b></div>{body}</div>"
        exists = Path(p.source).is_file()
        image = None
        if (exists and p.source.lower().endswith((".pdf", *IMAGE_TYPES))
                and isinstance((answer and answer.page) or p.page, int)):
            try:  # in a worker process: the server never parses a file itself
                image = run_in_worker(render_page, p.source, (answer.page if answer else None) or p.page,
                                      answer.text if answer else "", limits=self.limits)
            except LoadError:
                image = None
        original = container_of(p.source)  # an attachment: its mail, for download
        return view, image, original if Path(original).is_file() else None

    def _upload_names(self) -> dict[str, str]:
        """Stored upload name -> the name the file was uploaded with."""
        record = self.index_dir / UPLOAD_DIR / NAMES_FILE
        try:
            return json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _store(self, file_path: str, taken: set[str]) -> tuple[Path | None, str]:
        """Copy one upload under ``INDEX/uploads``; returns (stored path or None, note).

        A different file never silently replaces a stored one: a file uploaded
        again under the same name (in a later upload) replaces that upload and
        says so; a file whose name only sanitises to a stored name, or that
        shares its name with another file of the same upload, is kept under a
        new name (``name-2.txt``).
        """
        src = Path(file_path)
        name = safe_filename(src.name)
        if Path(name).suffix.lower() not in SUPPORTED:
            return None, f"skipped: unsupported type (use {', '.join(SUPPORTED)})"
        if src.stat().st_size > MAX_UPLOAD_BYTES:
            return None, f"skipped: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
        dest_dir = self.index_dir / UPLOAD_DIR
        dest_dir.mkdir(parents=True, exist_ok=True)
        names = self._upload_names()
        dest, note = dest_dir / name, ""
        if dest.exists() and name not in taken and filecmp.cmp(src, dest, shallow=False):
            taken.add(name)
            return dest, ""
        if dest.exists() or name in taken:
            if names.get(name) == src.name and name not in taken:
                _check_readable(src, self.limits)  # an unreadable file must not overwrite the indexed one
                note = "replaced the earlier upload of the same name"
            else:
                dest = _free_name(dest_dir, name, taken)
                note = f"stored as {dest.name} (another document is named {name})"
        shutil.copyfile(src, dest)
        taken.add(dest.name)
        names[dest.name] = src.name
        (dest_dir / NAMES_FILE).write_text(json.dumps(names, indent=1, ensure_ascii=False), encoding="utf-8")
        return dest, note

    def upload(self, files: list | None, progress: Callable[[int, int, str], None] | None = None,
               session: str = "", on_page: Callable[[str, int, int], None] | None = None,
               user: str | None = None) -> tuple[str, list[str]]:
        """Upload handler: store files under the index folder and index them (read in worker
        processes, within the service's limits).

        ``progress(i, n, name)`` is called as the i-th of n files starts indexing, ``on_page(name,
        page, pages)`` as a page of a PDF or image is read (OCR'd scans: seconds a page). One upload holds
        at most ``MAX_UPLOAD_FILES`` files; one browser ``session`` may upload at most
        ``MAX_SESSION_UPLOAD_FILES`` files and ``MAX_SESSION_UPLOAD_BYTES`` bytes in all.

        Returns (Markdown lines 'name: indexed / replaced / stored as / skipped: why',
        document choices). No line shows a server path.

        Raises:
            AccessDenied: ``user`` may not change the index.
        """
        self.require(user, "change_index")
        if not files:
            return "Choose one or more files first.", self.documents()
        if not isinstance(files, (list, tuple)) or len(files) > MAX_UPLOAD_FILES:
            return f"Upload at most {MAX_UPLOAD_FILES} files at a time.", self.documents()
        outcome = self.add_files(files, progress, session, user, on_page)
        return "\n".join(f"- `{name}`: {result}" for name, result in outcome), self.documents()

    def add_files(self, files: list, progress: Callable[[int, int, str], None] | None = None,
                  session: str = "", user: str | None = None,
                  on_page: Callable[[str, int, int], None] | None = None) -> list[tuple[str, str]]:
        """Store and index ``files`` (paths, or objects with a ``name`` path; the caller keeps to
        ``MAX_UPLOAD_FILES``): (file name, outcome) each; ``progress`` and ``on_page`` as for
        :meth:`upload`.

        The outcome is 'indexed' or 'unchanged (already indexed)' (either with '; ' and a note:
        replaced, stored as), or 'skipped: why'; none shows a server path.

        Raises:
            AccessDenied: ``user`` may not change the index.
        """
        self.require(user, "change_index")
        lines, stored, taken = [], [], set()
        use = self._session(session)
        for f in files:
            path = f if isinstance(f, str) else getattr(f, "name", str(f))
            try:
                dest, why = self._within_session_caps(path, use) or self._store(path, taken)
            except (OSError, ValueError) as e:
                dest, why = None, f"skipped: {e}"
            if dest is None:
                lines.append((cite(path, name_only=True), hide_paths(why)))
            else:
                stored.append((dest, why))
        if stored:
            with self._lock:
                report = build_index(self.index_dir, [d for d, _ in stored], embedder=self.qa.embedder,
                                     on_file=progress, limits=self.limits, on_page=on_page)
                self.qa.reload()
            bad = {s.source: s.reason for s in report.skipped}
            for d, note in stored:
                if str(d) in bad:
                    d.unlink(missing_ok=True)
                    lines.append((d.name, f"skipped: {hide_paths(bad[str(d)])}"))
                else:
                    state = "unchanged (already indexed)" if str(d.resolve()) in report.unchanged else "indexed"
                    lines.append((d.name, state + (f"; {note}" if note else "")))
                    lines += [(cite(s, name_only=True), f"skipped: {hide_paths(reason)}") for s, reason in bad.items()
                              if s != str(d) and container_of(s) == str(d)]  # its attachments
        return lines

    def document_list(self) -> list[dict]:
        """The indexed documents as the API lists them: ``[{"id", "name", "passages", "uploaded"}]``,
        by name (an attachment as ``mail.eml › quote.pdf``); never a path of the server's."""
        documents = self.qa.retriever.index.documents
        uploads = (self.index_dir / UPLOAD_DIR).resolve()
        return sorted(({"id": document_id(s), "name": cite(s, name_only=True), "passages": d.passages,
                        "uploaded": Path(container_of(s)).parent == uploads} for s, d in documents.items()),
                      key=lambda d: (d["name"], d["id"]))

    def _within_session_caps(self, path: str, use: _SessionUse) -> tuple[None, str] | None:
        """None when one more file at ``path`` keeps a session within its upload caps (and counts it),
        else (None, the reason it is skipped)."""
        size = Path(path).stat().st_size
        with self._lock:
            if use.files >= MAX_SESSION_UPLOAD_FILES:
                return None, f"skipped: this session has already uploaded {MAX_SESSION_UPLOAD_FILES} files"
            if use.bytes + size > MAX_SESSION_UPLOAD_BYTES:
                return None, (f"skipped: this session's uploads would pass "
                              f"{MAX_SESSION_UPLOAD_BYTES // (1024 * 1024)} MB")
            use.files += 1
            use.bytes += size
        return None

    def remove(self, source: str | None, user: str | None = None) -> tuple[str, list[str]]:
        """Remove one indexed document (and its stored upload), named by its source path or its
        :func:`document_id`; returns (message, choices).

        Raises:
            AccessDenied: ``user`` may not change the index.
        """
        self.require(user, "change_index")
        source = self.source_of(source) if source else None
        if not source:
            return "Pick an indexed document to remove.", self.documents()
        with self._lock:
            build_index(self.index_dir, [], remove=[source], embedder=self.qa.embedder)
            uploads = (self.index_dir / UPLOAD_DIR).resolve()
            if Path(source).parent == uploads:
                Path(source).unlink(missing_ok=True)
            self.qa.reload()
        return f"Removed `{cite(source, name_only=True)}`.", self.documents()


def _session_of(request) -> str:
    """The browser session a Gradio request comes from ("" outside a request)."""
    return getattr(request, "session_hash", None) or ""


CSS = """
.qa-sources li { margin-bottom: 0.8em; }
.qa-src { font-size: 0.85em; opacity: 0.8; }
.qa-passage mark { background: #ffe066; padding: 0 2px; border-radius: 2px; }
.qa-near { color: #888; }
"""


def _user(request) -> str | None:
    """The signed-in name of a Gradio request (None: no accounts, or not signed in)."""
    return getattr(request, "username", None) if request is not None else None


def _checked(handler: Callable, *args, **kwargs):
    """Call a :class:`ChatService` handler; a refusal becomes the page's error message (``gr.Error``).

    Raises:
        gradio.Error: the signed-in user (or an anonymous client) may not do this.
    """
    try:
        return handler(*args, **kwargs)
    except AccessDenied as e:
        import gradio as gr

        raise gr.Error(f"Not allowed: {e}.") from None


def build_app(service: ChatService, index_api: bool = False):
    """The Gradio Blocks page over ``service``.

    Its public API (for ``gradio_client``) is ``/ask`` (see :meth:`ChatService.api_ask`);
    ``/upload`` and ``/remove``, which change the index, are public only with ``index_api``.
    The page's own event handlers are private. Every handler passes the signed-in name
    (``gr.Request.username``) to the service, which checks its role: hiding an endpoint is
    not what protects it.
    """
    import gradio as gr

    private = {"api_visibility": "private"}
    index_visibility = {"api_visibility": "public" if index_api else "private"}

    with gr.Blocks(title="Document QA", delete_cache=(3600, 86400)) as app:  # uploads kept a day at most
        gr.Markdown("# Ask your documents\nAnswers are exact words from your files, with their source.")
        status = gr.Markdown(service.status_line())
        with gr.Tab("Chat"):
            chat = gr.Chatbot(label="Chat", height=420, examples=[{"text": q} for q in EXAMPLES],
                              placeholder="Ask a question about the indexed documents.")
            turns = gr.State([])  # this browser session's earlier results, for follow-up questions
            with gr.Row():
                box = gr.Textbox(placeholder="Type a question and press Enter", show_label=False,
                                 scale=8, max_length=2000, elem_id="question")
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                new = gr.Button("New conversation", scale=1, elem_id="new-conversation")
            feedback_note = gr.Markdown(elem_id="feedback-note")
            with gr.Row(visible=False) as fix_row:
                fix_box = gr.Textbox(label="The right answer (optional)", scale=6, elem_id="right-answer")
                fix_send = gr.Button("Send", scale=1, elem_id="send-right-answer")
            disliked = gr.State(-1)
            with gr.Accordion("Sources", open=False):
                sources = gr.HTML(elem_id="sources")
            with gr.Accordion("Look at a source", open=False):
                pick = gr.Dropdown(label="Source of the latest answer", choices=[], elem_id="source-pick")
                doc_view = gr.HTML(elem_id="source-view")
                page_image = gr.Image(label="Page", type="pil", visible=False, elem_id="source-page")
                original = gr.DownloadButton("Download the original file", visible=False,
                                             elem_id="source-download")
            with gr.Accordion("Settings", open=False):
                top_k = gr.Slider(1, 20, value=5, step=1, label="Passages retrieved (top-k)")
                n_answers = gr.Slider(1, 5, value=1, step=1, label="Answers shown")
                readers = service.reader_choices()
                reader = gr.Radio(readers, value=readers[0], label="Reader", elem_id="reader",
                                  info="base: best answers (MPNet-12); fast: about 5x quicker (MiniLM-L6)")
                point = gr.Dropdown(POINT_CHOICES, value="balanced", label="Answers", elem_id="operating-point",
                                    info="answer more: declines fewest questions; balanced: best overall; "
                                         "careful: fewest wrong answers")
        with gr.Tab("Documents"):
            upload = gr.File(label="Add documents", file_count="multiple",
                             file_types=list(SUPPORTED), elem_id="upload")
            add = gr.Button("Add to index", elem_id="add")
            outcome = gr.Markdown(elem_id="upload-result")
            docs = gr.Dropdown(choices=service.document_choices(), label="Indexed documents",
                               interactive=True)
            remove = gr.Button("Remove selected document")

        def answered(out):
            return (*out, gr.update(choices=service.source_choices(out[3]), value=None))

        def on_ask(q, h, k, n, past, r, pt, request: gr.Request):
            return answered(_checked(service.ask, q, h, k, n, past, r, user=_user(request), point=pt))

        def on_example(evt: gr.SelectData, h, k, n, past, r, pt, request: gr.Request):
            return answered(_checked(service.ask, evt.value["text"], h, k, n, past, r, user=_user(request),
                                     point=pt))

        def on_new(request: gr.Request):
            _checked(service.require, _user(request), "ask")
            return [], "", "", [], gr.update(choices=[], value=None)

        def on_pick(choice, past, request: gr.Request):
            view, image, path = _checked(service.source_view, past, choice, user=_user(request))
            return (view, gr.update(value=image, visible=image is not None),
                    gr.update(value=path, visible=path is not None))

        def on_like(evt: gr.LikeData, h, past, request: gr.Request):
            index = evt.index if isinstance(evt.index, int) else evt.index[0]
            liked = evt.liked is True
            note = _checked(service.feedback, h, past, index, liked, session=_session_of(request),
                            user=_user(request))
            return note, gr.update(visible=not liked), -1 if liked else index

        def on_fix(text, index, h, past, request: gr.Request):
            note = _checked(service.feedback, h, past, index, False, text, session=_session_of(request),
                            user=_user(request))
            return note, gr.update(visible=False), ""

        def on_upload(files, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio injects progress
            _checked(service.require, _user(request), "change_index")
            progress(0, desc="Indexing…")

            def step(i: int, n: int, path: str) -> None:
                progress((i, n), desc=f"Indexing {Path(path).name}", unit="files")

            def page(path: str, i: int, n: int) -> None:
                progress((i, n), desc=f"Reading {Path(path).name}: page {i} of {n}", unit="pages")

            text, _ = _checked(service.upload, files, step, session=_session_of(request), on_page=page,
                               user=_user(request))
            return text, gr.update(choices=service.document_choices()), service.status_line()

        def on_remove(src, request: gr.Request):
            text, _ = _checked(service.remove, src, user=_user(request))
            return text, gr.update(choices=service.document_choices(), value=None), service.status_line()

        def ask(question: str, history: list[str] | None = None, top_k: int = 5, answers: int = 1,
                operating_point: str | None = None, request: gr.Request = None) -> dict:
            """Answer a question (history: the conversation's earlier questions; operating_point:
            answer-more, balanced or careful); see ChatService.api_ask."""
            return _checked(service.api_ask, question, history, top_k, answers, user=_user(request),
                            operating_point=operating_point or None)

        outs = [chat, sources, box, turns, pick]
        box.submit(on_ask, [box, chat, top_k, n_answers, turns, reader, point], outs, **private)
        send.click(on_ask, [box, chat, top_k, n_answers, turns, reader, point], outs, **private)
        chat.example_select(on_example, [chat, top_k, n_answers, turns, reader, point], outs, **private)
        new.click(on_new, None, outs, **private)
        pick.change(on_pick, [pick, turns], [doc_view, page_image, original], **private)
        chat.like(on_like, [chat, turns], [feedback_note, fix_row, disliked], **private)
        fix_send.click(on_fix, [fix_box, disliked, chat, turns], [feedback_note, fix_row, fix_box], **private)
        add.click(on_upload, [upload], [outcome, docs, status], concurrency_limit=1, api_name="upload",
                  **index_visibility)
        remove.click(on_remove, [docs], [outcome, docs, status], concurrency_limit=1, api_name="remove",
                     **index_visibility)
        gr.api(ask, api_name="ask")
    return app
