"""Scale benchmark: the index and retrieval at 10k / 100k / 1M passages, one JSON line per size.

Passages are SQuAD training paragraphs (cycled), 50 per document; their
vectors are random unit vectors, so embedding cost is left out (it is measured
by the indexing benchmark). For each size: adding the documents, saving,
loading, the first question (which builds whatever is built lazily), retrieval
p50/p95 over 50 questions (hybrid: dense + BM25), adding one 50-passage
document to the saved index and saving it, and peak memory. Run from the repo
root (1M needs about 20 minutes and several GB):

    python bench/scale.py ../shared/qa-data/squad-v1.1/train-v1.1.json 10000 100000
"""

import json
import resource
import statistics
import sys
import tempfile
import time

import numpy as np

from qa.index import PassageIndex
from qa.retrieval import Retriever
from qa.splitting import Passage
from qa.squad import load_squad

DIM = 384
PER_DOC = 50


class RandomEmbedder:
    """Stands in for the embedder: random unit vectors, so that only index costs are timed."""

    name, dim = "bench:random", DIM

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.rng.standard_normal((len(texts), DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def _documents(texts: list[str], n: int, embedder: RandomEmbedder):
    for d in range(0, n, PER_DOC):
        chunk = [texts[(d + i) % len(texts)] for i in range(min(PER_DOC, n - d))]
        source = f"/bench/doc{d // PER_DOC:06d}.txt"
        passages = [Passage(t, source, None, 0, len(t)) for t in chunk]
        yield source, passages, embedder.encode(chunk)


def run(texts: list[str], questions: list[str], n: int) -> dict:
    embedder = RandomEmbedder()
    out = {"passages": n, "documents": (n + PER_DOC - 1) // PER_DOC}
    with tempfile.TemporaryDirectory() as tmp:
        index = PassageIndex(embedder.name, DIM)
        t = time.perf_counter()
        for source, passages, vectors in _documents(texts, n, embedder):
            index.add_document(source, "sha", passages, vectors)
        out["add_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        index.save(tmp)
        out["save_s"] = round(time.perf_counter() - t, 2)
        del index
        t = time.perf_counter()
        index = PassageIndex.load(tmp)
        out["load_s"] = round(time.perf_counter() - t, 2)
        retriever = Retriever(index, embedder)
        t = time.perf_counter()
        retriever.retrieve(questions[0], 5)
        out["first_question_s"] = round(time.perf_counter() - t, 2)
        times = []
        for q in questions[1:51]:
            t = time.perf_counter()
            retriever.retrieve(q, 5)
            times.append(1000 * (time.perf_counter() - t))
        out["retrieval_ms_p50"] = round(statistics.median(times), 1)
        out["retrieval_ms_p95"] = round(float(np.percentile(times, 95)), 1)
        extra = [Passage(texts[i], "/bench/new.txt", None, 0, len(texts[i])) for i in range(PER_DOC)]
        t = time.perf_counter()
        index.add_document("/bench/new.txt", "sha", extra, embedder.encode([p.text for p in extra]))
        index.save(tmp)
        out["add_one_document_and_save_s"] = round(time.perf_counter() - t, 2)
    out["peak_memory_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    return out


def main(train_file: str, *sizes: str) -> None:
    examples = load_squad(train_file)
    texts = list(dict.fromkeys(e.context for e in examples))
    questions = [e.question for e in examples[::997]][:51]
    for n in map(int, sizes or ("10000",)):
        print(json.dumps(run(texts, questions, n)), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
