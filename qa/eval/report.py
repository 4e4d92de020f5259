"""An evaluation report to look at: one self-contained HTML page (``qa eval ... --html``).

It shows the summary metrics, a reliability diagram (how often answers are
right at each confidence, the no-answer threshold marked), F1 by question
type, a latency histogram, coverage against accuracy as the no-answer threshold moves (the
reader's named operating points marked; a small inline SVG), and the wrong answers with their
passages. The other plots are drawn with matplotlib and embedded as PNG data, so the page needs no
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


SVG_W, SVG_H, PAD_L, PAD_R, PAD_T, PAD_B = 480, 340, 52, 16, 30, 44
POINT_COLOURS = {"answer-more": "#1f77b4", "balanced": "#2ca02c", "careful": "#d62728", "used": "#555"}


def coverage_points(report: dict) -> tuple[list[dict], dict[str, dict]]:
    """The coverage-accuracy curve of a report whose records hold ``candidates``
    (:func:`qa.eval.points.sweep`), and each marked point measured on it: the reader's named
    operating points (``report["operating_points"]``) and the threshold used (``"used"``)."""
    from qa.eval.points import from_json, measure, sweep

    rows = [{"answers": r["answers"], "candidates": from_json(r["candidates"])}
            for r in report.get("records", []) if "candidates" in r]
    if not rows:
        return [], {}
    decay = float(report.get("rank_decay", 0.5))
    marks = {name: measure(rows, float(t), decay) for name, t in report.get("operating_points", {}).items()}
    marks["used"] = measure(rows, float(report.get("threshold", 0.0)), decay)
    return sweep(rows, rank_decay=decay), marks


def _xy(coverage: float, accuracy: float) -> tuple[float, float]:
    """Plot coordinates of a (coverage, accuracy) pair, both in [0, 1]."""
    return (PAD_L + coverage * (SVG_W - PAD_L - PAD_R), PAD_T + (1 - accuracy) * (SVG_H - PAD_T - PAD_B))


def _polyline(curve: list[dict], key: str, colour: str, dash: str = "") -> str:
    xy = ["{:.1f},{:.1f}".format(*_xy(p["coverage"], p[key])) for p in curve if p["coverage"] > 0]
    pts = " ".join(a for i, a in enumerate(xy) if i == 0 or a != xy[i - 1])  # a flat stretch once
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.8"{extra} points="{pts}"/>'


def _axes() -> str:
    parts = []
    for v in (0, 0.25, 0.5, 0.75, 1):
        x, y0 = _xy(v, 0)
        x0, y = _xy(0, v)
        parts += [f'<line x1="{x:.1f}" y1="{PAD_T}" x2="{x:.1f}" y2="{y0:.1f}" stroke="#eee"/>',
                  f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{SVG_W - PAD_R}" y2="{y:.1f}" stroke="#eee"/>',
                  f'<text x="{x:.1f}" y="{y0 + 14:.1f}" text-anchor="middle">{v:.0%}</text>',
                  f'<text x="{x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{v:.0%}</text>']
    x0, y0 = _xy(0, 0)
    parts += [f'<line x1="{x0}" y1="{PAD_T}" x2="{x0}" y2="{y0}" stroke="#333"/>',
              f'<line x1="{x0}" y1="{y0}" x2="{SVG_W - PAD_R}" y2="{y0}" stroke="#333"/>',
              (f'<text x="{(x0 + SVG_W - PAD_R) / 2:.0f}" y="{SVG_H - 8}" text-anchor="middle">'
              'coverage: share of questions answered</text>'),
              (f'<text transform="translate(13,{(PAD_T + y0) / 2:.0f}) rotate(-90)" text-anchor="middle">'
              'given answers: accuracy (EM) / F1</text>')]
    return "".join(parts)


def _marks(marks: dict[str, dict]) -> str:
    parts = []
    for name, m in marks.items():
        if name == "used" and any(abs(o["threshold"] - m["threshold"]) < 1e-9 for k, o in marks.items() if k != "used"):
            continue  # the threshold used is a named point: marked once
        x, y = _xy(m["coverage"], m["accuracy"])
        colour = POINT_COLOURS.get(name, "#555")
        shape = (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>' if name == "used"
                 else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>')
        label = "threshold used" if name == "used" else name
        parts.append(f'<g><title>{html.escape(label)}: threshold {m["threshold"]:.4g}, coverage '
                     f'{m["coverage"]:.1%}, accuracy {m["accuracy"]:.1%}</title>{shape}'
                     f'<text x="{x + 7:.1f}" y="{y + 14:.1f}" fill="{colour}">{html.escape(label)}</text></g>')
    return "".join(parts)


def coverage_svg(curve: list[dict], marks: dict[str, dict]) -> str:
    """A small inline SVG: coverage (x) against the accuracy (solid) and F1 (dashed) of the given
    answers as the no-answer threshold moves, the named points and the threshold used marked."""
    legend = (f'<text x="{PAD_L}" y="18" fill="#333">— accuracy (exact match)</text>'
              f'<text x="{PAD_L + 190}" y="18" fill="#888">- - F1</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}" '
            f'viewBox="0 0 {SVG_W} {SVG_H}" role="img" aria-label="coverage against accuracy" '
            f'font-size="11" font-family="system-ui,sans-serif">{legend}{_axes()}'
            f'{_polyline(curve, "answered_f1", "#888", "5 4")}{_polyline(curve, "accuracy", "#333")}'
            f'{_marks(marks)}</svg>')


def _points_table(marks: dict[str, dict]) -> str:
    rows = "".join(f"<tr><td>{html.escape('threshold used' if n == 'used' else n)}</td><td>{m['threshold']:.4g}</td>"
                   f"<td>{m['coverage']:.1%}</td><td>{m['accuracy']:.1%}</td><td>{m['answered_f1']:.1%}</td>"
                   f"<td>{100 * m['f1']:.2f}</td></tr>" for n, m in marks.items())
    return ("<table><tr><th>point</th><th>threshold</th><th>coverage</th><th>accuracy</th>"
            f"<th>F1 of given answers</th><th>F1</th></tr>{rows}</table>")


def _coverage_section(report: dict) -> str:
    """The report's coverage-accuracy section: the SVG and its points' table (empty without
    per-question candidates, e.g. from ``--ray``)."""
    curve, marks = coverage_points(report)
    if not curve:
        return ""
    return ("<h2>Coverage against accuracy</h2><p>As the no-answer threshold rises the system answers "
            "fewer questions, and more of those it answers are right. Measured on this file's questions "
            f"({len([r for r in report['records'] if 'candidates' in r])}).</p>"
            f'<div class="plots">{coverage_svg(curve, marks)}</div>{_points_table(marks)}')


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
                      for k, v in report.items() if k not in ("predictions", "records", "operating_points"))
    wrong = sum(r["f1"] < 1.0 for r in records)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QA evaluation: {html.escape(str(report.get('file', '')))}</title><style>{CSS}</style></head><body>
<h1>Evaluation report</h1><table class="summary">{summary}</table>
<div class="plots"><img alt="reliability diagram" src="{plots['reliability']}">
<img alt="F1 by question type" src="{plots['types']}"><img alt="latency histogram" src="{plots['latency']}"></div>
{_coverage_section(report)}
<h2>Wrong or partial answers ({wrong}; the {min(wrong, wrong_limit)} most confident)</h2>
<table><tr><th>question</th><th>answer given</th><th>reference</th><th>confidence</th><th>F1</th>
<th>passage</th></tr>{_wrong_rows(records, wrong_limit)}</table></body></html>"""
