"""Indexing benchmark: passages per second, per stage, per precision, and what each costs in recall.

Indexes a folder (the 24 articles of SQuAD dev part A, see squad_articles.py)
into a fresh index once per precision (int8 where the int8 extra is installed,
bf16, fp32), timing loading + splitting, embedding and saving; then measures
dense recall@k of each index on the dev questions (questions embedded by
``Embedder.encode_queries``: bf16, as ``qa ask`` does, and fp32 for the fp32 index). The one-time making of the
int8 copy (cached) is timed apart, in ``warmup_s``. Prints one JSON line
per precision and one per precision for its recall difference from fp32. Run
from the repository root:

    python bench/indexing.py reports/dev-a-articles ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json [int8,bf16,fp32 [REPEATS]]

REPEATS embedding runs per precision (default 1) give the median embedding time.

Loading alone, in worker processes (what ``qa index`` does) against one file after another in
this process, over PDF and DOCX copies of the folder's text files:

    python bench/indexing.py --loading reports/dev-a-articles [WORKERS ...]
"""

import json
import statistics
import sys
import tempfile
import time

import numpy as np

from qa.answer.retrieval import Retriever
from qa.eval.evaluation import contains_answer, load_eval_file
from qa.ingest.loading import iter_files, load_file
from qa.ingest.splitting import Splitter
from qa.store import int8
from qa.store.embedding import Embedder
from qa.store.index import PassageIndex

KS = (1, 5, 10)


def index_folder(folder: str, precision: str, out: str, repeats: int = 1) -> dict:
    embedder = Embedder(precision=precision)
    splitter = Splitter(embedder.model.tokenizer)
    t = time.perf_counter()
    docs = [load_file(f) for f in iter_files([folder])]
    passages = [splitter.split(d) for d in docs]
    t_split = time.perf_counter() - t
    flat = [p for ps in passages for p in ps]
    t = time.perf_counter()
    embedder.encode([p.text for p in flat[:64]])  # warm-up (int8: made or loaded from the cache)
    t_prepare = time.perf_counter() - t
    times = []
    for _ in range(repeats):  # this machine's timings vary by about 10 % from run to run
        t = time.perf_counter()
        vectors = embedder.encode([p.text for p in flat])
        times.append(time.perf_counter() - t)
    t_embed = statistics.median(times)
    index = PassageIndex(embedder.name, embedder.dim)
    at = 0
    t = time.perf_counter()
    for d, ps in zip(docs, passages):
        index.add_document(d.source, d.sha256, ps, vectors[at: at + len(ps)])
        at += len(ps)
    index.save(out)
    t_save = time.perf_counter() - t
    total = t_split + t_embed + t_save
    return {"precision": precision, "passages": len(flat), "warmup_s": round(t_prepare, 2),
            "load_split_s": round(t_split, 2),
            "embed_s": round(t_embed, 2), "embed_runs_s": [round(x, 2) for x in times], "save_s": round(t_save, 2),
            "passages_per_s": round(len(flat) / total, 1), "embed_passages_per_s": round(len(flat) / t_embed, 1)}


def recall(index_dir: str, eval_file: str, precision: str) -> list[float]:
    items = [i for i in load_eval_file(eval_file) if i.answers]
    retriever = Retriever(PassageIndex.load(index_dir), Embedder(precision=precision), "dense")
    hits = np.zeros((len(items), len(KS)))
    for n, item in enumerate(items):
        found = [contains_answer(p.passage.text, item.answers) for p in retriever.retrieve(item.question, max(KS))]
        hits[n] = [any(found[:k]) for k in KS]
    return [round(100 * v, 2) for v in hits.mean(0)]


def main(folder: str, eval_file: str, precisions: str = "", repeats: str = "1") -> None:
    """``precisions``: comma-separated, e.g. "int8,fp32" (default: int8 where installed, bf16, fp32);
    ``repeats``: embedding runs per precision, the median counted."""
    recalls = {}
    runs = max(1, int(repeats))
    chosen = precisions.split(",") if precisions else [*(["int8"] if int8.available() else []), "bf16", "fp32"]
    for precision in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            result = index_folder(folder, precision, tmp, runs)
            recalls[precision] = recall(tmp, eval_file, precision)
            result.update({f"dense_recall@{k}": r for k, r in zip(KS, recalls[precision])})
            print(json.dumps(result), flush=True)
    for precision, found in recalls.items():
        if precision != "fp32" and "fp32" in recalls:
            print(json.dumps({f"recall@{k}_{precision}_minus_fp32": round(b - f, 2)
                              for k, b, f in zip(KS, found, recalls["fp32"])}))


def office_copies(folder: str, out: str) -> list[str]:
    """A PDF (reportlab, 11 pt lines) and a DOCX (python-docx) of each text file in ``folder``."""
    import textwrap
    from pathlib import Path

    from docx import Document as Docx
    from reportlab.pdfgen import canvas

    made = []
    for f in iter_files([folder]):
        text = Path(f).read_text(encoding="utf-8", errors="replace")
        pdf = canvas.Canvas(str(Path(out) / f"{Path(f).stem}.pdf"))
        lines = [ln for para in text.splitlines() for ln in (textwrap.wrap(para, 90) or [""])]
        for start in range(0, len(lines), 50):
            for i, line in enumerate(lines[start:start + 50]):
                pdf.drawString(60, 790 - 14 * i, line)
            pdf.showPage()
        pdf.save()
        doc = Docx()
        for para in text.splitlines():
            doc.add_paragraph(para)
        doc.save(str(Path(out) / f"{Path(f).stem}.docx"))
        made += [str(Path(out) / f"{Path(f).stem}.pdf"), str(Path(out) / f"{Path(f).stem}.docx")]
    return made


def loading(folder: str, *workers: str) -> None:
    """Files/s of loading PDF and DOCX copies of ``folder``: in this process, one file after another,
    then in 1, 2, ... worker processes (:mod:`qa.ingest.loading.workers`, the pool started before timing)."""
    import os
    import platform

    from qa.ingest.loading.workers import load_in_workers

    counts = [int(w) for w in workers] or [1, 2]
    with tempfile.TemporaryDirectory() as tmp:
        files = office_copies(folder, tmp)
        print(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores", "files": len(files),
                          "date": time.strftime("%Y-%m-%d")}))
        t = time.perf_counter()
        for f in files:
            load_file(f)
        serial = time.perf_counter() - t
        print(json.dumps({"loading": "in process", "seconds": round(serial, 2),
                          "files_per_s": round(len(files) / serial, 2)}))
        for n in counts:
            from qa.ingest.loading import Limits

            list(load_in_workers(files[:2 * n], Limits(), workers=n))  # workers started and warm before timing
            t = time.perf_counter()
            out = [r for _, r in load_in_workers(files, Limits(), workers=n)]
            took = time.perf_counter() - t
            print(json.dumps({"loading": f"{n} workers", "seconds": round(took, 2),
                              "files_per_s": round(len(files) / took, 2), "speedup": round(serial / took, 2),
                              "skipped": sum(not hasattr(r, "text") for r in out)}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--loading"]:
        loading(*sys.argv[2:])
    else:
        main(*sys.argv[1:5])
