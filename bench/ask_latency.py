"""Ask latency: `QA.ask` at top-5 against the naive way of reading the same passages, in one run.

The naive way reads every retrieved passage on its own (one forward pass per
passage) in fp32; `QA.ask` reads under bf16 autocast, in retrieval order, and
stops once the unread passages cannot change its answers. `ask` asks for one
answer, as `qa ask` and the chat page do by default; `ask_3_answers` for three,
the Python API's default. Both include retrieval and question embedding. Prints
p50/p95 of each, the mean number of passages read, and the ratio to the naive
way as JSON. Run from the repository root:

    python bench/ask_latency.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/dev-a-index 200
"""

import json
import statistics
import sys
import time

import numpy as np
from transformers.utils import logging as hf_logging

from qa.answer.reading import Reader
from qa.eval.evaluation import load_eval_file
from qa.pipeline import QA


def _summary(ms: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}


def main(eval_file: str, index_dir: str, limit: int = 200, reader: str | None = None) -> None:
    hf_logging.set_verbosity_error()
    questions = [i.question for i in load_eval_file(eval_file)][:limit]
    qa = QA(index_dir, reader)
    naive = Reader(reader, bf16=False)
    read, original = [], qa.reader.read
    qa.reader.read = lambda q, ps, top_n=5, keep=None: read.extend(ps) or original(q, ps, top_n, keep)
    qa.ask(questions[0])
    times: dict[str, list[float]] = {"ask": [], "ask_3_answers": [], "naive_per_passage_fp32": []}
    passages_read = {"ask": 0, "ask_3_answers": 0}
    for q in questions:
        for name, answers in (("ask", 1), ("ask_3_answers", 3)):
            read.clear()
            t = time.perf_counter()
            qa.ask(q, top_k=5, max_answers=answers)
            times[name].append(1000 * (time.perf_counter() - t))
            passages_read[name] += len(read)
        t = time.perf_counter()
        for p in qa.retriever.retrieve(q, 5):
            naive.read_pairs([(q, p.passage.text)])
        times["naive_per_passage_fp32"].append(1000 * (time.perf_counter() - t))
    out = {"questions": len(questions), "reader": qa.reader.name, **{k: _summary(v) for k, v in times.items()}}
    naive_p50 = out["naive_per_passage_fp32"]["p50_ms"]
    for name, n in passages_read.items():
        out[name]["passages_read_mean"] = round(n / len(questions), 2)
        out[name]["ratio_p50"] = round(out[name]["p50_ms"] / naive_p50, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200,
         sys.argv[4] if len(sys.argv) > 4 else None)
