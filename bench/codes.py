"""Model numbers typed every way: 50 near-identical product sheets, questions that name one.

Data (generated here, seeded): 50 product sheets ``AP-1000`` ... ``AP-1049``, one text file
each, the same template with their own weight, warranty, price and colour. Each sheet is
asked three questions (weight, warranty, price), naming its code four ways: ``AP-1012``,
``AP1012``, ``ap 1012``, ``ap-1012`` (600 questions). Prints as JSON, per way of typing the
code and in all: retrieval recall@1 and recall@5 (the sheet among the first 1 / 5 passages,
hybrid retrieval, the default) and answer accuracy (``QA.ask`` with the fast reader, one
answer: the sheet's value in the answer's text and the answer from the sheet).

Run from the repo root (2-core AMD EPYC, 2026-12-05; 20 to 30 minutes on its two shared cores)::

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python bench/codes.py [--retrieval hybrid|bm25|dense]

``--squad FILE [N]`` checks instead that words without codes keep their ranking: BM25 retrieval
(``--retrieval bm25``, the mode whose ranking tokens alone decide) over the file's paragraphs,
one passage each, for its first N questions (all when 0), recall@1/5/10::

    PYTHONPATH=$PWD python bench/codes.py --squad ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json

"Before" figures come from running this same script against a checkout without code
matching (``PYTHONPATH=/path/to/old/checkout``); it uses only ``build_index`` and ``QA``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np

from qa.answer.retrieval import Retriever
from qa.eval.evaluation import contains_answer, load_eval_file
from qa.ingest.splitting import Passage
from qa.pipeline import QA, build_index
from qa.store.index import PassageIndex

SHEETS = 50
COLOURS = ("white", "grey", "black", "silver", "sand")
WAYS = {
    "AP-1012": lambda n: f"AP-{n}",
    "AP1012": lambda n: f"AP{n}",
    "ap 1012": lambda n: f"ap {n}",
    "ap-1012": lambda n: f"ap-{n}",
}
QUESTIONS = {  # question template -> the sheet's field that answers it
    "How much does the {code} weigh?": "weight",
    "How long is the warranty of the {code}?": "warranty",
    "What is the price of the {code}?": "price",
}


def sheets(seed: int = 26) -> dict[int, dict[str, str]]:
    """Product number -> its fields (weight, warranty, price, colour) and text, all alike but the values."""
    rng = random.Random(seed)
    out = {}
    for n in range(1000, 1000 + SHEETS):
        fields = {"weight": f"{rng.randint(30, 180) / 10:.1f} kg", "warranty": f"{rng.randint(1, 6)} years",
                  "price": f"${rng.randint(90, 900)}", "colour": rng.choice(COLOURS)}
        fields["text"] = (
            f"Product sheet: AP-{n} air purifier.\n\n"
            f"The AP-{n} is a quiet air purifier for rooms up to 40 square metres, with a washable "
            f"pre-filter and a HEPA filter. The AP-{n} weighs {fields['weight']}. "
            f"The AP-{n} comes with a warranty of {fields['warranty']}. "
            f"The AP-{n} costs {fields['price']} and comes in {fields['colour']}. "
            "Replacement filters are sold separately.\n")
        out[n] = fields
    return out


def write_sheets(folder: Path, data: dict[int, dict[str, str]]) -> None:
    """Write each sheet as ``folder/ap-NNNN.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, fields in data.items():
        (folder / f"ap-{n}.txt").write_text(fields["text"], encoding="utf-8")


def measure(qa: QA, data: dict[int, dict[str, str]]) -> dict:
    """Recall@1, recall@5 and answer accuracy (%) per way of typing the code, and over all."""
    tally = {way: [0, 0, 0, 0] for way in [*WAYS, "all"]}  # questions, R@1, R@5, right answers
    for way, code_of in WAYS.items():
        for n, fields in data.items():
            for template, field in QUESTIONS.items():
                question = template.format(code=code_of(n))
                hits = [Path(h.passage.source).stem for h in qa.retriever.retrieve(question, 5)]
                result = qa.ask(question, top_k=5, max_answers=1)
                answer = result.answers[0] if result.answers else None
                right = (answer is not None and Path(answer.source).stem == f"ap-{n}"
                         and fields[field].split()[0].lstrip("$") in answer.text)
                for key in (way, "all"):
                    t = tally[key]
                    t[0] += 1
                    t[1] += hits[:1] == [f"ap-{n}"]
                    t[2] += f"ap-{n}" in hits
                    t[3] += right
    return {way: {"questions": q, "recall@1": round(100 * r1 / q, 1), "recall@5": round(100 * r5 / q, 1),
                  "answer accuracy": round(100 * a / q, 1)} for way, (q, r1, r5, a) in tally.items()}


class _NoEmbedder:
    """Stands in for an embedder in BM25-only retrieval (never asked to embed)."""

    name = "none"


def squad_recall(eval_file: str, limit: int = 0) -> dict:
    """BM25 recall@1/5/10 (%) of the eval file's answerable questions over its paragraphs."""
    items = [it for it in load_eval_file(eval_file) if it.answers and it.context][: limit or None]
    index = PassageIndex("none", 8, "flat")
    for i, context in enumerate(dict.fromkeys(it.context for it in items)):
        index.add_document(f"p{i}", str(i), [Passage(context, f"p{i}", None, 0, len(context))],
                           np.eye(1, 8, dtype=np.float32))
    retriever = Retriever(index, _NoEmbedder(), "bm25")
    found = {1: 0, 5: 0, 10: 0}
    for it in items:
        texts = [h.passage.text for h in retriever.retrieve(it.question, 10)]
        for k in found:
            found[k] += any(contains_answer(t, it.answers) for t in texts[:k])
    return {"questions": len(items), "paragraphs": len(index),
            **{f"recall@{k}": round(100 * n / len(items), 2) for k, n in found.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrieval", default="hybrid", choices=["hybrid", "bm25", "dense"])
    parser.add_argument("--squad", nargs="+", metavar=("FILE", "N"))
    args = parser.parse_args()
    if args.squad:
        print(json.dumps(squad_recall(args.squad[0], int(args.squad[1]) if args.squad[1:] else 0), indent=1))
        return
    data = sheets()
    with tempfile.TemporaryDirectory() as tmp:
        write_sheets(Path(tmp) / "docs", data)
        build_index(Path(tmp) / "index", [Path(tmp) / "docs"])
        qa = QA(Path(tmp) / "index", reader="fast", retrieval=args.retrieval)
        families = {m for src in qa.retriever.index.documents for m in qa.retriever.index.family_of(src)
                    if len(qa.retriever.index.family_of(src)) > 1}
        report = {"sheets": SHEETS, "passages": len(qa), "retrieval": args.retrieval,
                  "sheets grouped as versions": len(families), **measure(qa, data)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
