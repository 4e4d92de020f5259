"""Accounts for the chat page and the REST API: a users file of names, roles, hashed passwords and keys.

The file is JSON, written atomically with 0600 permissions::

    {"format": 1, "users": {"ana": {"role": "editor", "password": "$argon2id$...",
                                    "tokens": {"k3f9a1c2": "<sha256 of the key>"}}}}

Passwords are hashed with Argon2id (argon2-cffi, MIT). API keys are 32 random
bytes; only their SHA-256 is stored (a key is as long as a hash, so a slow hash
adds nothing), and ``qa users token`` prints a new key once.

Roles, each with the powers of the ones before it: ``reader`` asks and gives
feedback, ``editor`` also uploads and removes documents, ``admin`` also
manages the accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROLES = ("reader", "editor", "admin")
# action -> the lowest role allowed to do it
ACTIONS = {"ask": "reader", "feedback": "reader", "change_index": "editor", "manage_users": "admin"}
WORDS = {"ask": "ask", "feedback": "give feedback", "change_index": "change the index",
         "manage_users": "manage accounts"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "qa_"
# the name of a client holding the running server's local token (INDEX/.server.json): may ask.
# No account can have it (names start with a letter or digit).
LOCAL_CLIENT = "@local"


class UsersFileError(Exception):
    """The users file is missing, unreadable, corrupt, or an account change is invalid (one line)."""


class AccessDenied(PermissionError):
    """The signed-in user (or an anonymous client) may not do this; the message says who may."""


def allowed(role: str | None, action: str) -> bool:
    """Whether ``role`` (None: not signed in) may do ``action`` (a key of :data:`ACTIONS`).

    Raises:
        KeyError: an unknown action.
    """
    needed = ACTIONS[action]
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def denial(user: str | None, action: str) -> str:
    """The one-line reason a user cannot do ``action``."""
    who = "an anonymous client" if user is None else f"user {user!r}"
    need = ACTIONS[action]
    return f"{who} may not {WORDS[action]}: that needs the {need} role or higher"


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise UsersFileError("accounts need argon2-cffi: pip install argon2-cffi") from e
    return PasswordHasher()


def token_digest(token: str) -> str:
    """The stored form of an API key: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Account:
    """One account as listed: name, role and how many API keys it has."""

    name: str
    role: str
    tokens: int


class Users:
    """The accounts of one users file, re-read when the file changes on disk.

    Args:
        path: the users file. ``create=True`` starts an empty set when it does not exist
            (for ``qa users add``); otherwise a missing file is an error.

    Raises:
        UsersFileError: the file is missing (without ``create``), unreadable or not a users file.
    """

    def __init__(self, path: str | Path, create: bool = False):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, dict] = {}
        self._verified: dict[str, str] = {}  # name -> sha256(name, password) of a checked sign-in
        if create and not self.path.exists():
            return
        self._read()

    def _read(self) -> None:
        """(Re-)read the file.

        Raises:
            UsersFileError: missing, unreadable or malformed.
        """
        try:
            stat = self.path.stat()
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise UsersFileError(f"no users file at {self.path}: make one with "
                                 f"'qa users add {self.path} NAME --role admin'") from e
        except (OSError, ValueError) as e:
            raise UsersFileError(f"cannot read the users file {self.path}: {e}") from e
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict) or not all(
                isinstance(u, dict) and u.get("role") in ROLES and isinstance(u.get("password"), str)
                for u in users.values()):
            raise UsersFileError(f"{self.path} is not a qa users file (expected "
                                 '{"format": 1, "users": {NAME: {"role", "password", "tokens"}}})')
        self._users = users
        self._verified = {}
        self._stamp = (stat.st_mtime_ns, stat.st_size)

    def refresh(self) -> None:
        """Re-read the file when it changed since it was read (accounts changed by ``qa users``).

        A file that became unreadable keeps the accounts read last.
        """
        try:
            stat = self.path.stat()
        except OSError:
            return
        if (stat.st_mtime_ns, stat.st_size) != self._stamp:
            with self._lock:
                try:
                    self._read()
                except UsersFileError:
                    pass

    def save(self) -> None:
        """Write the file atomically (a temporary file in the same folder, renamed) with mode 0600.

        Raises:
            UsersFileError: the folder cannot be written.
        """
        folder = self.path.parent
        text = json.dumps({"format": 1, "users": self._users}, indent=1, sort_keys=True)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".users-", dir=folder)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise UsersFileError(f"cannot write the users file {self.path}: {e}") from e
        stat = self.path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_size)

    def role(self, name: str | None) -> str | None:
        """The role of account ``name``; None for None or an unknown name."""
        self.refresh()
        user = self._users.get(name) if name else None
        return user["role"] if user else None

    def accounts(self) -> list[Account]:
        """Every account, by name."""
        self.refresh()
        return [Account(n, u["role"], len(u.get("tokens") or {})) for n, u in sorted(self._users.items())]

    def add(self, name: str, role: str, password: str) -> bool:
        """Add account ``name`` or set its role and password; True when it is new. Call :meth:`save`.

        Raises:
            UsersFileError: a name of other characters than letters, digits and ``._@-`` (64 at
                most), an unknown role or a password under 8 characters.
        """
        if not NAME_RE.match(name or ""):
            raise UsersFileError(f"unusable account name {name!r}: letters, digits and ._@- (64 at most)")
        if role not in ROLES:
            raise UsersFileError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UsersFileError(f"the password must have at least {MIN_PASSWORD} characters")
        new = name not in self._users
        old = self._users.get(name, {})
        self._users[name] = {"role": role, "password": _hasher().hash(password),
                             "tokens": old.get("tokens", {})}
        self._verified.pop(name, None)
        return new

    def remove(self, name: str) -> None:
        """Remove account ``name`` and its API keys. Call :meth:`save`.

        Raises:
            UsersFileError: there is no such account.
        """
        if name not in self._users:
            raise UsersFileError(f"no account named {name!r} in {self.path}")
        del self._users[name]
        self._verified.pop(name, None)

    def new_token(self, name: str) -> str:
        """A new API key for ``name`` (``qa_`` + 43 URL-safe characters); only its hash is kept.
        Call :meth:`save`.

        Raises:
            UsersFileError: there is no such account.
        """
        if name not in self._users:
            raise UsersFileError(f"no account named {name!r} in {self.path}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._users[name].setdefault("tokens", {})[secrets.token_hex(4)] = token_digest(token)
        return token

    def check_password(self, name: str, password: str) -> bool:
        """Whether ``password`` is account ``name``'s (False for an unknown name).

        A sign-in checked once is remembered (as a SHA-256, in memory) until the
        file changes, so HTTP Basic clients do not pay Argon2's cost on every request.
        """
        self.refresh()
        user = self._users.get(name or "")
        if user is None or not isinstance(password, str):
            return False
        seen = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
        if hmac.compare_digest(self._verified.get(name, ""), seen):
            return True
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            _hasher().verify(user["password"], password)
        except (VerificationError, InvalidHashError):
            return False
        self._verified[name] = seen
        return True

    def user_for_token(self, token: str) -> str | None:
        """The account whose API key ``token`` is; None when it is no account's."""
        self.refresh()
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = token_digest(token)
        for name, user in self._users.items():
            if any(hmac.compare_digest(digest, d) for d in (user.get("tokens") or {}).values()):
                return name
        return None
