"""The warm path: a running server says where it is, and ``qa ask`` / ``qa chat`` ask it.

A server (``qa serve``, or the chat page) writes ``INDEX/.server.json`` (mode 0600)::

    {"url": "http://127.0.0.1:8000/", "pid": 4242, "token": "<per-run secret>", "version": 1}

and removes it on exit. A client with the same ``--index`` reads it, checks that
the process is alive and POSTs to ``/local/ask`` with the token as a Bearer key;
any failure returns None and the client loads the models itself. Only the
standard library is imported here, so a warm ``qa ask`` starts in a fraction of a
second.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

SERVER_FILE = ".server.json"
LOCAL_ASK = "local/ask"


def new_local_token() -> str:
    """A per-run secret for clients that can read the index folder's server file."""
    return secrets.token_urlsafe(32)


def write_server_file(index_dir: str | Path, url: str, token: str) -> Path:
    """Write ``INDEX/.server.json`` for this process (atomically, mode 0600); returns its path.

    Raises:
        OSError: the index folder cannot be written.
    """
    path = Path(index_dir) / SERVER_FILE
    fd, tmp = tempfile.mkstemp(prefix=".server-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"url": url, "pid": os.getpid(), "token": token, "version": 1}, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_server_file(index_dir: str | Path) -> None:
    """Remove ``INDEX/.server.json`` when this process wrote it (another server's stays)."""
    info = _read(Path(index_dir) / SERVER_FILE)
    if info is not None and info.get("pid") == os.getpid():
        (Path(index_dir) / SERVER_FILE).unlink(missing_ok=True)


def _read(path: Path) -> dict | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(info, dict) and isinstance(info.get("url"), str) and isinstance(info.get("pid"), int)
    return info if ok and isinstance(info.get("token"), str) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server(index_dir: str | Path) -> dict | None:
    """The server file of a live server of this index (``{"url", "pid", "token"}``), else None."""
    info = _read(Path(index_dir) / SERVER_FILE)
    return info if info is not None and _alive(info["pid"]) else None


def ask_server(index_dir: str | Path, payload: dict, timeout: float = 30.0) -> dict | None:
    """POST ``payload`` (``{"question", "history", "top_k", "answers"}``) to the index's running
    server; its reply (see ``qa.apps.server``: the ``qa ask --json`` object plus ``understood_as``,
    ``abstained``, ``passages_in_index`` and ``error``), or None when there is no server or it
    cannot answer (then the caller loads the models itself).

    ``timeout`` (seconds) bounds each wait on the server (connecting, then the reply).
    """
    info = running_server(index_dir)
    if info is None:
        return None
    request = urllib.request.Request(
        info["url"].rstrip("/") + "/" + LOCAL_ASK, data=json.dumps(payload).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {info['token']}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            data = json.loads(reply.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        try:
            data = json.loads(e.read().decode("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("error") and e.code == 400 else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "answers" in data else None
