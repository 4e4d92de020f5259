"""Follow-up pronouns: how many rewrites name what the pronoun stands for (no index, no reader).

Reads conversation files (JSONL as bench/data/conversations.jsonl) and resolves each follow-up
with the earlier turns as the chat would (the previous question as understood, the first gold
answer as its answer: the rewrite is measured apart from the reader). A follow-up is checked when
its turn has a ``referent`` (a string or a list of alternatives), or when REFERENTS (JSON: turn id
-> alternatives, such as bench/data/conversation_referents.json) gives one: it is right when its
rewrite names one of them outside the context that a fallback appends in parentheses. Prints JSON
per file: follow-ups, checked, right, and with --show the wrong ones. Run from the repo root:

    python bench/followup_rewrites.py bench/data/conversations.jsonl bench/data/referent_conversations.jsonl \
        --referents bench/data/conversation_referents.json

With PYTHONPATH set to another checkout it measures that checkout's rules ("before").
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from qa.answer.followup import Turn, resolve


def _right(rewrite: str, referents: list[str]) -> bool:
    """Whether ``rewrite`` names one of ``referents`` outside a trailing "(...)" of context."""
    core = re.sub(r"\s*\([^()]*\)\s*\?$", "?", rewrite).lower()
    return any(r.lower() in core for r in referents)


def measure(path: str, extra: dict[str, list[str]]) -> dict:
    """Follow-ups, checked and right in the conversations of ``path`` (see the module docstring)."""
    count = checked = right = 0
    wrong: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        conv = json.loads(line)
        prev: Turn | None = None
        for n, turn in enumerate(conv["turns"], start=1):
            if prev is not None:
                count += 1
                resolved = resolve(turn["question"], [prev])
                wanted = turn.get("referent") or extra.get(f"{conv['id']}#{n}")
                if wanted:
                    wanted = [wanted] if isinstance(wanted, str) else wanted
                    checked += 1
                    ok = _right(resolved.question, wanted)
                    right += ok
                    if not ok:
                        wrong.append(f"{conv['id']}#{n}: {turn['question']} -> {resolved.question} (want {wanted[0]})")
                question = resolved.question
                prev = Turn(question, turn["answers"][0], turn["question"] if resolved.rewritten else None)
            else:
                prev = Turn(turn["question"], turn["answers"][0])
    return {"follow-ups": count, "checked": checked, "right": right, "wrong": wrong}


def main() -> None:
    """Print the figures of each file given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--referents", help="JSON: turn id -> what its pronoun stands for")
    parser.add_argument("--show", action="store_true", help="list the wrong rewrites")
    args = parser.parse_args()
    extra = json.loads(Path(args.referents).read_text(encoding="utf-8")) if args.referents else {}
    out = {}
    for path in args.files:
        figures = measure(path, extra)
        if not args.show:
            figures.pop("wrong")
        out[path] = figures
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
