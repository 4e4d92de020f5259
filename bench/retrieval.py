"""Retrieval benchmark: recall@k of dense, BM25 and fused (RRF) retrieval.

A question counts as found at k when one of its top-k passages holds a gold
answer (SQuAD-normalized containment). Prints a table; run from the repo root:

    python bench/retrieval.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/dev-a-index
"""

import sys
import time

import numpy as np

from qa.answer.retrieval import MODES, Retriever
from qa.eval.evaluation import contains_answer, load_eval_file
from qa.store.embedding import Embedder
from qa.store.index import PassageIndex

KS = (1, 3, 5, 10)


def main(eval_file: str, index_dir: str, limit: int = 0) -> None:
    items = [i for i in load_eval_file(eval_file) if i.answers]
    if limit:
        items = items[:limit]
    index = PassageIndex.load(index_dir)
    embedder = Embedder()
    print(f"{len(items)} questions, {len(index)} passages in {index_dir}")
    print("mode    " + "".join(f"  R@{k:<4}" for k in KS) + "  ms/q")
    for mode in MODES:
        r = Retriever(index, embedder, mode)
        hits = np.zeros((len(items), len(KS)))
        t = time.perf_counter()
        for n, item in enumerate(items):
            found = [contains_answer(p.passage.text, item.answers) for p in r.retrieve(item.question, max(KS))]
            hits[n] = [any(found[:k]) for k in KS]
        ms = 1000 * (time.perf_counter() - t) / len(items)
        print(f"{mode:<8}" + "".join(f"  {100 * v:5.1f}" for v in hits.mean(0)) + f"  {ms:5.1f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
