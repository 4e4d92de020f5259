"""Abstention rules compared: a threshold picked on one SQuAD 2.0-layout file, measured on another.

Each question is read against its own paragraph (reader mode). Two rules decide
when to abstain, each with its threshold picked to maximise F1 on CALIBRATION:

- ``span``: the best span's probability p(start) * p(end) is under t (the shipped rule);
- ``odds``: p(span) / (p(span) + p(no answer)) is under t, where p(no answer) is
  p(start = null) * p(end = null) (the SQuAD 2.0 baseline's comparison of the best
  span with the null score, Devlin et al., 2019, as a probability).

Run from the repo root (about 0.12 s a question with the base reader on 2 cores):

    python bench/abstention.py reports/calibration-dev-a.json reports/squad2/kept-half.json --reader base
"""

import argparse
import json
import sys
import time

import numpy as np

from qa.answer.reading import Reader
from qa.eval.evaluation import f1_score
from qa.eval.squad import load_squad


def read_all(reader: Reader, path: str) -> list[dict]:
    """Per question: gold answers, best span text, its probability and the no-answer probability."""
    examples = load_squad(path)
    spans = reader.read_pairs([(e.question, e.context) for e in examples], top_n=1)
    out = []
    for e, found in zip(examples, spans):
        best = found[0] if found else None
        out.append({"answers": e.answers, "text": best.text if best else "",
                    "span": best.score if best else 0.0, "null": best.null_score if best else 1.0})
    return out


def rule_scores(rows: list[dict], rule: str) -> np.ndarray:
    span = np.array([r["span"] for r in rows])
    if rule == "span":
        return span
    null = np.array([r["null"] for r in rows])
    return span / np.maximum(span + null, 1e-12)


def outcome(rows: list[dict], keep: np.ndarray) -> dict:
    """F1 (abstaining on an unanswerable question scores 1), no-answer accuracy, answerable F1."""
    f1s, na, has = [], [], []
    for r, k in zip(rows, keep):
        if not r["answers"]:
            f1s.append(0.0 if k else 1.0)
            na.append(not k)
        else:
            f = f1_score(r["text"], r["answers"]) if k else 0.0
            f1s.append(f)
            has.append(f)
    return {"f1": round(100 * float(np.mean(f1s)), 2), "no_answer_accuracy": round(100 * float(np.mean(na)), 2),
            "has_answer_f1": round(100 * float(np.mean(has)), 2)}


def pick(rows: list[dict], rule: str) -> float:
    scores = rule_scores(rows, rule)
    candidates = sorted({0.0} | set(np.round(np.quantile(scores, np.linspace(0, 1, 201)), 4)))
    return max(candidates, key=lambda t: outcome(rows, scores >= t)["f1"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("calibration")
    p.add_argument("measure")
    p.add_argument("--reader", default=None)
    p.add_argument("--rows", help="also write the measured questions' spans and scores here (JSON)")
    args = p.parse_args()
    reader = Reader(args.reader)
    t0 = time.time()
    cal, test = read_all(reader, args.calibration), read_all(reader, args.measure)
    report = {"reader": reader.name, "calibration": args.calibration, "measure": args.measure,
              "seconds": round(time.time() - t0)}
    for rule in ("span", "odds"):
        t = pick(cal, rule)
        report[rule] = {"threshold": t, "calibration": outcome(cal, rule_scores(cal, rule) >= t),
                        "measure": outcome(test, rule_scores(test, rule) >= t)}
    json.dump(report, sys.stdout, indent=1)
    print()
    if args.rows:
        with open(args.rows, "w") as f:
            json.dump(test, f)


if __name__ == "__main__":
    main()
