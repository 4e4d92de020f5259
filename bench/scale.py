"""Scale benchmark: the index, retrieval and asking at 10k / 100k / 1M passages; one JSON line per size.

Passages are SQuAD training paragraphs (cycled), ``--per-doc`` to a document;
their vectors are random unit vectors, so embedding the collection is left out
(the indexing benchmark measures it). Each size runs in two fresh processes so
that peak memory is each phase's own:

* build: adding the documents to an empty index, saving it, peak memory;
* serve: loading the saved index, the first question, retrieval p50/p95
  (hybrid: dense + BM25) and ask p50/p95 (question embedding + retrieval +
  the fast reader over the top 5) over 50 SQuAD questions, then adding one
  50-passage document and saving, and peak memory.

Run from the repository root (1M passages take about an hour on 2 cores,
most of it building the HNSW graph):

    python bench/scale.py ../shared/qa-data/squad-v1.1/train-v1.1.json 10000 200000 --per-doc 10
    python bench/scale.py ../shared/qa-data/squad-v1.1/train-v1.1.json 1000000 --keep /tmp/scale-1m
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

DIM = 384


class RandomEmbedder:
    """Stands in for the embedder: random unit vectors, so that only index costs are timed."""

    name, dim = "bench:random", DIM

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.rng.standard_normal((len(texts), DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def _texts_and_questions(train_file: str) -> tuple[list[str], list[str]]:
    from qa.eval.squad import load_squad

    examples = load_squad(train_file)
    return list(dict.fromkeys(e.context for e in examples)), [e.question for e in examples[::997]][:51]


def _peak_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def build(texts: list[str], n: int, per_doc: int, folder: str) -> dict:
    from qa.ingest.splitting import Passage
    from qa.store.index import PassageIndex

    embedder = RandomEmbedder()
    index = PassageIndex(embedder.name, DIM)
    t = time.perf_counter()
    for d in range(0, n, per_doc):
        chunk = [texts[(d + i) % len(texts)] for i in range(min(per_doc, n - d))]
        source = f"/bench/doc{d // per_doc:07d}.txt"
        index.add_document(source, "sha", [Passage(c, source, None, 0, len(c)) for c in chunk],
                           embedder.encode(chunk))
    out = {"add_s": round(time.perf_counter() - t, 2)}
    t = time.perf_counter()
    index.save(folder)
    out["save_s"] = round(time.perf_counter() - t, 2)
    out["build_peak_memory_gb"] = _peak_gb()
    return out


def serve(texts: list[str], questions: list[str], folder: str) -> dict:
    from qa.answer.reading import Reader
    from qa.answer.retrieval import Retriever
    from qa.ingest.splitting import Passage
    from qa.store.embedding import Embedder
    from qa.store.index import PassageIndex

    embedder, real = RandomEmbedder(), Embedder()
    reader = Reader("fast")
    t = time.perf_counter()
    index = PassageIndex.load(folder)
    out = {"load_s": round(time.perf_counter() - t, 2),
           "segments": [(s.size, s.kind) for s in index._segments]}
    retriever = Retriever(index, embedder)
    t = time.perf_counter()
    retriever.retrieve(questions[0], 5)
    out["first_question_s"] = round(time.perf_counter() - t, 2)
    retrieval, ask = [], []
    for q in questions[1:51]:
        t = time.perf_counter()
        real.encode_queries([q])
        t1 = time.perf_counter()
        hits = retriever.retrieve(q, 5)
        t2 = time.perf_counter()
        reader.read(q, [h.passage.text for h in hits], top_n=5)
        retrieval.append(1000 * (t2 - t1))
        ask.append(1000 * (time.perf_counter() - t))
    for name, times in (("retrieval", retrieval), ("ask", ask)):
        out[f"{name}_ms_p50"] = round(statistics.median(times), 1)
        out[f"{name}_ms_p95"] = round(float(np.percentile(times, 95)), 1)
    extra = [Passage(texts[i], "/bench/new.txt", None, 0, len(texts[i])) for i in range(50)]
    t = time.perf_counter()
    index.add_document("/bench/new.txt", "sha", extra, embedder.encode([p.text for p in extra]))
    index.save(folder)
    out["add_one_document_and_save_s"] = round(time.perf_counter() - t, 2)
    out["serve_peak_memory_gb"] = _peak_gb()  # before the recall check, which reads every vector
    out["dense_recall@10_vs_exact_random"] = _recall_vs_exact(PassageIndex.load(folder), embedder, 50)
    return out


def _recall_vs_exact(index, embedder: RandomEmbedder, n: int) -> float:
    """Share of the exact top 10 (inner product over every live vector) that index.search returns,
    for ``n`` random unit queries: the worst case for HNSW, which does far better on real embeddings."""
    vectors = np.concatenate([np.asarray(s.all_vectors()) for s in index._segments])
    live = np.concatenate([s.live for s in index._segments])
    found = 0
    for q in embedder.encode(["q"] * n):
        exact = set(np.argsort(-np.where(live, vectors @ q, -np.inf))[:10].tolist())
        found += len(exact & {i for i, _ in index.search(q, 10)})
    return round(100 * found / (10 * n), 2)


def _child(phase: str, train_file: str, n: int, per_doc: int, folder: str) -> dict:
    cmd = [sys.executable, __file__, train_file, str(n), "--per-doc", str(per_doc),
           "--phase", phase, "--dir", folder]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("train_file")
    p.add_argument("sizes", nargs="*", type=int, default=[10000])
    p.add_argument("--per-doc", type=int, default=50, help="passages per document")
    p.add_argument("--keep", metavar="DIR",
                   help="build into DIR (kept; reused when it already holds an index) and serve from it; "
                        "one size only")
    p.add_argument("--phase", choices=["build", "serve"], help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        texts, questions = _texts_and_questions(args.train_file)
        out = (build(texts, args.sizes[0], args.per_doc, args.dir) if args.phase == "build"
               else serve(texts, questions, args.dir))
        print(json.dumps(out))
        return
    if args.keep:
        from qa.store.index import index_exists

        n = args.sizes[0]
        out = {"passages": n, "documents": -(-n // args.per_doc)}
        if not index_exists(args.keep):
            out.update(_child("build", args.train_file, n, args.per_doc, args.keep))
            print(json.dumps(out), flush=True)
        out.update(_child("serve", args.train_file, n, args.per_doc, args.keep))
        print(json.dumps(out), flush=True)
        return
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            out = {"passages": n, "documents": -(-n // args.per_doc)}
            out.update(_child("build", args.train_file, n, args.per_doc, tmp))
            out.update(_child("serve", args.train_file, n, args.per_doc, tmp))
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
