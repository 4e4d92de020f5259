"""Cache the reader's spans for abstention experiments: read once, fit no-answer classifiers many times.

Writes one JSON line per (question, passage) pair to OUT (appending; pairs already there are
skipped, so an interrupted run resumes): the question, passage, gold answers, the pair's ``group``
and ``kind``, and the reader's best five spans (text, start, end, score) with the no-answer score.

Groups (all SQuAD; the kept half is only ever measured, ``bench/abstain_fit.py``):

- ``kept``: every question of ``reports/squad2/kept-half.json`` against its paragraph; ``kind`` is
  ``kept-calibration`` or ``kept-measure`` (the articles of ``scripts/split_squad2.py``);
- ``fit``: training pairs the reader never saw, from the dev part A articles outside SQuAD 2.0 part A:
  the question against its paragraph (``answerable``), against the paragraph of its article that
  shares the most rare words with it and holds none of its answers (``retrieved``: a hard negative
  as a lexical retriever would mine it, Clark and Gardner, 2018), and against its paragraph without
  the answer's sentence (``removed``); plus questions of the SQuAD 2.0 training half (``train-half``,
  which the reader trained on: kept apart so that a fit can leave it out).

Run from the repo root (about 8 pairs a second on 2 cores):

    nice -n 10 python bench/abstain_cache.py reports/abstain/cache.jsonl --fit 700
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from add_sentence_contexts import without_answer_question

from qa.answer.reading import Reader

DATA = Path("../shared/qa-data")  # --data changes it
WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def kept_pairs(squad2_dir: Path) -> list[dict]:
    """Every kept-half question against its paragraph, labelled with its quarter."""
    out = []
    for kind in ("kept-calibration", "kept-measure"):
        data = json.loads((squad2_dir / f"{kind}.json").read_text(encoding="utf-8"))
        for a in data["data"]:
            for p in a["paragraphs"]:
                for q in p["qas"]:
                    out.append({"id": q["id"], "group": "kept", "kind": kind, "question": q["question"],
                                "context": p["context"], "answers": [x["text"] for x in q["answers"]]})
    return out


def retrieved_negative(question: str, paragraphs: list[str], answers: list[str]) -> str | None:
    """The paragraph sharing the most idf-weighted words with ``question`` that holds no answer text."""
    df = Counter(w for p in paragraphs for w in set(_words(p)))
    asked = set(_words(question))

    def overlap(p: str) -> float:
        return sum(math.log(len(paragraphs) / df[w]) for w in asked & set(_words(p)))

    lacking = [p for p in paragraphs if not any(a.lower() in p.lower() for a in answers)]
    return max(lacking, key=overlap, default=None)


def fit_pairs(n: int, seed: int, squad2_dir: Path, data: Path = DATA) -> list[dict]:
    """``n`` unseen answerable questions with their two negatives, and ``n`` training-half questions."""
    v2_titles = {a["title"] for a in json.loads((data / "squad-v2.0/dev-v2.0-part-a.json").read_text())["data"]}
    dev = json.loads((data / "squad-v1.1/dev-v1.1-part-a.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    items = [(a, p, q) for a in dev["data"] if a["title"] not in v2_titles
             for p in a["paragraphs"] for q in p["qas"]]
    out = []
    for a, p, q in rng.sample(items, min(n, len(items))):
        answers = [x["text"] for x in q["answers"]]
        base = {"group": "fit", "question": q["question"]}
        out.append({**base, "id": q["id"], "kind": "answerable", "context": p["context"], "answers": answers})
        other = retrieved_negative(q["question"], [x["context"] for x in a["paragraphs"]], answers)
        if other is not None:
            out.append({**base, "id": q["id"] + "-retrieved", "kind": "retrieved", "context": other, "answers": []})
        removed = without_answer_question(q, p["context"])
        if removed is not None:
            out.append({**base, "id": q["id"] + "-removed", "kind": "removed", "context": removed["context"],
                        "answers": []})
    half = json.loads((squad2_dir / "train-half.json").read_text(encoding="utf-8"))
    qs = [(p, q) for a in half["data"] for p in a["paragraphs"] for q in p["qas"]]
    for p, q in rng.sample(qs, min(n, len(qs))):
        out.append({"group": "fit", "kind": "train-half", "id": q["id"], "question": q["question"],
                    "context": p["context"], "answers": [x["text"] for x in q["answers"]]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--fit", type=int, default=700, help="unseen answerable questions (and training-half ones)")
    ap.add_argument("--seed", type=int, default=26)
    ap.add_argument("--squad2", default="reports/squad2")
    ap.add_argument("--reader", default="base")
    ap.add_argument("--chunk", type=int, default=64)
    ap.add_argument("--data", default=str(DATA), help="the qa-data folder (SQuAD files)")
    args = ap.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {json.loads(line)["id"] for line in out.open()} if out.exists() else set()
    kept = kept_pairs(Path(args.squad2))
    pairs = ([p for p in kept if p["kind"] == "kept-measure"] + fit_pairs(args.fit, args.seed, Path(args.squad2), Path(args.data))
             + [p for p in kept if p["kind"] == "kept-calibration"])  # the measure quarter first
    todo = [p for p in pairs if p["id"] not in done]
    print(f"{len(pairs)} pairs, {len(todo)} to read", flush=True)
    reader = Reader(args.reader)
    with out.open("a", encoding="utf-8") as f:
        for lo in range(0, len(todo), args.chunk):
            chunk = todo[lo:lo + args.chunk]
            for pair, spans in zip(chunk, reader.read_pairs([(p["question"], p["context"]) for p in chunk], top_n=5),
                                   strict=True):
                pair["null"] = spans[0].null_score if spans else 1.0
                pair["spans"] = [[s.text, s.start, s.end, s.score] for s in spans]
                f.write(json.dumps(pair, ensure_ascii=False) + "\n")
            f.flush()
            print(f"{lo + len(chunk)}/{len(todo)}", flush=True)


if __name__ == "__main__":
    main()
