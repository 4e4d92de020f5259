"""Write a seeded sample of a SQuAD file's answerable questions as a SQuAD file.

The questions are shuffled exactly as ``qa train-reader --max-questions N
--seed SEED`` shuffles them, and positions [SKIP, SKIP + N) are written, so
``--skip`` = an earlier run's ``--max-questions`` gives questions that run never
saw. Run from the repo root:

    python scripts/sample_squad.py ../shared/qa-data/squad-v1.1/train-v1.1.json 6000 reports/squad-6k.json --skip 32000
"""

import argparse
import json

from qa.eval.squad import load_squad
from qa.train.training import answerable, shuffled


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("squad")
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    chosen = shuffled(answerable(load_squad(args.squad)), args.seed)[args.skip: args.skip + args.n]
    paragraphs: dict[str, list[dict]] = {}
    for e in chosen:
        paragraphs.setdefault(e.context, []).append({"id": e.id, "question": e.question, "answers": [
            {"text": t, "answer_start": s} for t, s in zip(e.answers, e.answer_starts)]})
    data = [{"title": "sample", "paragraphs": [{"context": c, "qas": q} for c, q in paragraphs.items()]}]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"version": "1.1", "data": data}, f, ensure_ascii=False)
    print(f"{len(chosen)} questions written to {args.out}")


if __name__ == "__main__":
    main()
