"""Add short and unanswerable copies of a SQuAD file's questions, for calibration and training.

Every question gets a one-sentence version; optionally, answerable questions also get
unanswerable copies against a distractor sentence or their paragraph without the answer.

People's documents are often short (a note, a one-line profile), while SQuAD paragraphs run to
about 120 words, and a reader's no-answer scores depend on passage length: a threshold picked on
paragraphs alone declines many answers in one-sentence passages. For each question this writes,
beside its paragraph, a paragraph holding one sentence of it: for an answerable question the
sentence that holds its first answer (the answer offset moved with it), for an unanswerable one
the sentence sharing the most words with the question (the likeliest distractor). The new
questions' ids end in ``-sentence``. Run from the repo root:

    python scripts/add_sentence_contexts.py reports/squad2/kept-calibration.json reports/squad2/kept-calibration-mixed.json

With ``--distractors`` (for training data) every answerable question also gets an unanswerable
copy (id ending in ``-distractor``) against the sentence of its paragraph that shares the most
words with it but holds none of its answers: a plausible wrong passage, as in SQuAD 2.0. With
``--without-answer`` it also gets one (id ending in ``-removed``) against its own paragraph with
the answer's sentence taken out: a passage of paragraph length on the same topic, unanswerable
when no answer text is left in it.
"""

import argparse
import json
import re
from pathlib import Path

from qa.eval.evaluation import contains_answer
from qa.ingest.splitting import trim_spans

SENTENCE_END = re.compile(r"[.!?][\"')\]]?(?:\s+|$)")
WORD = re.compile(r"\w+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text``, stripped. Cut at every sentence
    mark, unlike :func:`qa.ingest.splitting.sentence_spans`, which keeps abbreviations whole: the shipped
    calibration file was made with these cuts."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return trim_spans(text, spans)


def _answer_sentence(q: dict, context: str) -> tuple[int, int] | None:
    """The (start, end) of the sentence of ``context`` that holds answerable ``q``'s first answer
    whole (None when the answer crosses a sentence cut)."""
    a = q["answers"][0]
    start, end = a["answer_start"], a["answer_start"] + len(a["text"])
    return next(((s, e) for s, e in sentences(context) if s <= start and end <= e), None)


def _likeliest_sentence(question: str, context: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The span of ``spans`` whose text shares the most words with ``question`` (the first on ties)."""
    return max(spans, key=lambda se: _shared_words(question, context[se[0]:se[1]]))


def sentence_question(q: dict, context: str) -> dict | None:
    """The one-sentence version of question ``q`` of ``context`` (None when none fits)."""
    if q.get("answers"):
        holding = _answer_sentence(q, context)
        if holding is None:
            return None
        s, e = holding
        a = q["answers"][0]
        answers = [{"text": a["text"], "answer_start": a["answer_start"] - s}]
        answers += [{"text": b["text"], "answer_start": b["answer_start"] - s} for b in q["answers"][1:]
                    if s <= b["answer_start"] and b["answer_start"] + len(b["text"]) <= e]
        return {"context": context[s:e], "qa": {**q, "id": f"{q['id']}-sentence", "answers": answers}}
    s, e = _likeliest_sentence(q["question"], context, sentences(context))
    return {"context": context[s:e], "qa": {**q, "id": f"{q['id']}-sentence"}}


def _holds(text: str, answers: list[str]) -> bool:
    """Whether ``text`` holds one of ``answers``, as written or after SQuAD normalisation."""
    return any(a.lower() in text.lower() for a in answers) or contains_answer(text, answers)


def _shared_words(question: str, sentence: str) -> int:
    words = {w.lower() for w in WORD.findall(question)}
    return len(words & {w.lower() for w in WORD.findall(sentence)})


def distractor_question(q: dict, context: str) -> dict | None:
    """An unanswerable copy of answerable question ``q`` against the sentence of ``context`` that
    shares the most words with it and holds none of its answers (None when ``q`` is unanswerable
    or no sentence qualifies)."""
    answers = q.get("answers", [])
    if not answers or q.get("is_impossible"):
        return None
    texts = [a["text"] for a in answers]
    spans = [(s, e) for s, e in sentences(context)
             if not any(s < a["answer_start"] + len(a["text"]) and a["answer_start"] < e for a in answers)
             and not _holds(context[s:e], texts)]
    if not spans:
        return None
    s, e = _likeliest_sentence(q["question"], context, spans)
    return {"context": context[s:e],
            "qa": {**q, "id": f"{q['id']}-distractor", "answers": [], "is_impossible": True}}


def without_answer_question(q: dict, context: str) -> dict | None:
    """An unanswerable copy of answerable question ``q`` against ``context`` without the sentence
    that holds its first answer (None when ``q`` is unanswerable, the answer is not inside one
    sentence, nothing is left, or an answer text is still in what is left)."""
    answers = q.get("answers", [])
    if not answers or q.get("is_impossible"):
        return None
    holding = _answer_sentence(q, context)
    if holding is None:
        return None
    s, e = holding
    rest = f"{context[:s].rstrip()} {context[e:].lstrip()}".strip()
    if not rest or _holds(rest, [a["text"] for a in answers]):
        return None
    return {"context": rest, "qa": {**q, "id": f"{q['id']}-removed", "answers": [], "is_impossible": True}}


def main(src: str, out: str, distractors: bool = False, without_answer: bool = False) -> None:
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    added = 0
    makers = [sentence_question] + [distractor_question] * distractors + [without_answer_question] * without_answer
    for article in data["data"]:
        extra = []
        for p in article["paragraphs"]:
            for q in p["qas"]:
                for make in makers:
                    short = make(q, p["context"])
                    if short:
                        extra.append({"context": short["context"], "qas": [short["qa"]]})
        article["paragraphs"] += extra
        added += len(extra)
    Path(out).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    print(f"{out}: {added} questions added")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("out")
    parser.add_argument("--distractors", action="store_true",
                        help="also an unanswerable copy of each answerable question against a distractor sentence")
    parser.add_argument("--without-answer", action="store_true",
                        help="also an unanswerable copy of each answerable question against its paragraph "
                             "without the answer's sentence")
    args = parser.parse_args()
    main(args.src, args.out, args.distractors, args.without_answer)
