"""Split SQuAD 2.0 dev part A by article: one half to train and calibrate abstention, one half kept.

Articles at even positions of the file (0, 2, 4, ...) form the training half,
those at odd positions the kept half, which is only ever used to measure.
Writes ``train-half.json`` and ``kept-half.json`` (SQuAD 2.0 layout) into
OUT_DIR, and ``train-half-unanswerable.json`` with only the training half's
unanswerable questions, and prints which titles went where.

The training half is split again by article, so that the no-answer threshold
is calibrated on questions the reader never trained on: ``abstain-train.json``
(its articles at even positions: answerable and unanswerable questions, so that
a reader learns which *question* has no answer in a paragraph, not which
paragraph) and ``abstain-calibration.json`` (odd positions). Run from the repo root:

    python scripts/split_squad2.py ../shared/qa-data/squad-v2.0/dev-v2.0-part-a.json reports/squad2 \
        ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json

The articles are also in SQuAD 1.1 dev part A, whose answerable questions are
those of SQuAD 2.0: given that file, ``dev-a-unseen.json`` is written too, dev
part A without the articles of ``abstain-train.json``, where a reader trained on
it is measured.

A reader trained on the *whole* training half (the shipped base reader) can be
calibrated on neither part of it: it has learnt those paragraphs. For it the kept
half is split the same way, ``kept-calibration.json`` (its articles at even
positions) to pick the no-answer threshold and ``kept-measure.json`` (odd
positions) to measure it; ``dev-a-unseen-half.json`` is dev part A without any
training-half article, where such a reader is measured.
"""

import json
import sys
from pathlib import Path


def main(squad2_file: str, out_dir: str, squad11_dev: str | None = None) -> None:
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
    train_half = halves["train-half"]
    for name, articles in (("abstain-train", train_half[0::2]), ("abstain-calibration", train_half[1::2])):
        _write(out / f"{name}.json", data.get("version", "v2.0"), articles)
        print(f"{name}: {', '.join(a['title'] for a in articles)}")
    kept_half = halves["kept-half"]
    for name, articles in (("kept-calibration", kept_half[0::2]), ("kept-measure", kept_half[1::2])):
        _write(out / f"{name}.json", data.get("version", "v2.0"), articles)
        print(f"{name}: {', '.join(a['title'] for a in articles)}")
    if squad11_dev:
        dev = json.loads(Path(squad11_dev).read_text(encoding="utf-8"))
        for name, seen in (("dev-a-unseen", train_half[0::2]), ("dev-a-unseen-half", train_half)):
            titles = {a["title"] for a in seen}
            unseen = [a for a in dev["data"] if a["title"] not in titles]
            _write(out / f"{name}.json", dev.get("version", "1.1"), unseen)
            print(f"{name}: {len(unseen)} of {len(dev['data'])} articles, "
                  f"{sum(len(p['qas']) for a in unseen for p in a['paragraphs'])} questions")


def _write(path: Path, version: str, articles: list[dict]) -> None:
    path.write_text(json.dumps({"version": version, "data": articles}, ensure_ascii=False))


def _unanswerable_only(articles: list[dict]) -> list[dict]:
    """The articles with only their unanswerable questions (paragraphs without any dropped)."""
    out = []
    for a in articles:
        paragraphs = [{**p, "qas": [q for q in p["qas"] if q.get("is_impossible")]} for p in a["paragraphs"]]
        out.append({**a, "paragraphs": [p for p in paragraphs if p["qas"]]})
    return out


if __name__ == "__main__":
    main(*sys.argv[1:4])
