"""Answer checking: a person's role in the text must be the role the question asks about.

Extractive readers confuse roles: asked "Who is the CEO of Acme?", they answer the name
next to "CFO" when no CEO is named, with high confidence, because the span has the
right type (a person) in a passage about the right company. This module finds the
roles a question asks about and those written around an answer, and says when they
disagree, so that the pipeline can drop the span (a rule-based answer verifier, in the
spirit of the answer validation of Rodrigo et al., "Overview of the Answer Validation
Exercise", CLEF 2006, kept to one narrow, checkable relation).

Roles: "chief X officer" and its acronym (CEO, CFO, COO, CTO, CIO, CMO, CSO, CDO, CPO;
"chief executive" alone counts as CEO), president, vice president, chair (chairman,
chairwoman, chairperson, chair of the board), founder (also "founded", "co-founder"),
managing director, and "head of X". Only a question for a person (who / whom / whose) that
names exactly one role is checked, and only against an answer whose sentence names a role.
"""

from __future__ import annotations

import re

_CHIEF = re.compile(r"\bchief\s+([a-z]+)(?:\s+officer)?\b")
_ACRONYM = re.compile(r"\bc([efotimsdp])o\b")
_WORDS = [
    (re.compile(r"\bvice[\s-]+president\b"), "vice president"),
    (re.compile(r"\bpresident\b"), "president"),
    (re.compile(r"\bchair(?:man|woman|person)\b|\bchair of the board\b"), "chair"),
    (re.compile(r"\b(?:co-?)?found(?:er|ers|ed|ing)\b"), "founder"),
    (re.compile(r"\bmanaging director\b"), "managing director"),
    (re.compile(r"\bhead of ([a-z]+)\b"), "head of"),
]
_PERSON_QUESTION = re.compile(r"\bwho(?:m|se)?\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'“(])|\n")


def roles(text: str) -> set[str]:
    """The roles named in ``text``, canonical: ``{"cfo", "founder"}`` for "Its CFO, a co-founder, ...".

    "chief X officer" becomes the acronym ``c`` + X's first letter + ``o``; "head of design"
    becomes ``"head of design"``; "vice president" is not also "president".
    """
    low = text.lower()
    found = {f"c{m.group(1)[0]}o" for m in _CHIEF.finditer(low)}
    found |= {m.group(0) for m in _ACRONYM.finditer(low)}
    for pattern, name in _WORDS:
        for m in pattern.finditer(low):
            found.add(f"head of {m.group(1)}" if name == "head of" else name)
        low = pattern.sub(" ", low) if name == "vice president" else low
    return found


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or line: a table row) of ``text`` that holds characters ``start:end``."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _SENTENCE_END.finditer(text, end)), len(text))
    return text[left:right]


def contradicts_role(question: str, passage: str, start: int, end: int) -> bool:
    """True when the question asks who holds exactly one role, the sentence of the answer
    ``passage[start:end]`` names roles, and that role is not among them.

    Only questions for a person (who / whom / whose) are checked: "When was Acme founded?"
    asks for a date, not for a founder. ``start``/``end``: character offsets of the answer in
    ``passage``.
    """
    if not _PERSON_QUESTION.search(question):
        return False
    asked = roles(question)
    if len(asked) != 1:
        return False
    around = roles(sentence_around(passage, start, end))
    return bool(around) and not asked <= around
