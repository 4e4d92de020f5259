"""Questions as people type them: a misspelt question word mended before reading.

Readers trained on SQuAD lean on the question word for the type of answer: "whn was
Cobalt founded" without a recognisable "when" is answered with a name. A first word
that is not a question word but is one edit from one (a letter left out, two letters
swapped, a letter added or changed: Damerau-Levenshtein distance 1) is replaced by it
("whn" -> "when", "waht" -> "what", "hwo many" -> "how many"), keeping its
capitalisation. When it is as near to two, the commoner slip decides (a letter left
out, then a swap, then an added letter, then a changed one: "whn" is "when" with a
letter left out, but "who" or "why" with a letter changed), and a following "many",
"much", "long", ... makes it "how"; a tie that remains leaves the word as typed.
English words ("were", "now", "show", "there", "those": any whole word of the packaged
MiniLM vocabulary) are left alone; "whats" and "whos" become "what's" and "who's".
"""

from __future__ import annotations

import re

from qa.ingest.loading.text import english_words
from qa.store.keywords import code_spans

MAX_QUESTION_CHARS = 500  # a question is a sentence or two; qa ask and qa eval refuse longer ones
QUESTION_WORDS = ("what", "when", "where", "which", "who", "whom", "whose", "why", "how")
# words one edit from a question word that the MiniLM vocabulary (english_words) lacks
_NOT_TYPOS = frozenset("""
hew hoe hoy whet whit whim whir whiz whey wha whoo woe
how's how'd who's who'd what's when's when'd where's why's why'd
""".split())  # noqa: SIM905 - a word list reads best as text
_FIRST_WORD = re.compile(r"^(\W*)([A-Za-z']+)")


def _edit(typed: str, word: str) -> str | None:
    """The one edit that turns ``word`` into ``typed``: ``"missing"`` (a letter left out),
    ``"swap"`` (two neighbouring letters swapped), ``"extra"`` (a letter added),
    ``"changed"`` (a letter replaced); None when they are equal or further apart (the edits of
    the Damerau-Levenshtein distance, Damerau, 1964)."""
    if len(typed) == len(word) - 1:
        return "missing" if any(word[:i] + word[i + 1:] == typed for i in range(len(word))) else None
    if len(typed) == len(word) + 1:
        return "extra" if any(typed[:i] + typed[i + 1:] == word for i in range(len(typed))) else None
    if len(typed) != len(word):
        return None
    diff = [i for i in range(len(word)) if typed[i] != word[i]]
    if len(diff) == 1:
        return "changed"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == word[diff[1]] and typed[diff[1]] == word[diff[0]]:
        return "swap"
    return None


_LIKELIEST = ("missing", "swap", "extra", "changed")  # the commoner slip wins a tie
_HOW_NEXT = re.compile(r"^\W*(?:many|much|long|old|far|often|big|large|tall|high|deep|wide)\b", re.IGNORECASE)


def _mended(typed: str, rest: str) -> str | None:
    """The question word ``typed`` stands for, or None when it is none or more than one."""
    edits = {w: e for w in QUESTION_WORDS if (e := _edit(typed, w))}
    if "how" in edits and _HOW_NEXT.match(rest):
        return "how"
    for kind in _LIKELIEST:
        words = [w for w, e in edits.items() if e == kind]
        if words:
            return words[0] if len(words) == 1 else None
    return None


def mend_question_word(question: str) -> str:
    """``question`` with a misspelt first question word mended (see the module docstring);
    unchanged when the first word is fine, a real word, or as near to two question words."""
    m = _FIRST_WORD.match(question)
    if not m:
        return question
    word = m.group(2)
    low = word.lower()
    if low in QUESTION_WORDS or low in _NOT_TYPOS or low in english_words() or len(low) < 2:
        return question
    if low.endswith("s") and low[:-1] in QUESTION_WORDS:  # "whats", "whos": the apostrophe left out
        fixed = low[:-1] + "'s"
    else:
        fixed = _mended(low, question[m.end(2):])
    if fixed is None:
        return question
    fixed = fixed.capitalize() if word[:1].isupper() else fixed
    return question[:m.start(2)] + fixed + question[m.end(2):]


def codes_as_written(question: str, passage: str) -> str:
    """``question`` with each code it names (:func:`qa.store.keywords.code_spans`) written as
    ``passage`` first writes the same code (``AP1012`` -> ``AP-1012``); unchanged otherwise.

    Keyword search matches a code however it is typed, but a reader sees word pieces: the fast
    reader's confidence in the right span of a sheet printing ``AP-1012`` falls from 0.87 to 0.01
    when the question types ``AP1012``, under its threshold (``bench/codes.py``).
    """
    named = code_spans(question, query=True)
    if not named:
        return question
    written: dict[str, str] = {}
    for start, end, token in code_spans(passage):
        written.setdefault(token, passage[start:end])
    out, at = [], 0
    for start, end, token in named:
        if token in written:
            out += [question[at:start], written[token]]
            at = end
    return "".join(out) + question[at:]
