"""HNSW against exact search on real embeddings: recall@10 of the graph the index builds.

Embeds N SQuAD training paragraphs and 500 of their questions with the
packaged embedder (bf16), builds the HNSW graph exactly as a large segment
gets it (:func:`qa.store.index.build_hnsw`) and reports how many of the exact top 10
passages per question the graph returns. Run from the repository root:

    python bench/hnsw_recall.py ../shared/qa-data/squad-v1.1/train-v1.1.json 8000
"""

import json
import sys
import time

import numpy as np

from qa.eval.squad import load_squad
from qa.store.embedding import Embedder
from qa.store.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, build_hnsw


def main(train_file: str, n: int = 8000) -> None:
    examples = load_squad(train_file)
    contexts = list(dict.fromkeys(e.context for e in examples))[:n]
    kept = set(contexts)
    questions = [e.question for e in examples if e.context in kept][::7][:500]
    embedder = Embedder()
    t = time.perf_counter()
    vectors = embedder.encode(contexts)
    queries = embedder.encode_queries(questions)
    embed_s = time.perf_counter() - t
    t = time.perf_counter()
    graph = build_hnsw(vectors)
    build_s = time.perf_counter() - t
    graph.hnsw.efSearch = HNSW_EF_SEARCH
    _, found = graph.search(queries, 10)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found.tolist(), exact.tolist())])
    print(json.dumps({"passages": len(contexts), "questions": len(questions), "M": HNSW_M,
                      "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH,
                      "recall@10_vs_exact": round(100 * float(recall), 2), "embed_s": round(embed_s, 1),
                      "build_s": round(build_s, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8000)
