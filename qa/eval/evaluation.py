"""Evaluation: exact match, F1, no-answer accuracy, recall@k and latency.

EM and F1 follow the official SQuAD v1.1 evaluation script (Rajpurkar et al.,
2016): answers are lower-cased, stripped of punctuation, of the articles
a/an/the and of extra whitespace; F1 is over the bag of remaining tokens; a
question's score is the maximum over its reference answers. A question with
no reference answer (SQuAD 2.0's ``is_impossible``) scores 1 only when the
prediction is empty (the system abstained).
"""

from __future__ import annotations

import csv
import json
import re
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from qa.answer.questions import MAX_QUESTION_CHARS
from qa.eval.squad import parse_squad


@dataclass
class EvalItem:
    """One evaluation question: reference ``answers`` (empty = unanswerable), optional context.

    A turn of a conversation has the conversation's id and its place in it
    (``turn`` 0 is the first question; later turns are follow-ups).
    """

    id: str
    question: str
    answers: list[str]
    context: str | None = None
    conversation: str | None = None
    turn: int = 0


class EvalFileError(Exception):
    """The evaluation file cannot be read or has no usable questions."""


def _answers(rec: dict, label: str) -> list[str]:
    """A record's reference answers: a list of strings, one string (or a JSON list in a string, as
    CSV cells hold it: a cell starting with ``["`` or ``[]``; "[1] Smith" is one answer), or a
    number; none for a question the documents do not answer."""
    answers = rec.get("answers", rec.get("answer", []))
    if isinstance(answers, str) and re.match(r"\s*\[\s*[\"'\]]", answers):  # a JSON list, not "[1] Smith"
        try:
            answers = json.loads(answers)
        except json.JSONDecodeError as e:
            raise EvalFileError(f"{label}: answers {answers!r} is not a valid JSON list ({e.msg})") from e
    if answers is None:
        answers = []
    if not isinstance(answers, list):
        answers = [answers]
    if not all(isinstance(a, str | int | float) for a in answers):
        raise EvalFileError(f"{label}: answers must be a list of strings")
    return [str(a) for a in answers if str(a).strip()]


def _from_record(rec: dict, n: int, where: str = "") -> EvalItem:
    label = f"record {n}{where}"
    if not isinstance(rec, dict):
        raise EvalFileError(f"{label} is not an object with a question")
    if "question" not in rec or not str(rec["question"]).strip():
        raise EvalFileError(f"{label} has no question")
    return EvalItem(str(rec.get("id") or n), str(rec["question"]), _answers(rec, label),
                    rec.get("context") or None)


def _from_line(rec: dict, n: int) -> list[EvalItem]:
    """One JSONL line: a question, or a conversation ``{"id", "turns": [question records]}``."""
    if not isinstance(rec, dict):
        raise EvalFileError(f"record {n} is not an object with a question")
    if "turns" not in rec:
        return [_from_record(rec, n)]
    if not isinstance(rec["turns"], list) or not rec["turns"]:
        raise EvalFileError(f"record {n}: 'turns' must be a non-empty list of questions")
    conv = str(rec.get("id") or n)
    items = [_from_record(turn, n, f", turn {t + 1}") for t, turn in enumerate(rec["turns"])]
    for t, item in enumerate(items):
        item.id, item.conversation, item.turn = f"{conv}#{t + 1}", conv, t
    return items


def _unlabelled_feedback(rec: dict) -> bool:
    """A chat thumbs-down without the right answer: no reference to score against."""
    return isinstance(rec, dict) and rec.get("feedback") == "down" and "answers" not in rec


def _read_csv(raw: str, path: Path) -> list[EvalItem]:
    """CSV rows as questions; the delimiter is a comma, or a semicolon or tab as spreadsheets
    in many locales write it (judged from the header line)."""
    lines = raw.splitlines()
    header = lines[0] if lines else ""
    delimiter = max((",", ";", "\t"), key=lambda d: (header.count(d), d == ","))
    rows = csv.DictReader(lines, delimiter=delimiter)
    columns = {c.strip() for c in rows.fieldnames or []}
    if "question" not in columns or not columns & {"answers", "answer"}:
        raise EvalFileError(f"{path}: a CSV needs a 'question' column and an 'answers' (or 'answer') "
                            f"column (found: {', '.join(sorted(columns)) or 'none'})")
    return [_from_record(r, n, f" (line {n + 1})") for n, r in enumerate(rows, 1)]


def load_eval_file(path: str | Path) -> list[EvalItem]:
    """Read SQuAD JSON (v1.1/v2.0), JSONL, a JSON list or CSV questions.

    JSONL lines, the items of a JSON list and CSV rows have ``id``, ``question``, ``answers`` (a list,
    or in CSV a JSON list or a single answer; ``answer`` works too) and
    optionally ``context``. An empty or absent answer marks a question the
    documents do not answer; a CSV must still have the column. A JSONL line
    may instead be a conversation, ``{"id", "turns": [{"question", "answers"},
    ...]}``: each turn becomes an item (id ``ID#1``, ``ID#2``, ...). Lines of the
    chat page's feedback file that carry no reference (a thumbs-down without
    the right answer) are skipped.

    Raises:
        EvalFileError: unreadable file, unknown layout, or no questions.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Excel, Notepad) is fine
    except (OSError, UnicodeDecodeError) as e:
        raise EvalFileError(f"cannot read {path}: {e}") from e
    try:
        if path.suffix.lower() == ".csv":
            items = _read_csv(raw, path)
        elif _is_squad(whole := _whole_json(raw), path):
            items = [EvalItem(e.id, e.question, e.answers, e.context) for e in parse_squad(whole)]
        else:
            items = [item for n, rec in _json_records(whole, raw, path) if not _unlabelled_feedback(rec)
                     for item in _from_line(rec, n)]
    except EvalFileError:
        raise
    except (json.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise EvalFileError(f"{path} is not SQuAD JSON, JSONL or CSV: {e}") from e
    if not items:
        raise EvalFileError(f"{path} holds no questions")
    _check_unique_ids(items, path)
    _check_question_lengths(items, path)
    return items


def _whole_json(raw: str):
    """The file read as one JSON document; None when it is not one (JSON lines, say)."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None


def _is_squad(whole, path: Path) -> bool:
    """One JSON object with a "data" list (SQuAD), not JSON lines (whatever the file is named)."""
    return path.suffix.lower() != ".jsonl" and isinstance(whole, dict) and "data" in whole


def _json_records(whole, raw: str, path: Path) -> list[tuple[int, dict]]:
    """(number, parsed object) of each record: the items of one JSON list, one JSON object
    (``whole``, the file parsed as one document), or the lines of JSONL."""
    if isinstance(whole, list):
        return list(enumerate(whole, 1))
    if isinstance(whole, dict) and not whole.keys() & {"question", "turns"}:
        raise EvalFileError(f"{path} is neither SQuAD JSON (an object with a 'data' list) nor questions "
                            "(objects with 'question' and 'answers')")
    return [(1, whole)] if isinstance(whole, dict) else _jsonl_records(raw, path)


def _jsonl_records(raw: str, path: Path) -> list[tuple[int, dict]]:
    """(line number, parsed object) of each non-blank line; a bad line is named by its number."""
    records = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            raise EvalFileError(f"{path} is not SQuAD JSON, JSONL or CSV: line {n} is not valid JSON "
                                f"({e.msg}, column {e.colno})") from e
    return records


def _check_question_lengths(items: list[EvalItem], path: Path) -> None:
    """``qa ask`` refuses a question over :data:`qa.answer.questions.MAX_QUESTION_CHARS`; so does the file."""
    for item in items:
        if (n := len(" ".join(item.question.split()))) > MAX_QUESTION_CHARS:
            raise EvalFileError(f"{path}: question {item.id!r} is {n:,} characters long; "
                                f"questions are at most {MAX_QUESTION_CHARS}")


def _check_unique_ids(items: list[EvalItem], path: Path) -> None:
    """Two questions (or conversations) with one id would overwrite each other's predictions."""
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            what = f"conversation {item.conversation!r}" if item.conversation else f"question id {item.id!r}"
            raise EvalFileError(f"{path}: {what} appears more than once; ids must be unique")
        seen.add(item.id)


_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(_NO_PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: list[str]) -> float:
    """1.0 when the normalized prediction equals a normalized answer (or both are empty)."""
    if not answers:
        return float(not prediction.strip())
    return float(any(normalize_answer(prediction) == normalize_answer(a) for a in answers))


def f1_score(prediction: str, answers: list[str]) -> float:
    """Best token-level F1 in [0, 1] of the prediction against the answers."""
    if not answers:
        return float(not prediction.strip())
    pred = normalize_answer(prediction).split()
    best = 0.0
    for a in answers:
        gold = normalize_answer(a).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
        elif not pred and not gold:
            best = 1.0
    return best


def contains_answer(text: str, answers: list[str]) -> bool:
    """Whether a passage holds one of the answers, after normalization."""
    norm = f" {normalize_answer(text)} "
    return any(normalize_answer(a) and f" {normalize_answer(a)} " in norm for a in answers)


def score(items: list[EvalItem], predictions: dict[str, str]) -> dict:
    """Aggregate metrics (percentages) of predictions (id -> text, "" = abstained).

    Returns count, em, f1, and where the file has both kinds of question,
    has_answer_f1 and no_answer_accuracy.
    """
    em = [exact_match(predictions.get(i.id, ""), i.answers) for i in items]
    f1 = [f1_score(predictions.get(i.id, ""), i.answers) for i in items]
    out = {"count": len(items), "em": 100 * float(np.mean(em)), "f1": 100 * float(np.mean(f1))}
    has = [k for k, i in enumerate(items) if i.answers]
    if len(has) < len(items):
        no = [k for k, i in enumerate(items) if not i.answers]
        out["no_answer_accuracy"] = 100 * float(np.mean([em[k] for k in no]))
        if has:
            out["has_answer_f1"] = 100 * float(np.mean([f1[k] for k in has]))
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def latency_summary(seconds: list[float]) -> dict:
    """p50 and p95 of per-question latencies, in milliseconds."""
    if not seconds:
        return {}
    ms = np.array(seconds) * 1000
    return {"latency_ms_p50": round(float(np.percentile(ms, 50)), 1),
            "latency_ms_p95": round(float(np.percentile(ms, 95)), 1)}


def evaluate_reader(items: list[EvalItem], reader, progress: bool = False, sweep: bool = False) -> dict:
    """Reader mode: each question against its own context.

    The best span is predicted; it is replaced by "" (abstain) when the reader does not
    accept it (:meth:`qa.answer.reading.Reader.accepts`) only if the file has unanswerable questions.
    With ``sweep``, each record also holds the best span as its ``candidates``
    (:mod:`qa.eval.points`), from which the report draws coverage against accuracy.

    Raises:
        EvalFileError: a question has no context.
    """
    if any(i.conversation for i in items):
        raise EvalFileError("conversations are evaluated in open mode (the default), where earlier "
                            "turns are the history")
    if any(i.context is None for i in items):
        raise EvalFileError("reader mode needs a context for every question")
    abstain = any(not i.answers for i in items)
    preds, times, records = {}, [], []
    for item in tqdm(items, desc="evaluating", unit="q", disable=not progress):
        t = time.perf_counter()
        spans = reader.read_pairs([(item.question, item.context)])[0]
        times.append(time.perf_counter() - t)
        best = spans[0] if spans else None
        keep = best is not None and (not abstain or reader.accepts(best))
        preds[item.id] = best.text if keep else ""
        records.append(question_record(item, preds[item.id], best.score if best else 0.0, times[-1],
                                       item.context or ""))
        if sweep:
            records[-1]["candidates"] = [] if best is None else [
                {"text": best.text, "score": best.score, "confidence": reader.confidence(best),
                 "rank": 0, "supported": False}]
    return {"mode": "reader", **score(items, preds), **latency_summary(times),
            "threshold": reader.threshold, "rule": reader.rule, "predictions": preds, "records": records}


def question_record(item: EvalItem, prediction: str, confidence: float, seconds: float,
                    passage: str) -> dict:
    """One question's outcome, for reports: what was asked and answered, how well, how fast."""
    return {"id": item.id, "question": item.question, "answers": item.answers, "prediction": prediction,
            "confidence": round(float(confidence), 4), "em": exact_match(prediction, item.answers),
            "f1": round(f1_score(prediction, item.answers), 4), "latency_ms": round(1000 * seconds, 1),
            "passage": passage, "followup": item.turn > 0}


def evaluate_open(items: list[EvalItem], qa, top_k: int = 5, progress: bool = False,
                  history: bool = True, candidates: Callable[[str], list[dict]] | None = None) -> dict:
    """Open mode: answer from the index; adds recall@k of a passage holding a gold answer.

    Turns of a conversation are asked in order with the earlier turns' results
    as history (none with ``history=False``); the report then also gives
    ``first_turns`` and ``followups`` (count, EM, F1) apart. ``candidates(question)``, when given,
    is stored in each first turn's record as its ``candidates`` (:func:`qa.eval.points.open_candidates`
    as JSON: every retrieved passage read once more at threshold 0), from which the report draws
    coverage against accuracy.
    """

    preds, records = {}, []
    earlier: dict[str, list] = {}
    for item in tqdm(items, desc="evaluating", unit="q", disable=not progress):
        past = earlier.setdefault(item.conversation, []) if item.conversation and history else None
        t = time.perf_counter()
        result = qa.ask(item.question, top_k=top_k, max_answers=1, history=past)
        seconds = time.perf_counter() - t
        if past is not None:
            past.append(result)
        preds[item.id] = result.answers[0].text if result.answers else ""
        best = result.answers[0] if result.answers else None
        passage = best.passage if best else (result.passages[0].passage.text if result.passages else "")
        record = question_record(item, preds[item.id], best.score if best else 0.0, seconds, passage)
        if item.answers:
            record["retrieved"] = any(contains_answer(r.passage.text, item.answers) for r in result.passages)
        if candidates is not None and item.turn == 0:
            record["candidates"] = candidates(item.question)
        records.append(record)
    return open_report(items, records, top_k, qa.reader.threshold, qa.reader.rule)


def open_report(items: list[EvalItem], records: list[dict], top_k: int, threshold: float,
                rule: str = "span") -> dict:
    """The open-mode report from per-question records (as :func:`evaluate_open` makes them, in
    any number of parts: the records of shards evaluated apart give the report of the whole)."""
    preds = {r["id"]: r["prediction"] for r in records}
    hits = [r["retrieved"] for r in records if "retrieved" in r]
    extra = {f"recall@{top_k}": round(100 * float(np.mean(hits)), 2)} if hits else {}
    if any(i.conversation for i in items):
        for name, part in (("first_turns", [i for i in items if i.turn == 0]),
                           ("followups", [i for i in items if i.turn > 0])):
            if part:
                extra[name] = {k: v for k, v in score(part, preds).items() if k in ("count", "em", "f1")}
    times = [r["latency_ms"] / 1000 for r in records]
    return {"mode": "open", **score(items, preds), **extra, **latency_summary(times),
            "threshold": threshold, "rule": rule, "predictions": preds, "records": records}


def calibrate_threshold(items: list[EvalItem], reader, negatives: list[EvalItem],
                        rules: tuple[str, ...] = ("span", "odds"), pick: str = "best") -> dict:
    """Pick the no-answer rule and threshold from mean F1 over answerable + negative questions.

    ``negatives`` are questions paired with contexts that do not answer them
    (answers empty). Under each rule (see :class:`qa.answer.reading.Reader`), a best span whose
    confidence is below the threshold becomes "" (abstain); the thresholds tried are the
    quantiles of the confidences. The rule with the best F1 wins. Its threshold is, with
    ``pick="best"``, the one of that best F1 (as the SQuAD 2.0 evaluation script's
    ``best_f1_thresh``); with ``pick="one-se"``, the lowest (the readiest to answer) whose F1 is
    within one standard error of the best: the one-standard-error rule (Breiman et al., 1984,
    *Classification and Regression Trees*, 3.4.3).
    Returns {"rule", "null_threshold", "em", "f1", "has_answer_f1", "no_answer_accuracy", ...}
    (percent, at the chosen threshold), ``best_threshold``, ``best_f1`` and ``standard_error``
    (the winning rule's best point and the F1 standard error there), and ``by_rule``: each
    rule's chosen threshold and best F1.
    """
    if pick not in ("best", "one-se"):
        raise ValueError(f"pick must be 'best' or 'one-se', not {pick!r}")
    pool = items + negatives
    best = [spans[0] if spans else None
            for spans in reader.read_pairs([(i.question, i.context) for i in pool])]
    answered = np.array([0.0 if s is None else f1_score(s.text, i.answers) for i, s in zip(pool, best)])
    abstained = np.array([f1_score("", i.answers) for i in pool])
    conf = {rule: np.array([0.0 if s is None else s.confidence(rule) for s in best]) for rule in rules}
    results = {rule: _pick_threshold(conf[rule], answered, abstained, pick) for rule in rules}
    rule = max(results, key=lambda r: results[r]["best_f1"])
    chosen = results[rule]["threshold"]
    preds = {i.id: (s.text if s is not None and c >= chosen else "") for i, s, c in zip(pool, best, conf[rule])}
    return {"rule": rule, "null_threshold": chosen,
            **{k: v for k, v in score(pool, preds).items() if k != "count"},
            "best_threshold": results[rule]["best_threshold"], "best_f1": results[rule]["best_f1"],
            "standard_error": results[rule]["standard_error"],
            "by_rule": {r: {"null_threshold": v["threshold"], "f1": v["best_f1"]} for r, v in results.items()}}


def _pick_threshold(conf: np.ndarray, answered: np.ndarray, abstained: np.ndarray, pick: str) -> dict:
    """The best threshold on ``conf`` among its quantiles (and 0), where each question scores
    ``answered`` at or above it and ``abstained`` below, and the lowest one within a standard
    error of it: {"threshold", "best_threshold", "best_f1", "standard_error"} (F1s in percent);
    ``threshold`` is the best one itself with ``pick="best"``, else the lowest within one error."""
    candidates = sorted({0.0} | {float(q) for q in np.quantile(conf, np.linspace(0, 1, 401))})
    per_question = [np.where(conf >= t, answered, abstained) for t in candidates]
    f1s = [100 * float(np.mean(f)) for f in per_question]
    k = int(np.argmax(f1s))
    n = len(conf)
    se = 100 * float(np.std(per_question[k], ddof=1)) / np.sqrt(n) if n > 1 else 0.0
    chosen = candidates[k] if pick == "best" else min(t for t, f in zip(candidates, f1s) if f >= f1s[k] - se)
    return {"threshold": chosen, "best_threshold": candidates[k], "best_f1": round(f1s[k], 2),
            "standard_error": round(se, 2)}


def _open_shard(items: list, index_dir: str, reader: str | None, threshold: float | None,
                retrieval: str, top_k: int, history: bool) -> tuple[list[dict], float, str]:
    """Ray task body: evaluate one shard of questions in open mode; returns its records and the
    reader's no-answer threshold and rule."""
    from qa.answer.reading import Reader
    from qa.pipeline import QA

    qa = QA(index_dir, Reader(reader, threshold=threshold), retrieval=retrieval)
    return evaluate_open(items, qa, top_k, history=history)["records"], qa.reader.threshold, qa.reader.rule


def evaluate_open_on_ray(items: list, index_dir: str, reader: str | None = None,
                         threshold: float | None = None, retrieval: str = "hybrid", top_k: int = 5,
                         history: bool = True, shards: int | None = None) -> dict:
    """Open-mode evaluation (:func:`evaluate_open`) spread over the connected Ray cluster.

    Questions are cut into ``shards`` (default: one per two CPUs of the cluster),
    keeping each conversation whole and in order; every task loads the index at
    ``index_dir`` (which workers must see at that path) and its own reader. The
    report is that of one run over all questions, latencies measured per task.

    Raises:
        ImportError: Ray is not installed.
    """
    from qa.cluster import _ray

    ray = _ray()
    shards = shards or max(1, int(ray.cluster_resources().get("CPU", 1)) // 2)
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.conversation or item.id, []).append(item)
    parts: list[list] = [[] for _ in range(shards)]
    for n, group in enumerate(groups.values()):
        parts[n % shards].extend(group)
    task = ray.remote(_open_shard)
    results = ray.get([task.remote(p, str(index_dir), reader, threshold, retrieval, top_k, history)
                       for p in parts if p])
    by_id = {r["id"]: r for records, _, _ in results for r in records}
    threshold, rule = (results[0][1], results[0][2]) if results else (0.0, "span")
    return open_report(items, [by_id[i.id] for i in items], top_k, threshold, rule)
