"""What a follow-up's pronoun can stand for: the kind of each thing the previous turn named, and
what the follow-up says of it.

A pronoun ("it", "they", "its", "he", "that one", ...) stands for something named in the previous
question or answer that can do what the follow-up's verb or noun says. Each such *candidate* gets a
kind guessed from its form and place:

- ``value``: a number, amount, duration or date ("24 months", "1636", "about 60 km", "August"), or
  a bare attribute asked for ("the year", "the warranty"); a pronoun never stands for one;
- ``product``: a model code ("PX-40", "X5"), or a product word ("the drill", "which scanner");
- ``org``: "Inc", "Ltd", "Corp" ..., an organisation word at its end ("Kestrel Robotics",
  "United Methodist Church", "the Trump administration"), an acronym ("BBC", "CIA"), or a
  capitalised plural ("Denver Broncos");
- ``place``: a place word at its end ("Duval County"), a country acronym ("US"), or a name right
  after in / at / from / to / near ("from Warsaw");
- ``person``: a title ("President Trump"), or the answer to "who" or to "which journalist";
  ``person?``: any other two or three capitalised words ("Anna Berg", but also "Doctor Who");
- ``name``: one capitalised word of unknown kind ("Solvia", "Maduro");
- ``thing``: a common noun run of the question ("the boat strikes", "the tram line").

The answer's kind comes first from the previous question's asked-for noun ("Which team ...?" ->
org, "In which village ...?" -> place, "Who ...?" -> person, "When ...?" -> value); and what a
pronoun stood for in the previous turn keeps that pronoun's kind ("it" -> not a person).

A small lexicon of predicates says which kinds can do what the follow-up says: a product can lift,
weigh or cost; an organisation has employees, headquarters or revenue; a person was born or
married; a place has a population or a mayor. Each candidate is scored by the pronoun ("he"/"she"
want a person; "it" a thing, product, organisation or place; "they" a plural or an organisation
first) and by the predicate, and the lower of the two counts. :func:`choose` keeps the referent the
older rules of :mod:`qa.answer.followup` picked when none scores higher, else takes the best
candidate, earliest named first (the answer, then the question's names, then its topics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERSON, PERSON_GUESS, ORG, PLACE, PRODUCT, THING, VALUE, NAME = (
    "person", "person?", "org", "place", "product", "thing", "value", "name")


def _forms(text: str) -> frozenset[str]:
    """Each word of ``text`` with its -s, -es, -ed, -d and -ing forms ("lift" -> lifts, lifted ...)."""
    return frozenset(w + end for w in text.split() for end in ("", "s", "es", "ed", "d", "ing"))


_PREDICATES: list[tuple[frozenset[str], frozenset[str]]] = [
    (_forms("lift weigh weight cost price warranty battery charge capacity speed horsepower range load "
            "carry hold fit screen engine fuel consume print scan air broadcast premiere ship version model "
            "resolution memory storage dimension size"), frozenset([PRODUCT, THING])),
    (_forms("employ employee staff workforce headquarter hq revenue turnover profit ceo cfo coo cto chair "
            "chairman board share stock acquire subsidiary subsidiaries membership operation office branch "
            "customer brand store shop merge invest hire ipo listed"), frozenset([ORG])),
    (_forms("born marry married wife husband son daughter children nationality graduate study "
            "studied retire birthday parent educate childhood"), frozenset([PERSON])),
    (_forms("population mayor capital inhabitant resident climate border locate situated area"), frozenset([PLACE])),
]
_PASSIVE_ONLY = _forms("launch relaunch release publish")  # "When was it published?", but "he published"
_PREDICATE_SKIP = frozenset(["it", "its", "they", "them", "their", "he", "she", "him", "his", "her"])

_ORG_SUFFIX = re.compile(r"(?:\b(?:inc|ltd|corp|co|llc|plc|gmbh|ag|sa|nv|bv|limited|incorporated)\.?)$", re.IGNORECASE)
_ORG_WORDS = frozenset("""
company companies corporation firm business group bank university college school church parliament commission
panel council committee agency association organization organisation party ministry department institute
foundation society union club team administration government army navy court senate congress assembly
conference league federation network broadcaster airline airlines motors robotics optics ceramics coffee dairy
labs systems technologies analytics industries holdings foods media energy pharmaceuticals records press
studio studios startup brand band orchestra museum hospital police authority office service services
""".split())  # noqa: SIM905 - word lists read best as text
_PLACE_WORDS = frozenset("""
city cities county state states kingdom republic island islands river lake sea ocean mountain mountains
valley park street square bay province village town country region district peninsula desert coast
stadium airport port harbour harbor continent capital plains forest
""".split())  # noqa: SIM905
_PRODUCT_WORDS = frozenset("""
product device phone model car drill laptop printer scanner machine robot crane forklift camera tablet
headset headphones tool truck bike scooter drone vacuum router watch console appliance engine kit
ship vehicle aircraft boat mixer blender oven fridge speaker
""".split())  # noqa: SIM905
_PERSON_WORDS = frozenset("""
person man woman journalist clergyman general linebacker pope president founder ceo cfo chair chairman
writer author singer actor actress player scientist engineer king queen emperor khan leader minister
secretary director manager inventor artist composer poet painter priest bishop monk soldier officer
wife husband son daughter mother father brother sister child journalist
""".split())  # noqa: SIM905
_TITLES = frozenset("""
president pope king queen sir saint st dr mr mrs ms prince princess lord lady general senator governor
professor prof
""".split())  # noqa: SIM905
_ATTRIBUTES = frozenset("""
year years date day days month time age name number kind type warranty price cost weight size length
height width speed capacity percentage share amount rate value total sum figure score distance duration
""".split())  # noqa: SIM905 - what a question asks for: "the year" is no referent
_VALUE_ASKED = _ATTRIBUTES - {"name", "kind", "type"}
_AUX = frozenset(["do", "does", "did", "has", "have", "had", "can", "could", "will", "would", "should", "may",
                  "might", "must"])
_PLACE_ACRONYMS = frozenset(["US", "USA", "UK", "EU", "UAE", "USSR", "U.S.", "U.K."])
_ROLE_ACRONYMS = frozenset(["CEO", "CFO", "COO", "CTO", "CIO", "CMO", "MVP", "SI", "HQ", "IPO", "AI"])
_NUMBER_WORDS = frozenset("""
zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
hundreds thousand thousands million millions billion billions dozen half about around over under nearly
almost roughly approximately some several
""".split())  # noqa: SIM905
_DURATION = re.compile(r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century)\b",
                       re.IGNORECASE)
_CALENDAR = frozenset("""
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter
""".split())  # noqa: SIM905
_CODE = re.compile(r"^(?:the\s+)?[A-Z][A-Za-z]{0,5}[- ]?\d+[A-Za-z]*$")  # PX-40, X5, A320
_WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")


@dataclass(frozen=True)
class Candidate:
    """Something the previous turn named: its text, guessed kind, whether it is plural, and where it
    came from (``carried``, ``answer``, ``name`` or ``topic``)."""

    text: str
    kind: str
    plural: bool = False
    source: str = "name"


def is_value(text: str) -> bool:
    """Whether ``text`` is a number, amount, duration or date: "24 months", "24-month", "1636",
    "about 60 km", "30–60%", "March 1974", "August"; not a model code such as "PX-40" nor a name
    such as "Super Bowl 50"."""
    core = re.sub(r"^(?:the|a|an|in|on|at|by|since|until)\s+", "", text.strip(), flags=re.IGNORECASE)
    words = _WORD.findall(core)
    low = [w.lower() for w in words]
    if all(w in _CALENDAR or w[:1].isdigit() for w in low):
        return True  # "August", "March 1974", "October 12, 1943" (and nothing at all)
    if _CODE.match(core):
        return False
    if words[0][:1].isdigit() or low[0] in _NUMBER_WORDS or re.match(r"^[$€£]", core):
        return True
    return not words[0][:1].isupper() and bool(_DURATION.search(core))


def kind_of(text: str, hint: str | None = None) -> str:
    """The kind of a named thing, from its form (see the module docstring); ``hint`` is the kind its
    place suggests (the asked-for noun of the question it answers), used when the form says nothing
    surer."""
    core = re.sub(r"^(?:the|a|an)\s+", "", text.strip(), flags=re.IGNORECASE)
    words = core.split()
    if not words:
        return VALUE
    if is_value(core):
        return VALUE
    if _CODE.match(core):
        return PRODUCT
    head = re.split(r"\s+(?:of|on|for|in)\s+", core)[0].split()  # "Organization of Arab ..." -> Organization
    last, first = head[-1].lower().strip(".,"), words[0].lower().strip(".,")
    if _ORG_SUFFIX.search(core) or last in _ORG_WORDS:
        return ORG
    if last in _PLACE_WORDS or core in _PLACE_ACRONYMS:
        return PLACE
    if last in _PRODUCT_WORDS:
        return PRODUCT
    if first in _TITLES and len(words) > 1 and words[1][:1].isupper():
        return PERSON
    if not core[:1].isupper():
        return hint or (PERSON if last in _PERSON_WORDS else VALUE if last in _ATTRIBUTES else THING)
    if hint:
        return hint
    if core.replace(".", "").isupper() and len(core) > 1:
        return NAME if core in _ROLE_ACRONYMS else ORG
    if len(words) > 1 and words[-1].endswith("s") and not words[-1].endswith(("ss", "us", "is")):
        return ORG  # "Denver Broncos", "Kestrel Robotics"
    return PERSON_GUESS if 2 <= len(words) <= 3 and all(w[:1].isupper() for w in words) else NAME


def asked_kind(question: str) -> str | None:
    """The kind of answer ``question`` asks for: "Who ...?" -> person, "Where ...?" -> place, "When
    ...?" / "How ...?" / "Why ...?" -> value, "Which team ...?" -> org, "Which Spanish journalist ...?" ->
    person; None when it does not say."""
    low = [w.lower() for w in _WORD.findall(question)]
    for i, w in enumerate(low):
        if w in ("who", "whom"):
            return PERSON
        if w == "where":
            return PLACE
        if w in ("when", "how", "why"):  # a time, an amount or a manner: "How has X characterized Y?"
            return VALUE
        if w in ("which", "what"):
            for noun in low[i + 1:i + 8]:  # "What was the name of Temüjin's future wife?": person
                if noun in _AUX:
                    break  # "What charges does Maduro face in the United States?": not a place
                for words, kind in ((_PERSON_WORDS, PERSON), (_ORG_WORDS, ORG), (_PLACE_WORDS, PLACE),
                                    (_PRODUCT_WORDS, PRODUCT), (_VALUE_ASKED, VALUE)):
                    if noun in words:
                        return kind
            return None
    return None


def is_head_noun(word: str) -> bool:
    """Whether ``word`` names a kind of organisation, place, product or person ("administration",
    "county", "drill", "journalist")."""
    return word.lower() in _ORG_WORDS | _PLACE_WORDS | _PRODUCT_WORDS | _PERSON_WORDS


def predicate_kinds(question: str) -> frozenset[str]:
    """The kinds that can do what ``question`` says of its pronoun ("lift" -> product or thing,
    "employees" -> organisation, "born" -> person); empty when its words say nothing of the kind."""
    kinds: set[str] = set()
    passive = re.search(r"\b(?:is|are|was|were|been|be)\b", question, re.IGNORECASE) is not None
    for w in _WORD.findall(question):
        low = w.lower().strip("'’")
        if low in _PREDICATE_SKIP:
            continue
        if low in _PASSIVE_ONLY:
            if passive and low.endswith("ed"):
                kinds |= {PRODUCT, THING}
            continue
        for words, allowed in _PREDICATES:
            if low in words:
                kinds |= allowed
    return frozenset(kinds)


_PRONOUN_FIT = {
    "person": {PERSON: 3, PERSON_GUESS: 2, NAME: 2},
    "it": {PRODUCT: 3, ORG: 3, PLACE: 3, THING: 3, NAME: 3, PERSON_GUESS: 1},
    "they": {ORG: 3, NAME: 2, PERSON_GUESS: 1, PERSON: 1, PRODUCT: 1, PLACE: 1, THING: 1},
}
_PRONOUN_GROUP = {"he": "person", "him": "person", "his": "person", "she": "person", "her": "person",
                  "it": "it", "its": "it", "that": "it", "this": "it",
                  "they": "they", "them": "they", "their": "they"}


def score(candidate: Candidate, pronoun: str, wanted: frozenset[str]) -> int:
    """How well ``candidate`` fits ``pronoun`` and the predicate kinds ``wanted`` (0: not at all, 3: well):
    the lower of the pronoun's fit and the predicate's."""
    group = _PRONOUN_GROUP.get(pronoun.lower(), "it")
    if candidate.kind == VALUE:
        return 0
    if group == "they" and candidate.plural:
        by_pronoun = 3
    elif group == "they" and candidate.kind == ORG:
        by_pronoun = 3 if ORG in wanted else 2  # "they" with no company-like predicate: a plural first
    elif group == "it" and candidate.plural:
        by_pronoun = 1
    else:
        by_pronoun = _PRONOUN_FIT[group].get(candidate.kind, 0)
    return min(by_pronoun, _predicate_fit(candidate, wanted))


def _predicate_fit(candidate: Candidate, wanted: frozenset[str]) -> int:
    if not wanted or candidate.kind in wanted:
        return 3
    if candidate.kind == NAME:
        return 2
    if candidate.kind == PERSON_GUESS:
        return 2 if PERSON in wanted else 1
    return 0


def choose(candidates: list[Candidate], pronoun: str, said: str, current: str | None) -> str | None:
    """The referent of ``pronoun`` among ``candidates`` (earliest named first), given what the
    follow-up ``said`` of it (its words; for "its" / "their" ..., the noun that follows):
    ``current`` (what the older rules picked) when no candidate fits better, else the best
    candidate that fits at all; None when none does."""
    wanted = predicate_kinds(said)
    scored = [(score(c, pronoun, wanted), c) for c in candidates]
    best = max((s for s, _ in scored), default=0)
    if current is not None:
        mine = next((s for s, c in scored if c.text == current), None)
        if mine is None:
            mine = score(Candidate(current, kind_of(current)), pronoun, wanted)
        if mine >= best and mine > 0:
            return current
    if best == 0:
        return None
    return next(c.text for s, c in scored if s == best)
