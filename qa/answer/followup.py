"""Follow-up questions: reading a question in the light of the conversation so far.

A question *depends* on the conversation when it refers back with a pronoun
("How many people died in them?", "Where is it based?", "Who else was
there?") or is *elliptic*: short, with no name or topic of its own ("When?",
"In which country?", "And how many died?", "What about Chevron?"), or asks for "the CEO" or
"the headquarters" without saying whose (see below). A self-contained question is left exactly
as it is.

A dependent question is resolved against the previous turn (its question as
it was understood, and its answer):

- a pronoun is replaced by the previous answer when the previous question
  asked for a thing, person or place (who / which / what / where), else by
  the previous question's topic, its first run of content words ("boat
  strikes" in "How many boat strikes has ..."); "it" / "its" after a question
  about a person stands for the one organisation or place that question named
  ("Who is the CEO of Falcon Optics?" + "Who is its CFO?" -> "Who is Falcon
  Optics's CFO?"); "there" becomes "in" + the previous answer after a "where"
  question;
- "What about X?" is the previous question with a name of X's kind swapped
  for X (a name for a name, an acronym such as "CFO" or "UK" for an acronym;
  X in lower case takes the first name), or its topic when it has no name;
- "And X?" is read as "What about X?";
- another elliptic question takes the previous question's place of the
  question word ("Who founded Solvia?" + "When?" -> "When founded Solvia?"),
  which extractive readers read well enough.

A question that names nothing but asks for "the X" with no owner, X a role or an attribute that
needs one ("Who is the CEO?", "Where is the headquarters?"), after a question that named one
thing, is about that thing: "Who is the CEO of Kestrel Robotics?"; "the company" becomes the name
itself. Other questions without a name ("How far is the moon?") stand alone.

The retrieval query is the resolved question plus the previous question and
answer, so the passage of the earlier answer is found again. This is a rule
based rewrite (no trained model can be had here); ``bench/followups.py``
measures it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer import referents
from qa.answer.roles import roles

_STOP = frozenset("""
a an the of in on at to for from by with about into over after before during since until and or but
is are was were be been being am do does did done has have had having will would can could shall should
may might must what which who whom whose when where why how many much long old far often big large
it its they them their theirs there he him his she her hers this that these those then else also
i me my we us our you your one ones some any more most other same such not no yes so than too very
s just only both each few own up down out off again further once here all
""".split())  # noqa: SIM905 - a word list reads best as text
_PRONOUNS = {
    "it": "obj", "they": "obj", "them": "obj", "its": "poss", "their": "poss",
    "he": "obj", "she": "obj", "him": "obj", "her": "poss", "his": "poss",
    "there": "place", "that": "obj", "this": "obj",
}
_SUBJECTS = frozenset(["i", "you", "he", "she", "it", "we", "they", "the", "a", "an"])
_SAME_REFERENT = ({"it", "its"}, {"they", "them", "their"}, {"he", "him", "his"}, {"she", "her"})
_WH = re.compile(
    r"^\s*(?:(?:and|so|then)\s+)?(?:(?:in|on|at|from|to|for|by|with|during|since)\s+)?"
    r"(?:how\s+(?:many|much|long|old|far|big|often|large|tall)(?:\s+(?!is|are|was|were|do|does|did|has|have|had)"
    r"[a-z]+)?|(?:what|which|whose)(?:\s+(?!is|are|was|were|do|does|did|has|have|had|can|could|will|would)"
    r"[a-z]+)?|who|whom|when|where|why|how|what|which)\b", re.IGNORECASE)
_WH_BARE = re.compile(
    r"^\s*(?:(?:in|on|at|from|to|for|by|with|during|since)\s+)?"
    r"(?:how\s+(?:many|much|long|old|far|big|often|large|tall)|what|which|whose|who|whom|when|where|why|how)\b",
    re.IGNORECASE)
_LEAD = re.compile(r"^\s*(?:and|so|then|but|ok|okay)\b[\s,]*", re.IGNORECASE)
_AND_NAME = re.compile(  # "And Bluefin Coffee?", "and of Orion?", "And the CFO?": a name or an acronym, as typed
    r"^\s*(?i:and)\s+(?:(?i:for|of|in|at|on|about)\s+)?((?:(?i:the)\s+)?[A-Z][\w&.-]*(?:\s+(?:[A-Z][\w&.-]*|of|and|&))*)"
    r"\s*[?.!]*\s*$")
_CONTEXT = re.compile(r"\s*\([^()]*\)\s*\?$")  # the previous turn's words that _with_context appends
_CALENDAR = frozenset("""
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
""".split())  # noqa: SIM905
_OWNER_NOUNS = frozenset("""
company firm business organisation organization corporation startup start-up brand
""".split())  # noqa: SIM905 - "the company" after a question about Kestrel Robotics is Kestrel Robotics
_RELATIONAL = frozenset("""
ceo cfo coo cto cio cmo chair chairman chairwoman chairperson president founder founders owner owners
director manager headquarters hq address website revenue revenues turnover profit profits staff
workforce employees population mayor capital logo slogan motto subsidiary subsidiaries
""".split())  # noqa: SIM905 - roles and attributes that need an owner: "the CEO" is someone's CEO
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_ENTITY_QUESTION = re.compile(r"^\s*(?:(?:in|at|from|by|with)\s+)?(?:who|whom|which|what|where)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_][\w'’.-]*[^\W_]|[^\W_]")  # letters of any script: Malmö, Żelazowa
_POSSESSIVE = re.compile(r"(?<=\w)['’]s$|(?<=s)['’]$")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_NUMBER_LIKE = re.compile(r"^[\d\s.,%$€£:/-]+|(?:\d{1,2}\s+)?[A-Z][a-z]+\s+\d{4}$")


@dataclass
class Turn:
    """One earlier turn: the question as it was understood, its best answer (None: none) and, when
    the conversation changed it, the question as typed (``asked``)."""

    question: str
    answer: str | None = None
    asked: str | None = None  # the question as typed, when the conversation changed it


@dataclass
class Resolved:
    """How a question is read: ``question`` for the reader, ``query`` for retrieval.

    ``rewritten`` is True when the conversation changed the question.
    """

    question: str
    query: str
    rewritten: bool


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its topic (stop words, question words and pronouns left out)."""
    return [w for w in _WORD.findall(text) if w.lower() not in _STOP]


def _pronoun(question: str) -> re.Match | None:
    """The first word of ``question`` that refers back ("that"/"this" only when not before a noun)."""
    pattern = r"\b(" + "|".join(_PRONOUNS) + r")\b"
    for m in re.finditer(pattern, question, re.IGNORECASE):
        if m.group(1).lower() in ("that", "this"):
            after = _WORD.findall(question[m.end():])
            if after and after[0].lower() not in _STOP and len(after) > 1:
                continue  # "that company ...": a determiner, not a reference
            if after and after[0].lower() in _SUBJECTS:
                continue  # "... demanded that he retract ...": a conjunction
        return m
    return None


def is_elliptic(question: str) -> bool:
    """Short and without a topic of its own: "When?", "In which country?", "What about X?"."""
    if _WHAT_ABOUT.match(question) or re.match(r"^\s*and\b", question, re.IGNORECASE):
        return True
    words = _WORD.findall(question)
    named = [w for w in words[1:] if w[:1].isupper()]
    return len(words) <= 4 and not named and len(content_words(question)) <= 1


def depends_on_history(question: str) -> bool:
    """True when the question cannot be read on its own (see the module docstring)."""
    return _pronoun(question) is not None or is_elliptic(question)


def topic(question: str) -> str:
    """A question's topic: its first run of content words after the question word.

    A run that starts with a name stops where the name ends ("Solvia" in "When
    was Solvia founded?").
    """
    return next(iter(_topics(question)), "")


def _topics(question: str) -> list[str]:
    """The runs of content words after the question word, in order (see :func:`topic`):
    ["stops", "tram line"] for "How many stops will the tram line have?"."""
    wh = _WH_BARE.match(question)
    rest = question[wh.end():] if wh else question
    runs: list[str] = []
    run: list[str] = []
    for w in [*_WORD.findall(rest), ""]:
        stop = not w or w.lower() in _STOP or (run and run[0][:1].isupper() and not w[:1].isupper())
        if stop:
            if run:
                runs.append(" ".join(run))
            run = [] if not w or w.lower() in _STOP else [w]
            continue
        run.append(w)
    return runs


_NOT_PLURAL = frozenset(["news", "series", "species", "means", "physics", "economics", "politics", "mathematics", "headquarters"])


def _plural(phrase: str) -> bool:
    """Whether a phrase ends in an English plural ("stops", "boat strikes"; not "bus", "glass",
    "the news", nor a name such as "Wales" or "Siemens")."""
    words = phrase.split()
    last = words[-1] if words else ""
    return (len(last) > 3 and last.islower() and last.endswith("s") and not last.endswith(("ss", "us", "is"))
            and last not in _NOT_PLURAL)


def names(question: str) -> list[str]:
    """Runs of capitalised words after the first word ("Trump", "United States"); a possessive
    ends a run and is left out ("Falcon Optics" and "CFO" in "Who is Falcon Optics's CFO?" or
    "... Optics' CFO?")."""
    runs, run = [], []
    for m in list(_WORD.finditer(question))[1:] + [None]:
        w = m.group(0) if m else ""
        if w[:1].isupper() and (w.lower() not in _STOP or (len(w) > 1 and w.isupper())):  # "US"
            owner = _POSSESSIVE.sub("", w)
            run.append(owner)
            if owner != w or question[m.end():m.end() + 1] in ("'", "’"):
                runs.append(" ".join(run))
                run = []
        elif run:
            runs.append(" ".join(run))
            run = []
    return runs


def _is_acronym(name: str) -> bool:
    """"CEO", "US", "NASA": all capitals (a role or an abbreviation rather than a name)."""
    letters = _ARTICLE.sub("", name).replace(" ", "").replace(".", "")
    return letters.isupper()


def _thing_named(question: str) -> str | None:
    """The one organisation, place or thing a question names: its name that is not an acronym
    such as a role ("Falcon Optics" in "Who is the CEO of Falcon Optics?"); None if not one."""
    found = [n for n in names(question) if not _is_acronym(n)]
    return found[0] if len(found) == 1 else None


def _replaced(prev: Turn) -> tuple[str, str] | None:
    """The pronoun of the previous turn as typed and what it was read as, when that turn was a
    follow-up that replaced it ("they" and "Bluefin Coffee" for "How many cafés do they operate?"
    read as "... do Bluefin Coffee operate?"); None otherwise."""
    if not prev.asked:
        return None
    bare = _bare(prev.asked)
    m = _pronoun(bare)
    if not m:
        return None
    before, after = bare[:m.start()], bare[m.end():]
    now = prev.question
    if len(now) <= len(before) + len(after) or not (now.startswith(before) and now.endswith(after)):
        return None
    stood_for = _POSSESSIVE.sub("", now[len(before):len(now) - len(after)].strip())
    return (m.group(1).lower(), stood_for) if stood_for else None


def _carried(prev: Turn, word: str) -> str | None:
    """What the same pronoun stood for in the previous turn, when that turn was a follow-up
    that replaced it ("How many cafés do they operate?" read as "... do Bluefin Coffee
    operate?": "they" is Bluefin Coffee again); None otherwise."""
    replaced = _replaced(prev)
    if not replaced or not any(word in group and replaced[0] in group for group in _SAME_REFERENT):
        return None
    return replaced[1]


def _referent(prev: Turn, word: str) -> str | None:
    """What a pronoun of the follow-up stands for; None when no replacement is safe."""
    carried = _carried(prev, word)
    if carried:
        return carried
    person = word in ("he", "she", "him", "his", "her")
    wh = _WH_BARE.match(prev.question)
    asked = wh.group(0).split()[-1].lower() if wh else ""
    if prev.answer and not _NUMBER_LIKE.fullmatch(prev.answer):
        if person and asked in ("who", "whom"):
            return prev.answer
        if not person and asked in ("which", "what"):
            return prev.answer
    if person:
        people = names(prev.question)
        return people[0] if len(people) == 1 else None
    subject = topic(prev.question)
    if asked in ("who", "whom"):  # "it" after a question about a person: the thing it named
        return _thing_named(prev.question) if word in ("it", "its") else None
    if word in ("it", "its") and subject and _plural(subject):  # "it" is one thing: "the tram line"
        subject = next((t for t in _topics(prev.question) if not _plural(t)), subject)
    if not subject:
        return None
    return subject if subject[:1].isupper() else f"the {subject}"


def _with_context(question: str, prev: Turn) -> str:
    """The question followed by the previous turn's topic words and answer (a safe fallback)."""
    extra = content_words(prev.question) + ([prev.answer] if prev.answer else [])
    return f"{question.rstrip(' ?')} ({' '.join(extra)})?"


def _replace_pronoun(question: str, m: re.Match, prev: Turn) -> str:
    word, end = m.group(1).lower(), m.end()
    kind = _PRONOUNS[word]
    if kind == "place":
        if prev.answer and re.match(r"^\s*where\b", prev.question, re.IGNORECASE):
            return question[:m.start()] + "in " + prev.answer + question[m.end():]
        return _with_context(question, prev)
    if word in ("that", "this"):
        one = re.match(r"\s+(ones?)\b", question[end:], re.IGNORECASE)
        if not one:  # "that" alone may stand for a whole event: give the context instead
            return _with_context(question, prev)
        word, end = ("they" if one.group(1).lower() == "ones" else "it"), end + one.end()
    said = _possessed(question[end:]) if kind == "poss" else question
    if re.search(r"\b(?:in|of|from|with|to|for|on|at|by|about|against|between|among)\s+$", question[:m.start()],
                 re.IGNORECASE):
        said = ""  # "How many people died in them?": what the question says is not said of "them"
    referent = _carried(prev, word) or referents.choose(_candidates(prev), word, said, _referent(prev, word))
    if not referent:
        return _with_context(question, prev)
    if kind == "poss":
        referent += "'s"
    return question[:m.start()] + referent + question[end:]


def _possessed(after: str) -> str:
    """What a possessive pronoun owns: the content words that follow it ("worldwide membership" in
    "... its worldwide membership as of 2014?")."""
    run = []
    for w in _WORD.findall(after):
        if w.lower() in _STOP:
            break
        run.append(w)
    return " ".join(run)


_NEAR = re.compile(r"\b(?:in|at|from|to|near|into|across|around)\s+(?:the\s+)?$", re.IGNORECASE)
_CARRIED_KIND = {"he": referents.PERSON, "him": referents.PERSON, "his": referents.PERSON,
                 "she": referents.PERSON, "her": referents.PERSON}


def _candidates(prev: Turn) -> list[referents.Candidate]:
    """What a pronoun of the follow-up may stand for, earliest named first: what a pronoun of the
    previous turn stood for, the previous answer, the names of the previous question, and its
    common-noun topics ("the boat strikes"); each with its kind (:mod:`qa.answer.referents`)."""
    found: list[referents.Candidate] = []
    replaced = _replaced(prev)
    if replaced:
        found.append(_carried_candidate(*replaced))
    if prev.answer:
        answer = prev.answer.strip()
        kind = referents.kind_of(answer, referents.asked_kind(prev.question))
        plural = _plural(answer) or bool(re.search(r",|\band\b", answer))
        found.append(referents.Candidate(answer, kind, plural and kind != referents.ORG, "answer"))
    for name in _full_names(prev.question):
        if not _is_acronym(name) or name.replace(".", "") not in ("CEO", "CFO", "COO", "CTO", "MVP"):
            found.append(_name_candidate(prev.question, name))
    found += _noun_topics(prev.question)
    return [c for i, c in enumerate(found) if not any(c.text.lower() in d.text.lower() for d in found[:i])]


def _noun_topics(question: str) -> list[referents.Candidate]:
    """The common-noun topics of ``question`` that a pronoun may stand for: the one right after its
    question word ("How many boat strikes ..."), and those after a determiner or a possessive ("the boat strikes", "that docking area"), verbs in -ed at
    their end left out ("the Trump administration conducted" -> "administration")."""
    found = []
    wh = _WH_BARE.match(question)
    for run in _topics(question):
        words = run.split()
        while words and words[-1].endswith(("ed", "ly")):  # "allegedly used": no thing
            words.pop()
        if not words or run[:1].isupper():
            continue
        phrase = " ".join(words)
        at = question.find(run)
        first = wh is not None and not question[wh.end():max(at, 0)].strip()  # "How many boat strikes ..."
        if not first and not re.search(r"(?:\b(?:the|a|an|its|their|his|her|this|that|these|those)|['’]s?)\s+$",
                               question[:max(at, 0)], re.IGNORECASE):
            continue
        found.append(referents.Candidate(f"the {phrase}", referents.kind_of(phrase), _plural(phrase), "topic"))
    return found


def _carried_candidate(pronoun: str, text: str) -> referents.Candidate:
    """What ``pronoun`` stood for in the previous turn, with that pronoun's kind: a person for "he",
    not a person for "it", a plural or an organisation for "they"."""
    kind = _CARRIED_KIND.get(pronoun) or referents.kind_of(text)
    if pronoun in ("it", "its") and kind in (referents.PERSON, referents.PERSON_GUESS):
        kind = referents.THING
    plural = pronoun in ("they", "them", "their") and kind != referents.ORG
    return referents.Candidate(text, kind, plural, "carried")


def _full_names(question: str) -> list[str]:
    """:func:`names`, each run on over capitalised words it left out ("Doctor Who" in "... produced
    Doctor Who?")."""
    out = []
    for name in names(question):
        more = re.search(re.escape(name) + r"((?:\s+(?:(?:of|on|for|and)\s+)?[A-Z][\w-]*)+)\b(?!['’])", question)
        out.append(name + more.group(1) if more else name)
    return out


def _name_candidate(question: str, name: str) -> referents.Candidate:
    """A name of ``question`` as a candidate: with "the" when the question puts it before the name
    ("the PX-40"), a place when it follows in / at / from / to ("from Warsaw")."""
    at = question.find(name)
    before = question[:at] if at >= 0 else ""
    hint = referents.PLACE if _NEAR.search(before) else None
    the = re.search(r"\bthe((?:\s+[a-z]+){0,2})\s+$", before)  # "the new Scottish Parliament"
    if not the or name.lower().startswith("the ") or any(w in _STOP for w in the.group(1).split()):
        return referents.Candidate(name, referents.kind_of(name, hint), False, "name")
    head = re.match(r"\s+([a-z]+)\b", question[at + len(name):])  # "the Trump administration"
    if head and referents.is_head_noun(head.group(1)):
        phrase = f"{name} {head.group(1)}"
        return referents.Candidate(f"the{the.group(1)} {phrase}", referents.kind_of(phrase, hint), False, "name")
    return referents.Candidate(f"the{the.group(1)} {name}", referents.kind_of(name, hint), False, "name")


def _swap_target(prev_question: str, new: str) -> str | None:
    """What "What about NEW?" replaces in the previous question: a name of the same kind (an
    acronym for an acronym, a name for a name) when NEW is a name, else the question's topic."""
    core = _ARTICLE.sub("", new)
    runs = names(prev_question)
    if not core[:1].isupper():  # typed in lower case: a name all the same, when the question has one
        if _plural(core) and _plural(topic(prev_question)):  # "What about sacks?" after "... solo tackles ..."
            return topic(prev_question)
        return (runs or [topic(prev_question)])[0] or None
    same = [n for n in runs if _is_acronym(n) == _is_acronym(core)]
    return (same or runs or [topic(prev_question)])[0] or None


def _swap(prev_question: str, old: str, new: str) -> str:
    """``prev_question`` with ``old`` replaced by ``new``, without doubling an article."""
    at = prev_question.index(old)
    if _ARTICLE.match(new) and re.search(r"\b(?:the|a|an)\s+$", prev_question[:at], re.IGNORECASE):
        new = _ARTICLE.sub("", new)
    return prev_question[:at] + new + prev_question[at + len(old):]


def _and_name(question: str) -> str | None:
    """X of "And X?" when X is a name or an acronym as typed ("Bluefin Coffee", "the CFO"), not a
    question of its own ("And how many died?") nor a word like "So" or "you"."""
    m = _AND_NAME.match(question)
    if not m:
        return None
    words = _ARTICLE.sub("", m.group(1)).split()
    if any(w.lower() in _STOP and w.lower() not in ("of", "and") for w in words) or _POSSESSIVE.search(words[-1]):
        return None
    return m.group(1)


def _swapped_in(question: str, and_name: str | None) -> str | None:
    """The X of "What about X?", else ``and_name`` (the X of "And X?", see :func:`_and_name`)."""
    about = _WHAT_ABOUT.match(question)
    return about.group(1) if about else and_name


def _resolve_elliptic(question: str, prev: Turn, and_name: str | None = None) -> str:
    new = _swapped_in(question, and_name)
    if new:
        old = _swap_target(prev.question, new)
        if old and old in prev.question:
            return _swap(prev.question, old, new)
        return _with_context(new, prev)
    wh_now, wh_prev = _WH.match(question), _WH_BARE.match(prev.question)
    if wh_now and wh_prev and not question[wh_now.end():].strip(" ?.!") and not _into_subject(wh_now, wh_prev, prev.question):
        return f"{wh_now.group(0).strip()} {prev.question[wh_prev.end():].strip(' ?')}?"
    return _with_context(question, prev)


def _into_subject(wh_now: re.Match, wh_prev: re.Match, prev_question: str) -> bool:
    """Whether putting a counted thing in the previous question's place would make it that
    question's subject: "How many trees?" after "Who criticised the felling?" is not "How many
    trees criticised the felling?" ("Which company?" after "Who acquired Solvia?" and "How many
    companies?" after "What did Solvia acquire?" read well)."""
    counted = re.match(r"\s*how\s+(?:many|much)\s+\w", wh_now.group(0), re.IGNORECASE) is not None
    after = prev_question[wh_prev.end():].split()
    subject_asked = wh_prev.group(0).split()[-1].lower() in ("who", "what", "which")
    return counted and subject_asked and bool(after) and after[0].lower() not in _AUXILIARIES


_BE = frozenset(["is", "are", "was", "were"])
_AUXILIARIES = frozenset(["do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could", "should", "may", "might"])


def _unowned_definite(question: str) -> tuple[int, int, str] | None:
    """The first "the X" of ``question`` that asks for a role or an attribute of an organisation
    with no owner given ("the CEO" in "Who is the CEO?", "the company" in "When was the company
    founded?"; not "the size of the team", "the firm's CEO" nor "the moon"), when the question
    names nothing (acronyms such as "CEO" aside): ``(start, end, head word)``, character offsets
    of "the X"; else None. X is :data:`_OWNER_NOUNS`, :data:`_RELATIONAL` or a role of
    :func:`qa.answer.roles.roles`."""
    if any(not _is_acronym(n) for n in names(question)):
        return None
    for m in re.finditer(r"\bthe\s+", question, re.IGNORECASE):
        run = []
        for w in _WORD.finditer(question, m.end()):
            if w.group(0).lower() in _STOP:
                break
            run.append(w)
        if len(run) > 1 and _ends_in_verb(question[:m.start()], run[-1].group(0)):
            run.pop()  # "When was the company founded?"
        if not run or len(run) > 3 or re.search(r"\bof\s+$", question[:m.start()], re.IGNORECASE):
            continue  # "the size of the team": the team owns the size
        if any(_POSSESSIVE.search(w.group(0)) for w in run) or re.match(r"\s+of\b|['’]", question[run[-1].end():]):
            continue  # "the firm's CEO", "the speed of light": owned already
        head = run[-1].group(0).lower()
        if (head in _OWNER_NOUNS and len(run) == 1) or head in _RELATIONAL or roles(question[m.start():run[-1].end()]):
            return m.start(), run[-1].end(), head
    return None


def _ends_in_verb(before: str, last: str) -> bool:
    """Whether ``last``, the word closing a "the X ..." run, is the question's verb: after "do" /
    "has" / "can" ... a verb comes last ("What did the company buy?"); after "is" / "was" a
    participle ("When was the company founded?") but also a noun ("Who is the current CEO?")."""
    aux = any(w.lower() in _AUXILIARIES - _BE for w in re.findall(r"\w+", before))
    return aux or bool(re.search(r"(?:ed|en|ing)$", last.lower()))


def may_refer_back(question: str) -> bool:
    """Whether :func:`resolve` could change ``question``, given some history: it depends on the
    conversation (:func:`depends_on_history`) or speaks of "the X" with no owner."""
    return depends_on_history(question) or _unowned_definite(question) is not None


def _own_definite(question: str, prev: Turn) -> str | None:
    """A question that names nothing but speaks of "the X" with no owner, after a question that
    named one thing: "the X" is that thing's ("Who is the CEO?" after "When was Kestrel Robotics
    founded?" -> "Who is the CEO of Kestrel Robotics?"; "When was the company founded?" -> "When
    was Kestrel Robotics founded?"). None when the rule does not apply."""
    thing = _thing_named(prev.question)
    if thing and thing.split()[0].lower() in _CALENDAR:
        thing = None  # "since August": a time, not the thing the conversation is about
    found = _unowned_definite(question)
    if not thing or not found or thing.lower() in question.lower():
        return None
    start, end, head = found
    if head in _OWNER_NOUNS:
        return question[:start] + thing + question[end:]
    return question[:end] + " of " + thing + question[end:]


def resolve(question: str, history: list[Turn]) -> Resolved:
    """Read ``question`` in the context of ``history`` (earlier turns, oldest first).

    Returns the question unchanged (``rewritten`` False) when there is no
    history or the question stands alone.
    """
    if not history:
        return Resolved(question, question, False)
    if not depends_on_history(question):
        owned = _own_definite(question, history[-1])
        if owned is None:
            return Resolved(question, question, False)
        return Resolved(owned, _query(owned, history[-1]), True)
    prev = history[-1]
    if prev.asked and not _CONTEXT.search(prev.asked):  # not "... (stops tram line 14)?" that a fallback added
        prev = Turn(_CONTEXT.sub("?", prev.question), prev.answer, prev.asked)
    bare = _bare(question)
    m = _pronoun(bare)
    and_name = _and_name(question)
    if m:
        resolved = _replace_pronoun(bare, m, prev)
    elif _swapped_in(bare, and_name):
        resolved = _resolve_elliptic(bare, prev, and_name)
    else:
        resolved = _own_definite(bare, prev) or _resolve_elliptic(bare, prev)
    return Resolved(resolved, _query(resolved, prev), True)


def _bare(question: str) -> str:
    """``question`` without a leading "and" / "so" / "then" ..., capitalised."""
    bare = _LEAD.sub("", question) or question
    return bare[:1].upper() + bare[1:]


def _query(resolved: str, prev: Turn) -> str:
    """The retrieval query of a resolved question: it, the previous question and its answer."""
    return " ".join([resolved, prev.question, prev.answer or ""]).strip()
