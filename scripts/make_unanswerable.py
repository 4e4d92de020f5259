"""Synthetic unanswerable questions in SQuAD 2.0 layout, made from answerable SQuAD questions.

A reader learns to abstain on *plausible* unanswerable questions (ones that look
like the paragraph answers them) only from examples of them; SQuAD 2.0's own
(Rajpurkar et al., 2018) are few here. This writes questions of two of its
kinds, each kept with the paragraph of the question it was made from:

- entity swap: a name or number of the question that the paragraph contains is
  replaced with one the paragraph does not contain (a name from another
  article's questions, or a nearby number or year);
- negation: the question's auxiliary verb negated ("What did X build?" ->
  "What didn't X build?").

Some results are still answerable (noise a reader tolerates). Seeded, so the
same command gives the same file. Run from the repo root:

    python scripts/make_unanswerable.py ../shared/qa-data/squad-v1.1/train-v1.1.json 3000 OUT.json [--skip N]

``--skip N`` leaves out the first N questions of a seeded shuffle (seed 42), the
ones a ``qa train-reader --max-questions N`` run trained on.
"""

import argparse
import json
import random
import re
from pathlib import Path

from qa.eval.squad import load_squad
from qa.train.training import answerable, shuffled

AUX = {"is", "was", "are", "were", "did", "does", "do", "can", "could", "will", "would", "has", "have",
       "had", "should", "might", "must"}
WH = {"what", "who", "whom", "which", "when", "where", "why", "how"}
NEGATED = {"can": "can't", "will": "won't"}
NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*\b")
NUMBER = re.compile(r"\b\d{1,4}\b")


def names_in(question: str) -> list[str]:
    """Capitalised words or runs of them, leaving out the question's first word."""
    return [m.group() for m in NAME.finditer(question) if m.start() > 0]


def swap_entity(question: str, context: str, pool: list[str], rng: random.Random) -> str | None:
    """The question with one name or number that ``context`` holds replaced by one it does
    not hold; ``None`` when the question has none to replace."""
    numbers = [m for m in NUMBER.finditer(question) if m.group() in context]
    names = [n for n in names_in(question) if n in context]
    if numbers and (not names or rng.random() < 0.4):
        m = rng.choice(numbers)
        value = int(m.group())
        for _ in range(10):
            new = value + rng.choice([-1, 1]) * rng.randint(1, 30 if value > 1000 else max(2, value))
            if new > 0 and str(new) not in context:
                return question[: m.start()] + str(new) + question[m.end():]
        return None
    if not names:
        return None
    old = rng.choice(names)
    for _ in range(20):
        new = rng.choice(pool)
        if new != old and new not in context and len(new.split()) <= 3:
            return question.replace(old, new, 1)
    return None


def negate(question: str) -> str | None:
    """"What did X build?" -> "What didn't X build?"; ``None`` when the question does not open
    with a question word and an auxiliary verb."""
    words = question.split(" ")
    if len(words) < 4 or words[0].lower() not in WH:
        return None
    for i in (1, 2):
        aux = words[i].lower()
        if aux in AUX and aux not in ("might", "must"):
            words[i] = NEGATED.get(aux, aux + "n't")
            return " ".join(words)
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("squad")
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    items = shuffled(answerable(load_squad(args.squad)), 42)[args.skip:]
    pool = sorted({n for e in items for n in names_in(e.question)})
    rng = random.Random(args.seed)
    made: dict[tuple[str, str], list[dict]] = {}
    count = {"swap": 0, "negation": 0}
    for e in items:
        if sum(count.values()) >= args.n:
            break
        kind = "negation" if rng.random() < 0.3 else "swap"
        new = negate(e.question) if kind == "negation" else swap_entity(e.question, e.context, pool, rng)
        if not new or new == e.question:
            continue
        count[kind] += 1
        made.setdefault((e.title, e.context), []).append(
            {"id": f"{e.id}-u", "question": new, "answers": [], "is_impossible": True})
    by_title: dict[str, list[dict]] = {}
    for (title, context), qas in made.items():
        by_title.setdefault(title, []).append({"context": context, "qas": qas})
    out = {"version": "v2.0", "data": [{"title": t, "paragraphs": ps} for t, ps in by_title.items()]}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False))
    print(f"{sum(count.values())} unanswerable questions ({count['swap']} entity swaps, "
          f"{count['negation']} negations) written to {args.out}")


if __name__ == "__main__":
    main()
