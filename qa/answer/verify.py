"""Answer checking: a span the text itself contradicts is passed over.

Two checks, each narrow enough to be right when it fires:

- :func:`contradicts_role`: a person's role in the text must be the role the question asks about;
- :func:`wrong_row`: in a table, the answer must come from the row the question names.

**Roles.**
Extractive readers confuse roles: asked "Who is the CEO of Acme?", they answer the name
next to "CFO" when no CEO is named, with high confidence, because the span has the
right type (a person) in a passage about the right company. This module finds the
roles a question asks about and those written around an answer, and says when they
disagree, so that the pipeline can drop the span (a rule-based answer verifier, in the
spirit of the answer validation of Rodrigo et al., "Overview of the Answer Validation
Exercise", CLEF 2006, kept to one narrow, checkable relation).

Roles: "chief X officer" and its acronym (CEO, CFO, COO, CTO, CIO, CMO, CSO, CDO, CPO;
"chief executive" alone counts as CEO), president, vice president, chair (chairman,
chairwoman, chairperson), managing director, and "head of X". Founding is not a role here:
founders often hold another one ("started Corvel and was its CEO"). Only a question for a
person (starting with who / whom / whose) that names exactly one role is checked, and only
against an answer whose sentence names a role.
"""

from __future__ import annotations

import re

from qa.answer.followup import content_words
from qa.answer.roles import role_spans, roles
from qa.ingest.loading.text import CELL_SEP

_PERSON_QUESTION = re.compile(r"^\W*(?:(?:and|so|then|but)\s+)?(?:(?:to|by|with|for|of|from)\s+)?who(?:m|se)?\b",
                              re.IGNORECASE)
_RELATION = re.compile(r"\b(?:than|before|after|succeeded|succeeds|preceded|precedes|followed|follows|replaced|"
                       r"replaces|next|previous|other|besides|except|instead)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'“(])|\n")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or line: a table row) of ``text`` that holds characters ``start:end``."""
    left, right = _sentence_bounds(text, start, end)
    return text[left:right]


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Character offsets of the sentence of ``text`` that holds ``start:end``."""
    breaks = list(_SENTENCE_END.finditer(text))
    left = max((m.end() for m in breaks if m.end() <= start), default=0)
    right = min((m.start() for m in breaks if m.start() >= end), default=len(text))
    return left, right


def contradicts_role(question: str, passage: str, start: int, end: int) -> bool:
    """True when the question asks who holds exactly one role, the text names roles for the answer
    ``passage[start:end]`` (:func:`roles_of_answer`), and that role is not among them.

    Only questions for a person (starting with who / whom / whose) are checked: "In what year
    did the CEO who succeeded Brandt join?" asks for a year. ``start``/``end``: character offsets of the answer in
    ``passage``.
    """
    if not _PERSON_QUESTION.search(question):
        return False
    asked = roles(question)
    if len(asked) != 1:
        return False
    held = roles_of_answer(passage, start, end)
    return bool(held) and not asked <= held


def roles_of_answer(passage: str, start: int, end: int) -> set[str]:
    """The roles written for the answer ``passage[start:end]``: those of its own sentence, else
    those written next to it where the passage names it again ("founded by Amira Haddad and Liam
    Chen. ... The current CEO is Amira Haddad." gives the first mention ``{"ceo"}``; in "The CEO,
    Amira Haddad, praised Liam Chen." the CEO is not Liam Chen): see :func:`_roles_next_to`."""
    held = roles(sentence_around(passage, start, end))
    if held or end <= start:
        return held
    for m in re.finditer(r"(?<!\w)" + re.escape(passage[start:end]) + r"(?!\w)", passage):
        if m.start() != start:
            held |= _roles_next_to(passage, m.start(), m.end())
    return held


def _roles_next_to(passage: str, start: int, end: int) -> set[str]:
    """The roles of the sentence holding ``passage[start:end]`` that are written next to it: at
    most 60 characters away, with no other name (a capitalised word) in between."""
    at, right = _sentence_bounds(passage, start, end)
    sentence, a, b = passage[at:right], start - at, end - at
    held = set()
    for r0, r1, role in role_spans(sentence):
        between = sentence[r1:a] if r1 <= a else sentence[b:r0] if r0 >= b else ""
        if len(between) <= 60 and not re.search(r"\b[A-Z]", between):
            held.add(role)
    return held


def _lines(passage: str) -> list[tuple[int, int, bool, set[str]]]:
    """The lines of a passage: ``(start, end, is a table row, lower-case words)``."""
    out, at = [], 0
    for line in passage.split("\n"):
        out.append((at, at + len(line), CELL_SEP in line, {w.lower() for w in re.findall(r"\w+", line)}))
        at += len(line) + 1
    return out


def _table_of(lines: list[tuple[int, int, bool, set[str]]], k: int) -> list[int]:
    """The indices of the run of table rows around line ``k`` (one table)."""
    lo, hi = k, k
    while lo > 0 and lines[lo - 1][2]:
        lo -= 1
    while hi + 1 < len(lines) and lines[hi + 1][2]:
        hi += 1
    return list(range(lo, hi + 1))


def wrong_row(question: str, passage: str, start: int, end: int) -> bool:
    """True when the answer ``passage[start:end]`` lies in a table row, the question names a row
    of that table, and the answer's row is none of those named.

    A word of the question names a row when it is found in exactly one row of the table and
    nowhere else in the passage ("Hamburg" in "When did the Hamburg office open?"). Column names
    appear in every labelled row, and a name in the sentence that introduces the table is about
    all of its rows, so neither names one; a table split across passages is judged on the rows
    this passage holds. Not checked: a question relating rows ("costs more than the Widget",
    "succeeded Petersen"), and an answer in its row's first cell (the question asks for a row).
    """
    if _RELATION.search(question):
        return False
    lines = _lines(passage)
    k = next((i for i, (a, b, _, _) in enumerate(lines) if a <= start <= b), None)
    if k is None or not lines[k][2]:
        return False
    table = _table_of(lines, k)
    if len(table) < 2 or CELL_SEP not in passage[lines[k][0]:start]:
        return False
    asked = {w.lower() for w in content_words(question)}
    naming = {w for w in asked
              if sum(w in lines[i][3] for i in table) == 1
              and not any(w in words for i, (_, _, _, words) in enumerate(lines) if i not in table)}
    return bool(naming) and not naming & lines[k][3]


def contradicts(question: str, passage: str, start: int, end: int) -> bool:
    """Whether the text contradicts the answer ``passage[start:end]`` (:func:`contradicts_role`,
    :func:`wrong_row`)."""
    return contradicts_role(question, passage, start, end) or wrong_row(question, passage, start, end)


# A line of a configuration file or code block that sets a key: "    port: 8443", '"path": "/metrics",',
# "max_connections = 4096", "export API_PORT=8080".
_KEY_LINE = re.compile(r"^\s*(?:export\s+|set\s+)?[\"']?([A-Za-z_][\w.-]{0,60})[\"']?\s*[:=]\s*(.*?)[,;]?\s*$")


def _key_words(key: str) -> set[str]:
    """The words of a key, lower case, plural ``s`` taken off: ``maxConnections`` / ``max_connections``
    -> ``{"max", "connection"}``."""
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", key).replace("_", " ").replace("-", " ").replace(".", " ")
    return {_singular(w.lower()) for w in words.split() if len(w) >= 3}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def keyed_value(question: str, passage: str, start: int, end: int) -> bool:
    """Whether the answer ``passage[start:end]`` is the whole value of a ``key: value`` (or
    ``key = value``) line whose key names a word of the question: ``8443`` on the line
    ``port: 8443`` for "What port does the gateway listen on?", in a passage that holds at least
    two in three of the question's content words (not for "What port does the database use?").
    Such a line states the answer as plainly as text can, but readers trained on prose are
    unsure of it; the pipeline then accepts the reader's span at a lower confidence
    (:meth:`qa.answer.reading.Reader.read`)."""
    line_start = passage.rfind("\n", 0, start) + 1
    line_end = passage.find("\n", end)
    line = passage[line_start:len(passage) if line_end < 0 else line_end]
    m = _KEY_LINE.match(line)
    if m is None or start - line_start < m.start(2):
        return False
    value = m.group(2).strip().strip("\"'")
    if passage[start:end].strip().strip("\"'") != value:
        return False
    asked = {_singular(w.lower()) for w in content_words(question)}
    keys = _key_words(m.group(1))
    if not any(_same_word(w, k) for w in asked for k in keys):
        return False
    written = _key_words(" ".join(re.findall(r"[A-Za-z0-9]+", passage)))
    missing = [w for w in asked if not any(_same_word(w, k) for k in written)]
    return 3 * len(missing) <= len(asked)  # "the database's port" is not the gateway's


def _same_word(a: str, b: str) -> bool:
    """Whether two words (three letters or more) are one, or one abbreviates the other (max, maximum)."""
    return len(a) >= 3 and len(b) >= 3 and (a.startswith(b) or b.startswith(a))
