"""An evaluation report to look at: one self-contained HTML page (``qa eval ... --html``).

It shows the summary metrics, a reliability diagram (how often answers are
right at each confidence, the no-answer threshold marked), F1 by question
type, a latency histogram, and the wrong answers with their passages. Plots
are drawn with matplotlib and embedded as PNG data, so the page needs no
other file.
"""

from __future__ import annotations

import base64
import html
import io
import re

QUESTION_TYPES = (
    ("how many", r"^how (many|much)\b"), ("when", r"^(when|(what|which) (year|date|day|time|month|decade|century))\b"),
    ("who", r"^(who|whom|whose)\b"), ("where", r"^where\b"), ("why", r"^why\b"), ("how", r"^how\b"),
    ("which", r"^which\b"), ("what", r"^what\b"),
)


def question_type(question: str) -> str:
    """The question's type by its question word: who, when, where, how many, what, ... or "other".

    The question word is looked for at the start, or after a leading
    preposition ("In which year ...").
    """
    q = re.sub(r"^(in|on|at|from|by|for|to|during|of|and)\s+", "", question.strip().lower())
    for name, pattern in QUESTION_TYPES:
        if re.match(pattern, q):
            return name
    return "other"


def reliability(records: list[dict], bins: int = 10) -> list[tuple[float, float, int]]:
    """(bin centre, share of exact matches, count) for answers grouped by confidence.

    Confidence is the reader's score in [0, 1], cut into ``bins`` equal bins;
    abstentions are left out. A reader whose scores are calibrated has points
    near the diagonal (Guo et al., 2017, "On Calibration of Modern Neural Networks").
    """
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [r for r in records if r["prediction"]
                  and (lo <= r["confidence"] < hi or (b == bins - 1 and r["confidence"] == 1.0))]
        if inside:
            out.append(((lo + hi) / 2, sum(r["em"] for r in inside) / len(inside), len(inside)))
    return out


def f1_by_type(records: list[dict]) -> dict[str, tuple[float, int]]:
    """Question type -> (mean F1 in percent, count), most frequent type first."""
    groups: dict[str, list[float]] = {}
    for r in records:
        groups.setdefault(question_type(r["question"]), []).append(r["f1"])
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    return {k: (100 * sum(v) / len(v), len(v)) for k, v in ranked}


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _shown(value) -> str:
    """A summary value as a person reads it: floats to at most four decimals."""
    return f"{value:.4g}" if isinstance(value, float) and abs(value) < 1 else str(round(value, 2) if isinstance(value, float) else value)


def _plots(records: list[dict], threshold: float, rule: str = "span") -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plots = {}
    fig, ax = plt.subplots(figsize=(4.6, 4))
    points = reliability(records)
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="calibrated")
    if points:
        xs, ys, _ = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", color="tab:blue", label="exact match")
        for x, y, n in points:
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    if rule == "span":  # the threshold applies to this axis
        ax.axvline(threshold, color="tab:red", ls="--", label=f"no-answer threshold {threshold:.3f}")
    else:  # it applies to the span's odds against no answer, another scale: say so, draw no line
        ax.plot([], [], " ", label=f"no-answer rule: {rule} >= {threshold:.3f} (not this axis)")
    ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="answer score (the reader's probability)",
           ylabel="share right (exact match)", title="Reliability")
    ax.legend(fontsize=7, loc="upper left")
    plots["reliability"] = _png(fig)
    plt.close(fig)

    types = f1_by_type(records)
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    ax.barh([f"{k} ({n})" for k, (_, n) in types.items()][::-1], [f for f, _ in types.values()][::-1],
            color="tab:green")
    ax.set(xlim=(0, 100), xlabel="F1", title="F1 by question type (count)")
    plots["types"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.2, 3))
    ax.hist([r["latency_ms"] for r in records], bins=30, color="tab:purple")
    ax.set(xlabel="milliseconds per question", ylabel="questions", title="Latency")
    plots["latency"] = _png(fig)
    plt.close(fig)
    return plots


def _wrong_rows(records: list[dict], limit: int) -> str:
    wrong = sorted((r for r in records if r["f1"] < 1.0), key=lambda r: -r["confidence"])[:limit]
    rows = []
    for r in wrong:
        passage = r["passage"] or ""
        marked = html.escape(passage[:600]) + ("…" if len(passage) > 600 else "")
        if r["prediction"] and r["prediction"] in passage[:600]:
            i = passage.index(r["prediction"])
            marked = (html.escape(passage[:i]) + "<mark>" + html.escape(r["prediction"]) + "</mark>"
                      + html.escape(passage[i + len(r["prediction"]):600]))
        rows.append(f"<tr><td>{html.escape(r['question'])}</td>"
                    f"<td>{html.escape(r['prediction']) or '<i>no answer</i>'}</td>"
                    f"<td>{html.escape(' / '.join(r['answers'])) or '<i>none</i>'}</td>"
                    f"<td>{r['confidence']:.2f}</td><td>{100 * r['f1']:.0f}</td>"
                    f"<td class='p'>{marked}</td></tr>")
    return "".join(rows)


CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top}
.p{max-width:420px}.plots img{max-width:100%;margin:.5em 1em .5em 0}mark{background:#ffe066}
.summary td:first-child{font-weight:600}"""


def render_html(report: dict, wrong_limit: int = 200) -> str:
    """The report page for a ``qa eval`` report that has per-question ``records``.

    Args:
        report: as returned by ``evaluate_reader``/``evaluate_open`` (plus ``file``).
        wrong_limit: most wrong answers listed (most confident first).

    Raises:
        ValueError: the report has no per-question records.
    """
    records = report.get("records")
    if not records:
        raise ValueError("the report has no per-question records to draw")
    plots = _plots(records, float(report.get("threshold", 0.0)), str(report.get("rule", "span")))
    summary = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_shown(v))}</td></tr>"
                      for k, v in report.items() if k not in ("predictions", "records"))
    wrong = sum(r["f1"] < 1.0 for r in records)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QA evaluation: {html.escape(str(report.get('file', '')))}</title><style>{CSS}</style></head><body>
<h1>Evaluation report</h1><table class="summary">{summary}</table>
<div class="plots"><img alt="reliability diagram" src="{plots['reliability']}">
<img alt="F1 by question type" src="{plots['types']}"><img alt="latency histogram" src="{plots['latency']}"></div>
<h2>Wrong or partial answers ({wrong}; the {min(wrong, wrong_limit)} most confident)</h2>
<table><tr><th>question</th><th>answer given</th><th>reference</th><th>confidence</th><th>F1</th>
<th>passage</th></tr>{_wrong_rows(records, wrong_limit)}</table></body></html>"""
