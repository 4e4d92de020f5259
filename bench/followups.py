"""Follow-up questions in conversations: F1 with history, without it, and written out in full.

Indexes the seed article and the SQuAD dev part A articles together (once, into
INDEX_DIR), then asks every conversation of CONVERSATIONS (JSONL, turns with
"question", "answers" and, for follow-ups, "full": the same question written
out) three ways: each turn with the earlier turns as history; each turn on its
own; and the follow-ups replaced by their full forms. Prints JSON: F1 and EM
of the follow-up turns each way, and the ratio with-history / full. Run from
the repo root:

    python bench/followups.py bench/data/conversations.jsonl \
        ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/conv-index
"""

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from squad_articles import main as write_articles
from transformers.utils import logging as hf_logging

from qa.eval.evaluation import evaluate_open, load_eval_file
from qa.pipeline import QA, build_index


def _full_forms(path: str) -> dict[str, str]:
    full = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            conv = json.loads(line)
            for t, turn in enumerate(conv["turns"], start=1):
                if "full" in turn:
                    full[f"{conv['id']}#{t}"] = turn["full"]
    return full


def _ensure_index(squad_file: str, index_dir: str) -> None:
    if Path(index_dir).exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        write_articles(squad_file, tmp)
        build_index(index_dir, ["seeds", tmp])


def _followup_scores(report: dict) -> dict:
    return {k: report["followups"][k] for k in ("count", "em", "f1")}


def main(conversations: str, squad_file: str, index_dir: str) -> None:
    hf_logging.set_verbosity_error()
    _ensure_index(squad_file, index_dir)
    items = load_eval_file(conversations)
    qa = QA(index_dir)
    full = _full_forms(conversations)
    with_history = evaluate_open(items, qa)
    alone = evaluate_open(items, qa, history=False)
    written_out = evaluate_open([replace(i, question=full.get(i.id, i.question)) for i in items], qa,
                                history=False)
    out = {
        "conversations": len({i.conversation for i in items}),
        "first turns F1": with_history["first_turns"]["f1"],
        "follow-ups with history": _followup_scores(with_history),
        "follow-ups without history": _followup_scores(alone),
        "follow-ups written out in full": _followup_scores(written_out),
        "with history / full (F1)": round(with_history["followups"]["f1"] / written_out["followups"]["f1"], 3),
        "latency_ms_p50": with_history["latency_ms_p50"],
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:4])
