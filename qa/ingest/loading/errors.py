"""The loading stage's error type."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class LoadError(Exception):
    """A file could not be turned into text; the message says why."""


@contextlib.contextmanager
def reading(kind: str) -> Iterator[None]:
    """Turn whatever a third-party parser raises on a damaged or hostile file into a
    :class:`LoadError` naming the format (``kind``, e.g. ``"XLSX"``); LoadErrors pass as they are.

    Raises:
        LoadError: "corrupt or unreadable XLSX (KeyError: 'xl/workbook.xml')" and the like.
    """
    try:
        yield
    except LoadError:
        raise
    except Exception as e:  # parsers of hostile files raise anything
        detail = str(e).strip().splitlines()[0][:120] if str(e).strip() else ""
        raise LoadError(f"corrupt or unreadable {kind} ({type(e).__name__}{': ' + detail if detail else ''})") from e
