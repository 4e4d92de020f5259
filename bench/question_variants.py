"""Robustness to how people type: does a variant of a question get the same answer?

For each question (reader mode: the gold paragraph), the reader answers the
question as written and four variants: lower case, no final "?", both, and
one letter swap in a word of five or more letters (``qa.train.training.swap_letters``). Prints, per variant, the share of questions whose
answer text is unchanged and the variant's F1, as JSON. Run from the repo root:

    python bench/question_variants.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json 500 [READER]
"""

import json
import random
import sys
from dataclasses import replace

from transformers.utils import logging as hf_logging

from qa.answer.reading import Reader
from qa.eval.evaluation import f1_score, load_eval_file
from qa.train.training import swap_letters


def _typo(question: str, seed: int) -> str:
    return swap_letters(question, random.Random(seed))


VARIANTS = {
    "lower case": lambda q, i: q.lower(),
    "no '?'": lambda q, i: q.rstrip().rstrip("?"),
    "lower case, no '?'": lambda q, i: q.lower().rstrip().rstrip("?"),
    "one letter swap": _typo,
}


def main(eval_file: str, limit: int = 500, reader_ref: str | None = None) -> None:
    hf_logging.set_verbosity_error()
    items = [it for it in load_eval_file(eval_file) if it.context and it.answers][:limit]
    reader = Reader(reader_ref)

    def answer(batch):
        spans = reader.read_pairs([(it.question, it.context) for it in batch], top_n=1)
        return [s[0].text if s else "" for s in spans]

    base = answer(items)
    report = {"questions": len(items), "reader": reader.name,
              "as written F1": round(100 * sum(f1_score(p, it.answers) for p, it in zip(base, items))
                                     / len(items), 2)}
    for name, change in VARIANTS.items():
        varied = [replace(it, question=change(it.question, i)) for i, it in enumerate(items)]
        preds = answer(varied)
        report[name] = {
            "same answer %": round(100 * sum(a == b for a, b in zip(preds, base)) / len(items), 2),
            "F1": round(100 * sum(f1_score(p, it.answers) for p, it in zip(preds, items)) / len(items), 2),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500,
         sys.argv[3] if len(sys.argv) > 3 else None)
