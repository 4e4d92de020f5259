"""A no-answer calibration set from a SQuAD 1.1 file no reader trained on (dev part A).

``qa calibrate`` picks the score under which a reader abstains. Picked on
questions the reader trained on, it is too low (their unanswerable questions
score lower than new ones). This writes, in SQuAD 2.0 layout, the file's first N
answerable questions, N/2 of them made unanswerable (entity swap or negation,
see ``make_unanswerable.py``) and N/2 paired with another paragraph of their
article (target: no answer). Seeded. Run from the repo root:

    python scripts/make_calibration_set.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json 1000 OUT.json
"""

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_unanswerable import names_in, negate, swap_entity


def main(squad: str, n: int, out: str) -> None:
    data = json.loads(Path(squad).read_text(encoding="utf-8"))["data"]
    rng = random.Random(0)
    pool = sorted({x for a in data for p in a["paragraphs"] for q in p["qas"] for x in names_in(q["question"])})
    articles, kept, made, moved = [], 0, 0, 0
    for a in data:
        paragraphs = []
        for i, p in enumerate(a["paragraphs"]):
            qas = []
            for q in p["qas"]:
                if kept >= n:
                    break
                kept += 1
                qas.append(q)
                if kept % 2:
                    new = negate(q["question"]) if rng.random() < 0.3 else None
                    new = new or swap_entity(q["question"], p["context"], pool, rng)
                    if new and new != q["question"]:
                        made += 1
                        qas.append({"id": q["id"] + "-u", "question": new, "answers": [], "is_impossible": True})
                elif len(a["paragraphs"]) > 1:
                    other = a["paragraphs"][(i + rng.randint(1, len(a["paragraphs"]) - 1)) % len(a["paragraphs"])]
                    if all(ans["text"] not in other["context"] for ans in q["answers"]):
                        moved += 1
                        paragraphs.append({"context": other["context"], "qas": [
                            {"id": q["id"] + "-o", "question": q["question"], "answers": [], "is_impossible": True}]})
            if qas:
                paragraphs.append({"context": p["context"], "qas": qas})
        if paragraphs:
            articles.append({"title": a["title"], "paragraphs": paragraphs})
    Path(out).write_text(json.dumps({"version": "v2.0", "data": articles}, ensure_ascii=False))
    print(f"{kept} answerable, {made} made unanswerable, {moved} paired with another paragraph: {out}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
