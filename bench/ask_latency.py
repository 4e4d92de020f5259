"""Ask latency: `QA.ask` at top-5 against the naive way of reading the same passages, in one run.

The naive way reads each retrieved passage on its own (one forward pass per
passage) in fp32; `QA.ask` batches all windows of the question in one pass
under bf16 autocast. Both include retrieval and question embedding. Prints
p50/p95 of each and their ratio as JSON. Run from the repository root:

    python bench/ask_latency.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/dev-a-index 200
"""

import json
import statistics
import sys
import time

import numpy as np
from transformers.utils import logging as hf_logging

from qa.evaluation import load_eval_file
from qa.pipeline import QA
from qa.reading import Reader


def _summary(ms: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}


def main(eval_file: str, index_dir: str, limit: int = 200, reader: str | None = None) -> None:
    hf_logging.set_verbosity_error()
    questions = [i.question for i in load_eval_file(eval_file)][:limit]
    qa = QA(index_dir, reader)
    naive = Reader(reader, bf16=False)
    qa.ask(questions[0])
    ours, plain = [], []
    for q in questions:
        t = time.perf_counter()
        qa.ask(q, top_k=5)
        ours.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        passages = qa.retriever.retrieve(q, 5)
        for p in passages:
            naive.read_pairs([(q, p.passage.text)])
        plain.append(1000 * (time.perf_counter() - t))
    out = {"questions": len(questions), "reader": qa.reader.name, "ask": _summary(ours),
           "naive_per_passage_fp32": _summary(plain)}
    out["ratio_p50"] = round(out["ask"]["p50_ms"] / out["naive_per_passage_fp32"]["p50_ms"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200,
         sys.argv[4] if len(sys.argv) > 4 else None)
