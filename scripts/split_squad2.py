"""Split SQuAD 2.0 dev part A by article: one half to train and calibrate abstention, one half kept.

Articles at even positions of the file (0, 2, 4, ...) form the training half,
those at odd positions the kept half, which is only ever used to measure.
Writes ``train-half.json`` and ``kept-half.json`` (SQuAD 2.0 layout) into
OUT_DIR, and ``train-half-unanswerable.json`` with only the training half's
unanswerable questions (what a reader trains on), and prints which titles went
where. Run from the repo root:

    python scripts/split_squad2.py ../shared/qa-data/squad-v2.0/dev-v2.0-part-a.json reports/squad2

The articles are also in SQuAD 1.1 dev part A. Train only on the training
half's *unanswerable* questions, so that no dev 1.1 answer is seen in
training; its answerable questions serve for calibration.
"""

import json
import sys
from pathlib import Path


def main(squad2_file: str, out_dir: str) -> None:
    data = json.loads(Path(squad2_file).read_text(encoding="utf-8"))
    halves = {"train-half": data["data"][0::2], "kept-half": data["data"][1::2]}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, articles in halves.items():
        (out / f"{name}.json").write_text(json.dumps({"version": data.get("version", "v2.0"),
                                                      "data": articles}, ensure_ascii=False))
        if name == "train-half":
            (out / "train-half-unanswerable.json").write_text(json.dumps(
                {"version": "v2.0", "data": _unanswerable_only(articles)}, ensure_ascii=False))
        questions = [q for a in articles for p in a["paragraphs"] for q in p["qas"]]
        impossible = sum(bool(q.get("is_impossible")) for q in questions)
        print(f"{name}: {len(articles)} articles, {len(questions)} questions "
              f"({impossible} unanswerable): {', '.join(a['title'] for a in articles)}")


def _unanswerable_only(articles: list[dict]) -> list[dict]:
    """The articles with only their unanswerable questions (paragraphs without any dropped)."""
    out = []
    for a in articles:
        paragraphs = [{**p, "qas": [q for q in p["qas"] if q.get("is_impossible")]} for p in a["paragraphs"]]
        out.append({**a, "paragraphs": [p for p in paragraphs if p["qas"]]})
    return out


if __name__ == "__main__":
    main(*sys.argv[1:3])
