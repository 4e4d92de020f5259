"""Reading SQuAD-format question files (v1.1 and v2.0 layouts).

SQuAD JSON: ``{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}``
(Rajpurkar et al., 2016; v2.0 adds ``is_impossible``, Rajpurkar et al., 2018).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SquadExample:
    """One question with its paragraph.

    ``answers`` are the reference answer texts (empty for an unanswerable
    question); ``answer_starts`` their character offsets into ``context``.
    ``article`` and ``paragraph`` index the question's place in the file.
    """

    id: str
    question: str
    context: str
    answers: list[str] = field(default_factory=list)
    answer_starts: list[int] = field(default_factory=list)
    title: str = ""
    article: int = 0
    paragraph: int = 0


def parse_squad(data: dict) -> list[SquadExample]:
    """Flatten a parsed SQuAD JSON object into examples, in file order.

    A question without ``id`` gets ``"A-P-Q"`` (its indices); an answer without
    ``answer_start`` gets the first occurrence of its text in the context (-1
    when absent).

    Raises:
        ValueError: the object lacks SQuAD's ``data`` list, or an article,
            paragraph or question is malformed (the message says which).
    """
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not a SQuAD file: no top-level 'data' list")  # noqa: TRY004 - bad file content
    examples: list[SquadExample] = []
    for a, article in enumerate(data["data"]):
        where = f"article {a}"
        try:
            for p, para in enumerate(article.get("paragraphs", [])):
                where = f"article {a}, paragraph {p}"
                for q, qa in enumerate(para.get("qas", [])):
                    where = f"article {a}, paragraph {p}, question {q}"
                    examples.append(_example(qa, para["context"], article.get("title", ""), a, p, q))
        except (KeyError, AttributeError, TypeError, ValueError) as e:
            detail = f"missing {e}" if isinstance(e, KeyError) else "wrong structure"
            raise ValueError(f"not a SQuAD file: {where}: {detail}") from e
    return examples


def _example(qa: dict, context: str, title: str, a: int, p: int, q: int) -> SquadExample:
    answers = [] if qa.get("is_impossible") else qa.get("answers", [])
    texts = [str(x["text"]) for x in answers]
    starts = [int(x["answer_start"]) if "answer_start" in x else context.find(t)
              for x, t in zip(answers, texts, strict=True)]
    return SquadExample(id=str(qa.get("id", f"{a}-{p}-{q}")), question=str(qa["question"]),
                        context=str(context), answers=texts, answer_starts=starts,
                        title=str(title), article=a, paragraph=p)


def load_squad(path: str | Path) -> list[SquadExample]:
    """Read a SQuAD JSON file into examples (see :func:`parse_squad`).

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not JSON or not in SQuAD's layout.
    """
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from e
    return parse_squad(data)
