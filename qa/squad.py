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

    Raises:
        ValueError: the object lacks SQuAD's ``data`` list.
    """
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not a SQuAD file: no top-level 'data' list")  # noqa: TRY004 - bad file content
    examples: list[SquadExample] = []
    for a, article in enumerate(data["data"]):
        for p, para in enumerate(article.get("paragraphs", [])):
            for qa in para.get("qas", []):
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                examples.append(
                    SquadExample(
                        id=str(qa["id"]),
                        question=qa["question"],
                        context=para["context"],
                        answers=[x["text"] for x in answers],
                        answer_starts=[int(x["answer_start"]) for x in answers],
                        title=article.get("title", ""),
                        article=a,
                        paragraph=p,
                    )
                )
    return examples


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
