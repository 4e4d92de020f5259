"""The second reads of :mod:`qa.answer.abstain` on the SQuAD 2.0 kept half, from the reader cache.

For every cached kept-half question whose best span the odds rule declines, :func:`qa.answer.abstain.reread`
runs as :meth:`qa.answer.reading.Reader.read` would run it; prints F1 / no-answer accuracy before and
after, and each question the second read answers:

    python bench/abstain_reread.py reports/abstain/cache.jsonl
"""

from __future__ import annotations

import json
import sys

import numpy as np

from qa.answer.abstain import reread
from qa.answer.reading import MIN_SPAN_SCORE, Reader, Span
from qa.eval.evaluation import f1_score


def main(cache: str) -> None:
    with open(cache, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if '"group": "kept"' in line]
    reader = Reader("base")
    for kind in ("kept-measure", "kept-calibration"):
        part = [r for r in rows if r["kind"] == kind]
        before, after, fired = [], [], []
        for r in part:
            if not r["spans"]:
                before.append(None)
                after.append(None)
                continue
            text, start, end, score = r["spans"][0]
            span = Span(text, score, 0, start, end, r["null"])
            kept = span if reader.accepts(span) else None
            before.append(kept.text if kept else None)
            if kept is None:
                again = reread(reader, r["question"], r["context"], span, MIN_SPAN_SCORE)
                if again is not None:
                    fired.append({"question": r["question"], "answer": again.text, "gold": r["answers"]})
                    kept = again
            after.append(kept.text if kept else None)
        print(kind, json.dumps({"before": _score(part, before), "after": _score(part, after), "answered": fired},
                               ensure_ascii=False, indent=1))


def _score(rows: list[dict], preds: list[str | None]) -> dict:
    f1s, na = [], []
    for r, p in zip(rows, preds, strict=True):
        if not r["answers"]:
            f1s.append(float(p is None))
            na.append(p is None)
        else:
            f1s.append(f1_score(p, r["answers"]) if p else 0.0)
    return {"f1": round(100 * float(np.mean(f1s)), 2), "no_answer_accuracy": round(100 * float(np.mean(na)), 2)}


if __name__ == "__main__":
    main(sys.argv[1])
