"""Knowledge distillation of a reader: a large teacher's answer distributions as soft targets.

The student learns the teacher's start and end distributions as well as the
gold span (Hinton, Vinyals & Dean, 2015: the loss mixes cross-entropy on the
gold labels with temperature-softened KL divergence to the teacher). The two
readers need not share a tokenizer: the teacher's probabilities are kept per
passage *character* (:meth:`qa.answer.reading.Reader.char_distributions`) and summed
onto whatever tokens the student's windows have (:func:`window_targets`);
mass that falls outside a student window goes to its no-answer position, as
the gold label does for a window without the answer.

Targets are computed once (``qa distill-targets``), appended to a JSONL file
so that an interrupted run resumes, and read by ``qa train-reader --teacher``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa.answer.reading import CharDistribution, Reader
from qa.eval.squad import SquadExample


def done_ids(path: Path) -> set[str]:
    """Ids already in a targets file (none when it does not exist)."""
    if not path.exists():
        return set()
    with open(path, encoding="utf-8") as f:
        return {json.loads(line)["id"] for line in f if line.strip()}


def compute_targets(teacher: Reader, examples: list[SquadExample], out: str | Path,
                    batch: int = 32, progress: bool = False) -> int:
    """Append the teacher's distributions for ``examples`` not yet in ``out``; returns how many were added.

    One JSON line per example: ``{"id", "start": [[char, p], ...], "end": [...],
    "null": [p_start, p_end]}``; the teacher's name goes to ``OUT.teacher``.

    Raises:
        ValueError: ``out`` holds another teacher's targets.
    """
    from tqdm import tqdm

    out = Path(out)
    _check_same_teacher(out, teacher.name)
    seen = done_ids(out)
    todo = [e for e in examples if e.id not in seen]
    with open(out, "a", encoding="utf-8") as f:
        for lo in tqdm(range(0, len(todo), batch), desc="teacher", unit="batch", disable=not progress):
            chunk = todo[lo: lo + batch]
            dists = teacher.char_distributions([(e.question, e.context) for e in chunk])
            f.writelines(_target_line(e.id, d) for e, d in zip(chunk, dists))
            f.flush()
    return len(todo)


def _check_same_teacher(out: Path, name: str) -> None:
    """Refuse to append one teacher's targets to another's file (recorded in ``OUT.teacher``)."""
    record = out.with_name(out.name + ".teacher")
    if record.exists() and record.read_text().strip() != name:
        raise ValueError(f"{out} holds targets of teacher {record.read_text().strip()!r}, not {name!r}: "
                         "use another --out")
    if not record.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(name + "\n")


def _target_line(example_id: str, d: CharDistribution) -> str:
    return json.dumps({"id": example_id, "start": [[c, round(p, 6)] for c, p in d.start.items()],
                       "end": [[c, round(p, 6)] for c, p in d.end.items()],
                       "null": [round(float(d.null_start), 6), round(float(d.null_end), 6)]}) + "\n"


def load_targets(path: str | Path) -> dict[str, CharDistribution]:
    """Read a targets file written by :func:`compute_targets`: example id -> distribution.

    Raises:
        ValueError: a line is not a target record (the message names the file and line).
    """
    targets = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                targets[r["id"]] = CharDistribution({int(c): p for c, p in r["start"]},
                                                    {int(c): p for c, p in r["end"]}, *r["null"])
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}, line {n}: not a teacher target written by 'qa distill-targets' "
                                 f"({type(e).__name__}: {e})") from e
    return targets


def window_targets(d: CharDistribution, offsets: list[tuple[int, int]], sequence_ids: list[int | None],
                   temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The teacher's start and end distributions over one student window's tokens.

    A student token takes the start mass of the characters it covers and the end
    mass of the character ends it covers; everything else (no-answer, and
    answers outside this window) goes to position 0. Both arrays have the
    window's length, sum to 1 and are softened by ``temperature`` (p ** (1/T),
    renormalised).
    """
    n = len(sequence_ids)
    start, end = np.zeros(n), np.zeros(n)
    for j, s in enumerate(sequence_ids):
        if s != 1:
            continue
        a, b = offsets[j]
        start[j] = sum(p for c, p in d.start.items() if a <= c < b)
        end[j] = sum(p for c, p in d.end.items() if a < c <= b)
    out = []
    for probs in (start, end):
        probs[0] = max(0.0, 1.0 - probs.sum())
        probs = probs ** (1.0 / temperature)
        out.append(probs / probs.sum())
    return out[0], out[1]
