"""Open-mode answer selection, replayed: no-answer rules, thresholds and rank decay from one reading.

Each question is asked as `QA.ask` would (retrieval top-k, each passage read with its best span),
and every passage's best span, its probability and its passage's no-answer probability are kept.
The selection is then replayed offline for every setting: rank spans by
``score * exp(-decay * rank)`` (`qa.pipeline.RANK_DECAY`), optionally summing the scores of the
same answer text found in several passages (``merge``), and abstain when the best span fails the
rule's threshold (``span``: its probability; ``odds``: its probability against its passage's
no-answer probability, `qa.answer.reading.Span.odds`). Answerable questions come from a SQuAD 1.1 file
(F1), unanswerable ones from a SQuAD 2.0 file (no-answer accuracy); the index must hold their
articles (the dev part A index holds the kept half's). Prints JSON: the reader's own setting
first, then the best settings by mean of the two. Run from the repository root:

    python bench/open_rules.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json \
        reports/squad2/kept-half.json reports/dev-a-index 400 --reader base --rows open-rows.json
"""

import argparse
import json
import math

import numpy as np
from tqdm import tqdm
from transformers.utils import logging as hf_logging

from qa.eval.evaluation import f1_score, load_eval_file
from qa.pipeline import QA, RANK_DECAY


def read_open(qa: QA, items: list, top_k: int) -> list[dict]:
    """Per question: gold answers and, per retrieved passage, its best span, score and null score."""
    rows = []
    for item in tqdm(items, desc="reading", unit="q"):
        retrieved = qa.retriever.retrieve(item.question, top_k)
        spans = qa.reader.read_pairs([(item.question, r.passage.text) for r in retrieved])
        rows.append({"answers": item.answers, "passages": [
            {"text": s[0].text, "score": s[0].score, "null": s[0].null_score} if s else None for s in spans]})
    return rows


def select(row: dict, rule: str, threshold: float, decay: float, merge: bool) -> str:
    """The answer text the setting gives for one question ("" = abstain)."""
    cands = [(k, p) for k, p in enumerate(row["passages"]) if p is not None]
    ok = [(k, p) for k, p in cands
          if (p["score"] / max(p["score"] + p["null"], 1e-12) if rule == "odds" else p["score"]) >= threshold]
    if not ok:
        return ""
    ranked: dict[str, float] = {}
    for k, p in ok:
        key = p["text"].strip().lower() if merge else f"{k}"
        ranked[key] = ranked.get(key, 0.0) + p["score"] * math.exp(-decay * k)
    best = max(ranked, key=ranked.get)
    return next(p["text"] for k, p in ok if (p["text"].strip().lower() if merge else f"{k}") == best)


def outcome(rows: list[dict], **setting) -> dict:
    """F1 on the answerable questions, no-answer accuracy on the others, and their mean."""
    has, na = [], []
    for r in rows:
        pred = select(r, **setting)
        if r["answers"]:
            has.append(f1_score(pred, r["answers"]) if pred else 0.0)
        else:
            na.append(float(pred == ""))
    f1 = 100 * float(np.mean(has)) if has else 0.0
    acc = 100 * float(np.mean(na)) if na else 0.0
    return {"f1": round(f1, 2), "no_answer_accuracy": round(acc, 2), "mean": round((f1 + acc) / 2, 2)}


def sweep(rows: list[dict]) -> list[dict]:
    """Every (rule, threshold, decay, merge) setting with its outcome, best mean first."""
    results = []
    for rule in ("span", "odds"):
        conf = [p["score"] / max(p["score"] + p["null"], 1e-12) if rule == "odds" else p["score"]
                for r in rows for p in r["passages"] if p is not None]
        for t in sorted({0.0, *np.quantile(conf, np.linspace(0, 0.99, 34)).tolist()}):
            for decay in (0.0, 0.25, 0.5, 0.75):
                for merge in (False, True):
                    setting = {"rule": rule, "threshold": float(t), "decay": decay, "merge": merge}
                    results.append(setting | outcome(rows, **setting))
    return sorted(results, key=lambda r: -r["mean"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("answerable")
    p.add_argument("unanswerable")
    p.add_argument("index")
    p.add_argument("limit", type=int, help="questions of each kind")
    p.add_argument("--reader", default=None)
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--rows", help="keep the readings here (JSON), or replay them when the file exists")
    args = p.parse_args()
    hf_logging.set_verbosity_error()
    qa = QA(args.index, args.reader)
    try:
        with open(args.rows or "") as f:
            rows = json.load(f)
    except OSError:
        items = ([i for i in load_eval_file(args.answerable) if i.answers][: args.limit]
                 + [i for i in load_eval_file(args.unanswerable) if not i.answers][: args.limit])
        rows = read_open(qa, items, args.top_k)
        if args.rows:
            with open(args.rows, "w") as f:
                json.dump(rows, f)
    own = {"rule": qa.reader.rule, "threshold": qa.reader.threshold, "decay": RANK_DECAY, "merge": False}
    results = sweep(rows)
    print(json.dumps({"reader": qa.reader.name, "questions": len(rows), "own": own | outcome(rows, **own),
                      "best": results[:8],
                      "best_at_f1": max(results, key=lambda r: (r["f1"], r["mean"]))}, indent=1))


if __name__ == "__main__":
    main()
