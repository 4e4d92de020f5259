"""Operating points chosen where answers are given: open mode over the 24-article index, top-5.

Three steps, run from the repository root (docs/readers.md, "Operating points"):

    python bench/operating_points.py sets ../shared/qa-data reports/points
    python bench/operating_points.py cache reports/points --index reports/dev-a-index --reader fast
    python bench/operating_points.py pick reports/points --reader fast [--write]

``sets`` writes two question files, by article so that no article is in both:

- ``choose.jsonl`` picks the thresholds: SQuAD 1.1 dev questions of the kept-calibration articles
  and of every other article of dev part A outside the SQuAD 2.0 file (alternately), the
  SQuAD 2.0 unanswerable questions of the kept-calibration articles, and questions of SQuAD 1.1
  training articles (never indexed, so unanswerable here);
- ``measure.jsonl`` only measures: the same from the kept-measure articles, the other half of the
  articles outside the SQuAD 2.0 file, and other training articles.

No article the base reader trained on (the SQuAD 2.0 training half) is in either. ``cache`` asks
every question once with the threshold at 0, keeping each retrieved passage's best span with its
confidence (``cache-READER.json``); ``pick`` sweeps thresholds over that cache, chooses the points
on ``choose`` and measures them on ``measure``; ``--write`` stores them in the reader's
``qa_reader.json`` under ``operating_points``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from qa.answer.reading import OPERATING_POINTS, Reader
from qa.eval.points import as_json, choose_points, from_json, measure, open_candidates, question_f1s, sweep

ANSWERABLE, PLAUSIBLE, OFF_INDEX = 240, 80, 40  # questions per part: two thirds answerable
SEED = 26


def _articles(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def _questions(articles: list[dict], impossible: bool) -> list[dict]:
    """(id, question, answers) of the articles' questions, answerable or unanswerable ones."""
    out = []
    for a in articles:
        for p in a["paragraphs"]:
            for q in p["qas"]:
                if bool(q.get("is_impossible")) == impossible:
                    out.append({"id": q["id"], "question": q["question"],
                                "answers": sorted({x["text"] for x in q["answers"]}), "article": a["title"]})
    return out


def _sample(items: list[dict], n: int, rng: random.Random, kind: str) -> list[dict]:
    picked = rng.sample(items, min(n, len(items)))
    return [{**q, "kind": kind} for q in picked]


def make_sets(data_dir: str, out_dir: str) -> None:
    """Write ``choose.jsonl`` and ``measure.jsonl`` (see the module's docstring)."""
    data = Path(data_dir)
    v11 = _articles(data / "squad-v1.1" / "dev-v1.1-part-a.json")
    v20 = _articles(data / "squad-v2.0" / "dev-v2.0-part-a.json")
    train = _articles(data / "squad-v1.1" / "train-v1.1.json")
    kept = v20[1::2]  # scripts/split_squad2.py: the kept half, never trained on
    titles20 = {a["title"] for a in v20}
    only11 = [a for a in v11 if a["title"] not in titles20]
    parts = {"choose": (kept[0::2], only11[0::2]), "measure": (kept[1::2], only11[1::2])}
    rng = random.Random(SEED)
    off = rng.sample(train, len(train))
    off_parts = {"choose": off[: len(off) // 2], "measure": off[len(off) // 2:]}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, (kept_part, other) in parts.items():
        titles = {a["title"] for a in kept_part + other}
        dev = [a for a in v11 if a["title"] in titles]
        rows = (_sample(_questions(dev, False), ANSWERABLE, rng, "answerable")
                + _sample(_questions(kept_part, True), PLAUSIBLE, rng, "plausible-unanswerable")
                + _sample(_questions(off_parts[name], False), OFF_INDEX, rng, "not-indexed"))
        for r in rows:
            if r["kind"] == "not-indexed":
                r["answers"] = []
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(f"{name}: {len(rows)} questions from {', '.join(sorted(titles))}")


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_cache(points_dir: str, index: str, reader: str, top_k: int, every: int = 1) -> None:
    """Ask every question (with ``every`` > 1, every n-th: the same mix of kinds) of both files once at
    threshold 0 and keep its candidates."""
    from qa.pipeline import QA

    qa = QA(index, Reader(reader))
    folder = Path(points_dir)
    cache: dict = {"reader": qa.reader.name, "rule": qa.reader.rule, "top_k": top_k,
                   "rank_decay": qa.rank_decay, "index": index, "parts": {}}
    t0 = time.time()
    for part in ("choose", "measure"):
        rows = _read_jsonl(folder / f"{part}.jsonl")[::every]
        for n, r in enumerate(rows, 1):
            r["candidates"] = as_json(open_candidates(qa, r["question"], top_k))
            if n % 50 == 0:
                print(f"{part}: {n}/{len(rows)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        cache["parts"][part] = rows
    cache["seconds"], cache["every"] = round(time.time() - t0), every
    (folder / f"cache-{reader}.json").write_text(json.dumps(cache, ensure_ascii=False))
    print(f"cached {sum(len(v) for v in cache['parts'].values())} questions in {cache['seconds']} s")


def _rounded(point: dict) -> dict:
    """Measures to 4 decimals; the threshold as it is (the reader compares against it exactly)."""
    return {k: (round(v, 4) if isinstance(v, float) and k != "threshold" else v) for k, v in point.items()}


def _config_path(reader: str) -> Path:
    from qa.answer.reading import CONFIG_FILE, resolve_reader

    return Path(resolve_reader(reader)[0]) / CONFIG_FILE


def _better(rows: list[dict], new: float, old: float, decay: float) -> tuple[bool, float, float]:
    """Whether threshold ``new`` beats ``old`` on ``rows`` by more than one standard error of the
    per-question F1 difference; and that gain and error (F1 points)."""
    diff = question_f1s(rows, new, decay) - question_f1s(rows, old, decay)
    gain, error = 100 * float(diff.mean()), 100 * float(diff.std(ddof=1)) / len(diff) ** 0.5
    return gain > error, round(gain, 2), round(error, 2)


def pick(points_dir: str, reader: str, write: bool) -> dict:
    """Choose the points on ``choose``, measure them (and the calibrated threshold) on ``measure``.

    Balanced replaces the calibrated ``null_threshold`` only where it measures a better F1 than that
    on ``measure``, by more than a standard error (:func:`_better`); else balanced *is* the
    calibrated threshold, so that the default and "balanced" stay one setting, and the other two
    points are chosen around it.
    """
    cache = json.loads((Path(points_dir) / f"cache-{reader}.json").read_text(encoding="utf-8"))
    decay = cache["rank_decay"]
    rows = {part: [{**r, "candidates": from_json(r["candidates"])} for r in items]
            for part, items in cache["parts"].items()}
    curve = sweep(rows["choose"], rank_decay=decay)
    chosen = choose_points(curve)
    current = float(json.loads(_config_path(reader).read_text())["null_threshold"])
    replace, gain, error = _better(rows["measure"], chosen["balanced"], current, decay)
    final = chosen if replace else choose_points(curve, measure(rows["choose"], current, decay))
    report = {"reader": cache["reader"], "rule": cache["rule"], "current_threshold": current,
              "chosen": chosen, "balanced_replaces_current": replace, "f1_gain": gain, "f1_gain_error": error,
              "current": {part: _rounded(measure(rows[part], current, decay)) for part in rows},
              "chosen_balanced": {part: _rounded(measure(rows[part], chosen["balanced"], decay)) for part in rows},
              "points": {name: {"choose": _rounded(measure(rows["choose"], t, decay)),
                                "measure": _rounded(measure(rows["measure"], t, decay))}
                         for name, t in final.items()}}
    print(json.dumps(report, indent=1))
    if write:
        _write_points(reader, report, cache)
    return report


def _write_points(reader: str, report: dict, cache: dict) -> None:
    """Store the points, with what they measured on ``measure``, in the reader's ``qa_reader.json``."""
    path = _config_path(reader)
    config = json.loads(path.read_text())
    if report["balanced_replaces_current"]:
        config["null_threshold"] = report["points"]["balanced"]["measure"]["threshold"]
    config["operating_points"] = {
        name: {k: report["points"][name]["measure"][k] for k in ("threshold", "coverage", "accuracy",
                                                                  "answered_f1", "f1")}
        for name in OPERATING_POINTS}
    config["operating_points_measured"] = {
        "chosen_on": "choose.jsonl", "measured_on": "measure.jsonl", "script": "bench/operating_points.py",
        "mode": f"open, top-{cache['top_k']}, the 24 SQuAD 1.1 dev part A articles indexed",
        "questions": len(cache["parts"]["measure"]), "balanced_chosen": report["chosen"]["balanced"],
        "balanced_replaced_null_threshold": report["balanced_replaces_current"]}
    path.write_text(json.dumps(config, indent=1))
    print(f"wrote {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    s = sub.add_parser("sets")
    s.add_argument("data_dir")
    s.add_argument("out_dir")
    c = sub.add_parser("cache")
    c.add_argument("points_dir")
    c.add_argument("--index", default="reports/dev-a-index")
    c.add_argument("--reader", default="fast")
    c.add_argument("--top-k", type=int, default=5)
    c.add_argument("--every", type=int, default=1, help="only every n-th question (a slow reader)")
    k = sub.add_parser("pick")
    k.add_argument("points_dir")
    k.add_argument("--reader", default="fast")
    k.add_argument("--write", action="store_true")
    args = p.parse_args()
    if args.step == "sets":
        make_sets(args.data_dir, args.out_dir)
    elif args.step == "cache":
        make_cache(args.points_dir, args.index, args.reader, args.top_k, args.every)
    else:
        pick(args.points_dir, args.reader, args.write)


if __name__ == "__main__":
    main()
