"""Open-mode benchmark: EM/F1 and latency as the number of passages read (top-k) varies.

Answers are ranked across passages by the reader's per-passage-normalised span
probability. Run from the repo root after building the dev index (see squad_articles.py):

    python bench/open_topk.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/dev-a-index 1000
"""

import sys

from transformers.utils import logging as hf_logging

from qa.eval.evaluation import evaluate_open, load_eval_file
from qa.pipeline import QA

TOP_KS = (1, 3, 5, 10)


def main(eval_file: str, index_dir: str, limit: int = 0, reader: str | None = None) -> None:
    hf_logging.set_verbosity_error()
    items = load_eval_file(eval_file)
    items = items[:limit] if limit else items
    qa = QA(index_dir, reader)
    print(f"{len(items)} questions; reader threshold {qa.reader.threshold}")
    print("top-k    EM     F1  recall@k  p50 ms  p95 ms")
    for k in TOP_KS:
        r = evaluate_open(items, qa, top_k=k)
        print(f"{k:5d}  {r['em']:5.1f}  {r['f1']:5.1f}  {r[f'recall@{k}']:8.1f}  "
              f"{r['latency_ms_p50']:6.0f}  {r['latency_ms_p95']:6.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0,
         sys.argv[4] if len(sys.argv) > 4 else None)
