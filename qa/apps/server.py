"""``qa serve``: a JSON API (FastAPI, with an OpenAPI schema) and the chat page on one server.

Endpoints (see ``docs/server.md``)::

    GET    /health              {"status": "ok", "documents", "passages"}  (counts for signed-in clients)
    POST   /ask                 {question, history?, top_k?, answers?, operating_point?} -> ChatService.api_ask's object
    GET    /documents           {"documents": [{"id", "name", "passages", "uploaded"}]}
    POST   /documents           multipart "files" (editor; 20 files of 20 MB at most) -> {"files", "documents"}
    DELETE /documents/{id}      (editor) -> {"removed": name, "documents"}
    POST   /feedback            {question, answer?, liked, correction?} -> {"recorded": id}
    GET    /users, POST /users, DELETE /users/{name}   (admin)
    /docs, /openapi.json        the schema;  /  the chat page (Gradio, its own login)

With accounts, clients sign in with HTTP Basic (name and password) or a Bearer
API key (``qa users token``); without, the server is one person's and listens
on this machine only. Every check is made by :class:`qa.apps.webapp.ChatService`
itself, so the chat page's queue and this API refuse the same things.

Errors are ``{"error": "one line"}`` with a 4xx/5xx status; replies name
documents by file name and id, never by a path of the server's.
"""

import base64
import binascii
import hmac
import ipaddress
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as AnyHTTPException

from qa.apps.accounts import LOCAL_CLIENT, AccessDenied, Users, UsersFileError
from qa.apps.webapp import (
    MAX_FEEDBACK_CHARS,
    MAX_HISTORY_QUESTIONS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FILES,
    ChatService,
    safe_filename,
)
from qa.pipeline import MAX_QUESTION_CHARS

MAX_FILES = MAX_UPLOAD_FILES  # per upload request, as on the page
MAX_JSON_BYTES = 64 * 1024
MAX_HISTORY = MAX_HISTORY_QUESTIONS  # earlier questions one /ask may send, as on the page
ASK_CONCURRENCY = 4  # questions read at once (more only share the same cores)
LOCAL_HOSTS = ("localhost",)


def _lower_name(value: object) -> object:
    """A name as typed ("Careful ") in the form it is known by ("careful"); other values unchanged."""
    return value.strip().lower() if isinstance(value, str) else value


class AskBody(BaseModel):
    """A question, with the conversation's earlier questions (oldest first)."""

    question: str = Field(max_length=4 * MAX_QUESTION_CHARS, description="the question (500 characters at most)")
    history: list[Annotated[str, Field(max_length=4 * MAX_QUESTION_CHARS)]] = Field(
        default_factory=list, max_length=MAX_HISTORY, description="earlier questions, oldest first")
    top_k: int = Field(5, ge=1, le=20, description="passages retrieved and read at most")
    answers: int = Field(1, ge=1, le=5, description="answers returned at most")
    operating_point: Annotated[Literal["answer-more", "balanced", "careful"],
                               BeforeValidator(_lower_name)] | None = Field(
        None, description="the reader's named no-answer threshold: answer-more (declines fewest), balanced "
                          "(best F1, the default) or careful (fewest wrong answers)")


class FeedbackBody(BaseModel):
    """A rating of an answer: ``liked``, or not with the right answer as ``correction``."""

    question: str = Field(max_length=MAX_QUESTION_CHARS)
    answer: str = Field("", max_length=MAX_FEEDBACK_CHARS, description="the answer given ('' = none)")
    liked: bool
    correction: str = Field("", max_length=MAX_FEEDBACK_CHARS)


class UserBody(BaseModel):
    """An account to add (or whose role and password to set)."""

    name: str = Field(max_length=64)
    role: str = Field(pattern="^(reader|editor|admin)$")
    password: str = Field(min_length=8, max_length=1024)


def is_local(host: str) -> bool:
    """Whether ``host`` is this machine only (``localhost`` or a loopback address)."""
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, users: Users | None) -> None:
    """Refuse to listen beyond this machine without accounts.

    Raises:
        ValueError: ``host`` is not a loopback address and there are no accounts (names ``--users``).
    """
    if users is None and not is_local(host):
        raise ValueError(f"refusing to listen on {host} without accounts: anyone who reaches it could "
                         "change the index; start with --users USERS_FILE (make one with "
                         "'qa users add USERS_FILE NAME --role admin') or listen on 127.0.0.1")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status, headers=headers)


def _basic(value: str) -> tuple[str, str] | None:
    try:
        name, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (name, password) if sep else None


class Identify:
    """The FastAPI dependency that names the client: an account, :data:`LOCAL_CLIENT`, or None.

    Args:
        users: the accounts (None: no sign-in; every client is anonymous and may do everything).
        local_token: the running server's local token (``INDEX/.server.json``), or None.
    """

    def __init__(self, users: Users | None, local_token: str | None):
        self.users, self.local_token = users, local_token

    def __call__(self, request: Request) -> str | None:
        """Raises: HTTPException 401 for credentials that are wrong or malformed (where there are
        accounts; without, credentials other than the local token are ignored)."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if not header:
            return None
        if scheme.lower() == "bearer":
            value = value.strip()
            if self.local_token and hmac.compare_digest(value.encode(), self.local_token.encode()):
                return LOCAL_CLIENT
            if self.users is None:
                return None
            name = self.users.user_for_token(value)
            if name is None:
                raise HTTPException(401, "unknown API key")
            return name
        if scheme.lower() == "basic" and self.users is not None:
            pair = _basic(value.strip())
            if pair is None or not self.users.check_password(*pair):
                raise HTTPException(401, "wrong name or password")
            return pair[0]
        if self.users is None:
            return None
        raise HTTPException(401, "unsupported Authorization header: use Basic or Bearer")


def _refused(user: str | None, e: AccessDenied) -> JSONResponse:
    if user is None:
        return _error(401, f"sign in first: {e}", {"WWW-Authenticate": 'Basic realm="qa"'})
    return _error(403, str(e))


class BodyLimit:
    """ASGI middleware: refuse request bodies over a size (413) on the API's own routes.

    ``limits`` maps a path prefix to its byte limit; other paths (the chat page's) pass untouched.
    """

    def __init__(self, app, limits: dict[str, int]):
        self.app, self.limits = app, limits

    def _limit(self, path: str) -> int | None:
        return next((n for prefix, n in self.limits.items() if path == prefix or path.startswith(prefix + "/")),
                    None)

    async def __call__(self, scope, receive, send):
        limit = self._limit(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _error(413, f"request body over {limit} bytes")(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _error(413, f"request body over {limit} bytes")(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(service: ChatService, *, local_token: str | None = None, index_api: bool = False,
               chat_page: bool = True, lifespan=None, asker: Callable[..., dict] | None = None) -> FastAPI:
    """The FastAPI app: the JSON API over ``service`` and, with ``chat_page``, the chat page at ``/``.

    ``local_token`` lets the holder of ``INDEX/.server.json`` ask (``/local/ask``, the warm path
    of ``qa ask``); ``index_api`` makes the page's ``/upload`` and ``/remove`` public to
    ``gradio_client`` as in ``app.py --index-api``; ``lifespan`` is FastAPI's. ``asker(question,
    history, top_k, answers, user=..., operating_point=...)`` answers ``POST /ask`` in place of ``service.api_ask``
    (Ray Serve replicas: :mod:`qa.apps.serving`); it must check the role as that does.
    """
    app = FastAPI(title="qa-docs", version="1", lifespan=lifespan,
                  description="Ask your documents; answers are exact words from them, with their source.")
    who = Identify(service.users, local_token)
    asking = threading.BoundedSemaphore(ASK_CONCURRENCY)
    _add_error_handlers(app)
    _add_question_routes(app, service, who, asking, asker or service.api_ask)
    _add_document_routes(app, service, who)
    _add_user_routes(app, service, who)
    app.add_middleware(BodyLimit, limits={
        "/documents": MAX_FILES * (MAX_UPLOAD_BYTES + 64 * 1024),
        **{p: MAX_JSON_BYTES for p in ("/ask", "/local/ask", "/feedback", "/users")}})
    if chat_page:
        _mount_chat_page(app, service, index_api)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnyHTTPException)  # fastapi's, and routing's 404/405 and body errors
    async def http_error(request: Request, e: AnyHTTPException):
        headers = {"WWW-Authenticate": 'Basic realm="qa"'} if e.status_code == 401 else None
        return _error(e.status_code, e.detail if isinstance(e.detail, str) else "request refused", headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return _error(422, f"invalid request: {where + ': ' if where else ''}{first.get('msg', 'bad body')}")

    @app.exception_handler(Exception)
    async def failed(request: Request, e: Exception):  # never a traceback to the client
        return _error(500, f"internal error ({type(e).__name__})")


def _add_question_routes(app: FastAPI, service: ChatService, who: Identify, asking, asker) -> None:
    user_dep = Annotated[str | None, Depends(who)]

    def guarded_ask(body: AskBody, user: str | None) -> dict:
        with asking:
            return asker(body.question, body.history, body.top_k, body.answers, user=user,
                         operating_point=body.operating_point)

    @app.get("/health", tags=["server"])
    def health(user: user_dep) -> dict:
        """``{"status": "ok"}``, with the index's ``documents`` and ``passages`` for a client that may ask."""
        if not _may(service, user, "ask"):
            return {"status": "ok"}
        index = service.qa.retriever.index
        return {"status": "ok", "documents": len(index.documents), "passages": len(index)}

    @app.post("/ask", tags=["questions"])
    async def ask(body: AskBody, user: user_dep):
        """Answer a question: ``{"question", "understood_as", "abstained", "answers": [{"text", "score",
        "source", "page", "start", "end"}], "chat", "error"}``; 400 with the same keys for a question
        that cannot be asked."""
        try:
            reply = await run_in_threadpool(guarded_ask, body, user)
        except AccessDenied as e:
            return _refused(user, e)
        return JSONResponse(reply, status_code=400 if reply["error"] else 200)

    @app.post("/local/ask", include_in_schema=False)
    async def local_ask(body: AskBody, user: user_dep):
        """The warm path of ``qa ask``/``qa chat`` (the local token only): the ``qa ask --json``
        object with paths, plus what printing it needs."""
        if user != LOCAL_CLIENT:
            return _error(403, "for this machine's qa commands only")
        try:
            data = await run_in_threadpool(_detailed, service, body, asking)
        except ValueError as e:  # QuestionError, or an operating point the reader lacks
            return _error(400, str(e))
        return data

    @app.post("/feedback", tags=["questions"])
    def feedback(body: FeedbackBody, user: user_dep):
        """Record a rating of an answer (in ``INDEX/feedback.jsonl``, with the signed-in name)."""
        try:
            record = service.api_feedback(body.question, body.answer, body.liked, body.correction, user=user)
        except AccessDenied as e:
            return _refused(user, e)
        except ValueError as e:
            return _error(400, str(e))
        return {"recorded": record["id"]}


def _may(service: ChatService, user: str | None, action: str) -> bool:
    try:
        service.require(user, action)
    except AccessDenied:
        return False
    return True


def _detailed(service: ChatService, body: AskBody, asking) -> dict:
    """The ``/local/ask`` reply (see :func:`qa.answer.citing.full_json`).

    Raises:
        QuestionError: the question cannot be asked.
        ValueError: the reader has no such operating point.
    """
    from qa.answer.citing import full_json

    with asking:
        result = service.qa.ask(body.question, top_k=body.top_k, max_answers=body.answers,
                                history=list(body.history), reader=service.reader_at(None, body.operating_point))
    return full_json(result) | {"passages_in_index": len(service.qa), "error": None}


def _add_document_routes(app: FastAPI, service: ChatService, who: Identify) -> None:
    user_dep = Annotated[str | None, Depends(who)]

    @app.get("/documents", tags=["documents"])
    def documents(user: user_dep):
        """The indexed documents: ``{"documents": [{"id", "name", "passages", "uploaded"}]}``."""
        try:
            service.require(user, "ask")
        except AccessDenied as e:
            return _refused(user, e)
        return {"documents": service.document_list()}

    @app.post("/documents", tags=["documents"])
    def upload(files: Annotated[list[UploadFile], File(description="txt, md, html, pdf or docx; "
                                                        "20 MB each, 20 at most")], user: user_dep):
        """Add documents (editor): ``{"files": [{"name", "result"}], "documents": [...]}``; ``result`` is
        'indexed', 'unchanged (already indexed)' or 'skipped: why'."""
        try:
            service.require(user, "change_index")
        except AccessDenied as e:
            return _refused(user, e)
        if not files or len(files) > MAX_FILES:
            return _error(400, f"send 1 to {MAX_FILES} files as multipart field 'files'")
        big = [f.filename for f in files if (f.size or 0) > MAX_UPLOAD_BYTES]
        if big:
            return _error(413, f"{big[0]} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
            paths = [_spool(f, Path(tmp) / str(i)) for i, f in enumerate(files)]
            outcome = service.add_files(paths, session=f"api:{user or ''}", user=user)
        return {"files": [{"name": n, "result": r} for n, r in outcome], "documents": service.document_list()}

    @app.delete("/documents/{doc_id}", tags=["documents"])
    def remove(doc_id: str, user: user_dep):
        """Remove one document by id (editor): ``{"removed": name, "documents": [...]}``."""
        try:
            service.require(user, "change_index")
        except AccessDenied as e:
            return _refused(user, e)
        source = service.source_of(doc_id) if re.fullmatch(r"[0-9a-f]{12}", doc_id) else None
        if source is None:
            return _error(404, f"no indexed document has id {doc_id!r}")
        service.remove(source, user=user)
        return {"removed": Path(source).name, "documents": service.document_list()}


def _spool(upload: UploadFile, folder: Path) -> str:
    """Write one uploaded file under ``folder`` by its sanitised name (``upload`` when nothing of
    the name is usable: then skipped as of no supported type); returns its path."""
    folder.mkdir()
    try:
        name = safe_filename(upload.filename or "")
    except ValueError:
        name = "upload"
    dest = folder / name
    with open(dest, "wb") as out:
        shutil.copyfileobj(upload.file, out)
    return str(dest)


def _add_user_routes(app: FastAPI, service: ChatService, who: Identify) -> None:
    user_dep = Annotated[str | None, Depends(who)]

    def admin(user: str | None) -> JSONResponse | None:
        if service.users is None:
            return _error(404, "this server has no accounts (start it with --users USERS_FILE)")
        try:
            service.require(user, "manage_users")
        except AccessDenied as e:
            return _refused(user, e)
        return None

    @app.get("/users", tags=["accounts"])
    def users(user: user_dep):
        """The accounts (admin): ``{"users": [{"name", "role", "tokens"}]}``."""
        return admin(user) or {"users": [a.__dict__ for a in service.users.accounts()]}

    @app.post("/users", tags=["accounts"])
    def add_user(body: UserBody, user: user_dep):
        """Add an account or set its role and password (admin): ``{"name", "role", "new"}``."""
        refused = admin(user)
        if refused:
            return refused
        try:
            new = service.users.add(body.name, body.role, body.password)
            service.users.save()
        except UsersFileError as e:
            return _error(400, str(e))
        return {"name": body.name, "role": body.role, "new": new}

    @app.delete("/users/{name}", tags=["accounts"])
    def remove_user(name: str, user: user_dep):
        """Remove an account and its API keys (admin): ``{"removed": name}``."""
        refused = admin(user)
        if refused:
            return refused
        try:
            service.users.remove(name)
            service.users.save()
        except UsersFileError as e:
            return _error(404, str(e))
        return {"removed": name}


def _mount_chat_page(app: FastAPI, service: ChatService, index_api: bool) -> None:
    import gradio as gr

    from qa.apps.webapp import CSS, build_app

    blocks = build_app(service, index_api=index_api).queue(default_concurrency_limit=ASK_CONCURRENCY)

    async def check(name: str, password: str) -> bool:  # Argon2 takes tens of ms: off the event loop
        return await run_in_threadpool(service.users.check_password, name, password)

    auth = check if service.users else None
    gr.mount_gradio_app(app, blocks, path="/", auth=auth, css=CSS, max_file_size="20mb",
                        auth_message="Sign in with your qa account." if auth else None)


def client_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server listening on ``host``:``port``."""
    if host in ("", "0.0.0.0", "::", "localhost") or is_local(host):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(service: ChatService, host: str = "127.0.0.1", port: int = 8000, index_api: bool = False,
          app: FastAPI | None = None) -> None:
    """Serve the API and the chat page until interrupted; returns after a clean shutdown.

    While it runs, ``INDEX/.server.json`` (0600) tells ``qa ask`` and ``qa chat`` on this machine
    where it is (see :mod:`qa.apps.discovery`); it is removed on exit.

    Raises:
        ValueError: a non-loopback ``host`` without accounts (see :func:`check_bind`).
    """
    import uvicorn

    from qa.apps.discovery import new_local_token, remove_server_file, write_server_file

    check_bind(host, service.users)
    token = new_local_token()

    @asynccontextmanager
    async def announced(_app):
        try:
            write_server_file(service.index_dir, client_url(host, port), token)
        except OSError:
            pass  # a read-only index folder: no warm path, the server works the same
        try:
            yield
        finally:
            remove_server_file(service.index_dir)

    app = app or create_app(service, local_token=token, index_api=index_api, lifespan=announced)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
