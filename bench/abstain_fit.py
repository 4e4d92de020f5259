"""A no-answer classifier over cached reader outputs, against the shipped odds rule.

Reads the cache of ``bench/abstain_cache.py``, fits a logistic regression (scikit-learn) on the
``fit`` pairs (unseen answerable questions, their retrieved and answer-removed negatives, optionally
the SQuAD 2.0 training half) over features the reader already computes (:func:`features`), and
measures F1 / no-answer accuracy on ``kept-measure`` (never fitted on). The classifier's threshold is
picked for best F1 on the fit pairs (``--pick fit``) or, as the shipped odds threshold was, on
``kept-calibration`` (``--pick kept-calibration``).

    python bench/abstain_fit.py reports/abstain/cache.jsonl [--no-train-half]
"""

from __future__ import annotations

import argparse
import json
import math
import re

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.answer.followup import content_words
from qa.answer.reading import MIN_SPAN_SCORE
from qa.eval.evaluation import f1_score

THRESHOLD = 0.9298844081113292  # the shipped base reader's odds threshold (qa_reader.json)
WORD = re.compile(r"\w+")
SENT = re.compile(r"(?<=[.!?])\s+")


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _type_fits(question: str, span: str) -> float:
    """1 when the span has the form the question word asks for (a number for how many/when, a
    capitalised name for who), 0 when it has not, 0.5 when the question word sets no form."""
    q = question.lower()
    digit = any(c.isdigit() for c in span)
    if re.search(r"\b(how (many|much|long|old|far)|what year|when)\b", q):
        return float(digit or bool(re.search(r"\b(century|january|february|march|april|may|june|july|august|"
                                             r"september|october|november|december)\b", span.lower())))
    if re.search(r"\bwho(m|se)?\b", q):
        return float(any(w[:1].isupper() for w in span.split()))
    return 0.5


def features(row: dict) -> list[float]:
    """Features of one cached (question, passage) reading: the reader's scores and lexical evidence."""
    spans, null = row["spans"], row["null"]
    best = spans[0][3] if spans else 0.0
    second = spans[1][3] if len(spans) > 1 else 0.0
    text, start = (spans[0][0], spans[0][1]) if spans else ("", 0)
    ctx = row["context"]
    asked = {w.lower() for w in content_words(row["question"])}
    words = {w.lower() for w in WORD.findall(ctx)}
    left = max((m.end() for m in SENT.finditer(ctx) if m.end() <= start), default=0)
    right = min((m.start() for m in SENT.finditer(ctx) if m.start() > start), default=len(ctx))
    sentence = {w.lower() for w in WORD.findall(ctx[left:right])}
    in_passage = len(asked & words) / max(1, len(asked))
    in_sentence = len(asked & sentence) / max(1, len(asked))
    missing = len(asked - words)
    return [_logit(best / (best + null) if best + null > 0 else 0.0), math.log(best + 1e-6), math.log(null + 1e-6),
            math.log((second + 1e-6) / (best + 1e-6)), len(text.split()), _type_fits(row["question"], text),
            in_passage, in_sentence, float(missing), float(missing == 0), float(bool(re.search(r"\bnot\b|n't", row["question"])))]


def outcome(rows: list[dict], keep: np.ndarray) -> dict:
    """F1 (declining an unanswerable question scores 1), no-answer accuracy, answerable F1."""
    f1s, na, has = [], [], []
    for r, k in zip(rows, keep, strict=True):
        text = r["spans"][0][0] if r["spans"] else ""
        if not r["answers"]:
            f1s.append(0.0 if k else 1.0)
            na.append(not k)
        else:
            f = f1_score(text, r["answers"]) if k else 0.0
            f1s.append(f)
            has.append(f)
    return {"f1": round(100 * float(np.mean(f1s)), 2), "no_answer_accuracy": round(100 * float(np.mean(na)), 2),
            "has_answer_f1": round(100 * float(np.mean(has)), 2), "n": len(rows)}


def odds_keep(rows: list[dict], threshold: float = THRESHOLD) -> np.ndarray:
    """The shipped rule: odds at least the threshold, span at least MIN_SPAN_SCORE."""
    out = []
    for r in rows:
        s = r["spans"][0][3] if r["spans"] else 0.0
        out.append(s >= MIN_SPAN_SCORE and s / max(s + r["null"], 1e-12) >= threshold)
    return np.array(out)


def best_threshold(rows: list[dict], scores: np.ndarray) -> float:
    cands = sorted(set(np.round(np.quantile(scores, np.linspace(0, 1, 201)), 5)))
    return max(cands, key=lambda t: outcome(rows, scores >= t)["f1"])


def labelled(rows: list[dict]) -> np.ndarray:
    """1 where the best span is an answer (F1 > 0.5 against a gold answer), else 0."""
    return np.array([int(bool(r["answers"]) and bool(r["spans"]) and f1_score(r["spans"][0][0], r["answers"]) > 0.5)
                     for r in rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cache")
    ap.add_argument("--no-train-half", action="store_true")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--weights", help="write the fitted weights here (JSON)")
    args = ap.parse_args()
    with open(args.cache, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    fit = [r for r in rows if r["group"] == "fit" and not (args.no_train_half and r["kind"] == "train-half")]
    cal = [r for r in rows if r["kind"] == "kept-calibration"]
    measure = [r for r in rows if r["kind"] == "kept-measure"]
    x_fit = np.array([features(r) for r in fit])
    mu, sd = x_fit.mean(0), x_fit.std(0) + 1e-9
    model = LogisticRegression(C=args.C, max_iter=2000).fit((x_fit - mu) / sd, labelled(fit))

    def prob(rs: list[dict]) -> np.ndarray:
        return model.predict_proba((np.array([features(r) for r in rs]) - mu) / sd)[:, 1]

    report = {"fit_pairs": len(fit), "odds rule (shipped)": {"kept-calibration": outcome(cal, odds_keep(cal)),
                                                              "kept-measure": outcome(measure, odds_keep(measure))}}
    for pick, on in (("fit", fit), ("kept-calibration", cal)):
        t = best_threshold(on, prob(on))
        report[f"classifier, threshold picked on {pick}"] = {"threshold": round(float(t), 4),
                                                             "kept-measure": outcome(measure, prob(measure) >= t)}
    t = best_threshold(cal, np.array([r["spans"][0][3] / max(r["spans"][0][3] + r["null"], 1e-12) if r["spans"] else 0
                                      for r in cal]))
    report["odds rule, threshold re-picked on the 571 kept-calibration pairs read"] = {
        "threshold": float(t), "kept-measure": outcome(measure, odds_keep(measure, t))}
    report["coefficients"] = [round(float(c), 3) for c in model.coef_[0]]
    print(json.dumps(report, indent=1))
    if args.weights:
        with open(args.weights, "w") as f:
            json.dump({"mean": mu.tolist(), "scale": sd.tolist(), "coef": model.coef_[0].tolist(),
                       "intercept": float(model.intercept_[0])}, f, indent=1)


if __name__ == "__main__":
    main()
