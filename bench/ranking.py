"""Cross-passage answer ranking: open-mode F1 of ranking rules over the same reader outputs.

For each question the top-5 passages are retrieved and the reader's best 3
spans per passage are kept (reader probability, passage rank, text); each rule
then picks the answer from those, abstaining when the chosen span's reader
probability is under the reader's threshold. Reading is done once; the rules
are compared on identical inputs. Run from the repository root:

    python bench/ranking.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/dev-a-index 1000
"""

import json
import math
import sys
from collections import defaultdict

from transformers.utils import logging as hf_logging

from qa.answer.reading import as_question
from qa.eval.evaluation import f1_score, load_eval_file, normalize_answer
from qa.pipeline import QA


def read_all(qa: QA, items, top_k: int = 5) -> list[list[tuple[str, float, int]]]:
    """Per question, the (text, reader probability, passage rank) of the best 3 spans per passage."""
    out = []
    for item in items:
        retrieved = qa.retriever.retrieve(item.question, top_k)
        groups = qa.reader.read_pairs([(as_question(item.question), r.passage.text) for r in retrieved], 3)
        out.append([(s.text, s.score, rank) for rank, spans in enumerate(groups) for s in spans])
    return out


def decay(spans, d=0.5):
    return max(spans, key=lambda s: s[1] * math.exp(-d * s[2]), default=None)


def merged(spans, d=0.5, combine="noisy_or"):
    """Group spans by normalized text; a group's key combines its members' discounted scores."""
    groups = defaultdict(list)
    for s in spans:
        groups[normalize_answer(s[0])].append(s)
    best, key = None, -1.0
    for members in groups.values():
        values = [s[1] * math.exp(-d * s[2]) for s in members]
        k = 1 - math.prod(1 - v for v in values) if combine == "noisy_or" else sum(values)
        if k > key:
            best, key = max(members, key=lambda s: s[1]), k
    return best


RULES = {
    "decay 0.5 (current)": decay,
    "decay 0.5, top span per passage only": lambda sp: decay([s for s in sp if s == max(
        (t for t in sp if t[2] == s[2]), key=lambda t: t[1])]),
    "merged noisy-or, decay 0.5": merged,
    "merged sum, decay 0.5": lambda sp: merged(sp, combine="sum"),
    "merged noisy-or, decay 0.3": lambda sp: merged(sp, d=0.3),
    "merged sum, decay 0.7": lambda sp: merged(sp, d=0.7, combine="sum"),
}


def main(eval_file: str, index_dir: str, limit: int = 0) -> None:
    hf_logging.set_verbosity_error()
    items = [i for i in load_eval_file(eval_file) if i.answers]
    items = items[:limit] if limit else items
    qa = QA(index_dir)
    outputs = read_all(qa, items)
    for name, rule in RULES.items():
        f1 = 0.0
        for item, spans in zip(items, outputs):
            best = rule(spans)
            if best and best[1] >= qa.reader.threshold:
                f1 += f1_score(best[0], item.answers)
        print(json.dumps({"rule": name, "questions": len(items), "f1": round(100 * f1 / len(items), 2)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
