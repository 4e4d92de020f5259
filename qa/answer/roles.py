"""Roles named in a text: "CEO", "chief financial officer", "the chairwoman", "head of design".

Roles: "chief X officer" and its acronym (CEO, CFO, COO, CTO, CIO, CMO, CSO, CDO, CPO;
"chief executive" alone counts as CEO), president, vice president, chair (chairman,
chairwoman, chairperson), managing director, and "head of X". :mod:`qa.answer.verify` checks an
answer's role against the question's; :mod:`qa.answer.followup` reads "the CEO" with no owner as a
role of the thing the conversation is about.
"""

from __future__ import annotations

import re

_CHIEF = re.compile(r"\bchief\s+([a-z]+)\s+officer\b|\bchief\s+(executive)\b")
_ACRONYM = re.compile(r"\bc([efotimsdp])o\b")
_WORDS = [
    (re.compile(r"\bvice[\s-]+president\b"), "vice president"),
    (re.compile(r"\bpresident\b"), "president"),
    (re.compile(r"\bchair(?:man|woman|person)?\b"), "chair"),
    (re.compile(r"\bmanaging director\b"), "managing director"),
    (re.compile(r"\bhead of ([a-z]+)\b"), "head of"),
]


def roles(text: str) -> set[str]:
    """The roles named in ``text``, canonical: ``{"cfo", "chair"}`` for "Its CFO, the chairwoman, ...".

    "chief X officer" becomes the acronym ``c`` + X's first letter + ``o``; "head of design"
    becomes ``"head of design"``; "vice president" is not also "president".
    """
    return {role for _, _, role in role_spans(text)}


def role_spans(text: str) -> list[tuple[int, int, str]]:
    """Where ``text`` names roles: ``(start, end, role)``, character offsets, roles as :func:`roles`."""
    low = text.lower()
    found = [(m.start(), m.end(), f"c{(m.group(1) or m.group(2))[0]}o") for m in _CHIEF.finditer(low)]
    found += [(m.start(), m.end(), m.group(0)) for m in _ACRONYM.finditer(low)]
    taken: list[tuple[int, int]] = []
    for pattern, name in _WORDS:
        for m in pattern.finditer(low):
            if any(a <= m.start() < b for a, b in taken):
                continue  # "president" inside "vice president"
            found.append((m.start(), m.end(), f"head of {m.group(1)}" if name == "head of" else name))
            if name == "vice president":
                taken.append((m.start(), m.end()))
    return found
