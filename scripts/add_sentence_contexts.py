"""Add a one-sentence version of every question to a SQuAD file: short passages for calibration.

People's documents are often short (a note, a one-line profile), while SQuAD paragraphs run to
about 120 words, and a reader's no-answer scores depend on passage length: a threshold picked on
paragraphs alone declines many answers in one-sentence passages. For each question this writes,
beside its paragraph, a paragraph holding one sentence of it: for an answerable question the
sentence that holds its first answer (the answer offset moved with it), for an unanswerable one
the sentence sharing the most words with the question (the likeliest distractor). The new
questions' ids end in ``-sentence``. Run from the repo root:

    python scripts/add_sentence_contexts.py reports/squad2/kept-calibration.json reports/squad2/kept-calibration-mixed.json
"""

import json
import re
import sys
from pathlib import Path

from qa.splitting import trim_spans

SENTENCE_END = re.compile(r"[.!?][\"')\]]?(?:\s+|$)")
WORD = re.compile(r"\w+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text``, stripped. Cut at every sentence
    mark, unlike :func:`qa.splitting.sentence_spans`, which keeps abbreviations whole: the shipped
    calibration file was made with these cuts."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return trim_spans(text, spans)


def sentence_question(q: dict, context: str) -> dict | None:
    """The one-sentence version of question ``q`` of ``context`` (None when none fits)."""
    spans = sentences(context)
    if q.get("answers"):
        a = q["answers"][0]
        start, end = a["answer_start"], a["answer_start"] + len(a["text"])
        holding = [(s, e) for s, e in spans if s <= start and end <= e]
        if not holding:
            return None
        s, e = holding[0]
        answers = [{"text": a["text"], "answer_start": start - s}]
        answers += [{"text": b["text"], "answer_start": b["answer_start"] - s} for b in q["answers"][1:]
                    if s <= b["answer_start"] and b["answer_start"] + len(b["text"]) <= e]
        return {"context": context[s:e], "qa": {**q, "id": f"{q['id']}-sentence", "answers": answers}}
    words = {w.lower() for w in WORD.findall(q["question"])}
    s, e = max(spans, key=lambda se: len(words & {w.lower() for w in WORD.findall(context[se[0]:se[1]])}))
    return {"context": context[s:e], "qa": {**q, "id": f"{q['id']}-sentence"}}


def main(src: str, out: str) -> None:
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    added = 0
    for article in data["data"]:
        extra = []
        for p in article["paragraphs"]:
            for q in p["qas"]:
                short = sentence_question(q, p["context"])
                if short:
                    extra.append({"context": short["context"], "qas": [short["qa"]]})
        article["paragraphs"] += extra
        added += len(extra)
    Path(out).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    print(f"{out}: {added} one-sentence questions added")


if __name__ == "__main__":
    main(*sys.argv[1:3])
