"""The reader: an extractive QA model that picks answer spans out of passages.

Each (question, passage) pair is tokenized into windows of at most
``max_length`` tokens overlapping by ``stride``. For every window the model
gives start and end logits; a softmax over the passage tokens plus [CLS]
turns them into probabilities, so a span's score ``P(start) * P(end)`` and the
null score ``P(start=CLS) * P(end=CLS)`` lie in [0, 1] and compare across
passages (the no-answer formulation of SQuAD 2.0 readers, Devlin et al.,
2019). The best span is searched over start/end pairs with
``start <= end < start + max_answer_tokens``, inside the passage only.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.questions import codes_as_written
from qa.modeling import compiled
from qa.modeling.hf import check_model_ref, linear_weights_to_bf16, load_qa_model, loading, pick_device

CONFIG_FILE = "qa_reader.json"


def packaged_reader_dir() -> Path:
    """Folder of the fast reader shipped inside the package (MiniLM-L6)."""
    return Path(__file__).parent.parent / "models" / "reader"


def base_reader_dir() -> Path:
    """Folder of the base-size reader's adapter shipped inside the package (MPNet-12 + LoRA)."""
    return Path(__file__).parent.parent / "models" / "reader-base"


PRESETS = {"fast": packaged_reader_dir, "base": base_reader_dir}


def base_reader_available() -> bool:
    """True when the base reader can load: its adapter ships in the package and the
    all-mpnet-base-v2 parts it applies to are installed (checked from the package metadata, cheap;
    their hashes are checked when the model is first unpacked)."""
    from qa.modeling.base_encoder import BaseModelError, part_files

    if not (base_reader_dir() / "adapter_config.json").exists():
        return False
    try:
        part_files()
    except BaseModelError:
        return False
    return True


def default_reader() -> str:
    """The reader used when none is named: ``"base"`` where :func:`base_reader_available`, else
    ``"fast"`` (a fresh install without the MPNet parts still answers, with the small reader)."""
    return "base" if base_reader_available() else "fast"


def resolve_reader(model: str | None) -> tuple[str, str]:
    """(folder or hub id, display name) of a reader reference.

    ``None`` is :func:`default_reader`; ``"fast"`` is the packaged MiniLM reader; ``"base"``
    is the packaged base-size reader (an adapter over all-mpnet-base-v2); anything else is a
    folder or hub id. Display names: ``packaged-fast``, ``packaged-base``, or the reference.

    Raises:
        ValueError: the name is empty.
        FileNotFoundError: a packaged reader is missing, or a local folder does not exist
            (or is a file).
        qa.modeling.base_encoder.BaseModelError: ``"base"`` without the MPNet parts installed (the
            message gives the pip command).
    """
    if model is not None and not model.strip():
        raise ValueError("the reader name is empty: use fast, base, or a model folder or id")
    name = model or default_reader()
    if name.strip().lower() in PRESETS and not Path(name).expanduser().exists():
        name = name.strip().lower()  # "Base", "FAST " name the presets too
    preset = PRESETS.get(name)
    if preset is None:
        if Path(name).expanduser().is_file():
            raise FileNotFoundError(f"reader {name} is a file, not a model folder")
        return check_model_ref(name, "reader"), name
    folder = preset()
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"the packaged {name} reader is missing from {folder}: "
                                "reinstall the package")
    if name == "base":
        from qa.modeling.base_encoder import part_files

        part_files()  # BaseModelError naming the pip command when the parts are missing
    return str(folder), f"packaged-{name}"


# Under the odds rule, the least span probability that counts as an answer (a threshold of 0 still
# answers everything). On the kept SQuAD 2.0 measure half (base reader, odds rule, 2,360
# questions, 2026-11-30) no accepted answer scored under 0.05, so this floor changes no figure
# there; it drops the rare table guesses at 0.00 that a new user saw.
MIN_SPAN_SCORE = 0.05


# Named no-answer thresholds ("operating points") a calibrated reader's qa_reader.json may hold
# under "operating_points", each with the coverage and accuracy measured there: "answer-more"
# answers the most questions, "balanced" has the best F1, "careful" gives the fewest wrong answers
# (docs/readers.md, "Operating points"). Picking one sets the reader's threshold.
OPERATING_POINTS = ("answer-more", "balanced", "careful")


def point_name(point: str) -> str:
    """``point`` as one of :data:`OPERATING_POINTS` ("Careful", "answer_more" and "answer more" name
    them too).

    Raises:
        ValueError: it names none of them.
    """
    name = point.strip().lower().replace("_", "-").replace(" ", "-") if isinstance(point, str) else None
    if name not in OPERATING_POINTS:
        raise ValueError(f"unknown operating point {point!r}: use one of {', '.join(OPERATING_POINTS)}")
    return name


def point_threshold(calibrated: dict, point: str, reader: str = "this reader") -> float:
    """The threshold of the operating point named ``point`` in a reader's ``qa_reader.json`` content.

    ``"balanced"`` falls back to the calibrated ``null_threshold`` when the file names no points.

    Raises:
        ValueError: ``point`` is not one of :data:`OPERATING_POINTS`, or the reader was not
            calibrated for it.
    """
    name = point_name(point)
    points = calibrated.get("operating_points", {})
    if name in points:
        return float(points[name]["threshold"])
    if name == "balanced" and "null_threshold" in calibrated:
        return float(calibrated["null_threshold"])
    raise ValueError(f"{reader} has no calibrated {name!r} operating point (its qa_reader.json holds "
                     f"{', '.join(points) or 'none'}): set a threshold instead")


@dataclass
class Span:
    """An answer span in one passage.

    ``start``/``end`` are character offsets into that passage's text (end
    exclusive); ``score`` and ``null_score`` are probabilities in [0, 1];
    ``passage`` is the position of the passage in the reader's input.
    """

    text: str
    score: float
    passage: int
    start: int
    end: int
    null_score: float

    @property
    def odds(self) -> float:
        """How much likelier this span is than no answer: ``score / (score + null_score)``, in [0, 1].

        The span probability alone mixes "which span" with "any span at all"; set against the
        no-answer probability of its own passage it measures only the latter (the span-vs-null
        comparison of SQuAD 2.0 readers, Devlin et al., 2019, as a bounded ratio).
        """
        total = self.score + self.null_score
        return self.score / total if total > 0 else 0.0

    def confidence(self, rule: str) -> float:
        """The value a no-answer threshold applies to under ``rule``: ``"odds"`` (:attr:`odds`,
        0 for a span under :data:`MIN_SPAN_SCORE`: the odds can be high for a span the reader
        gives 0.1 % when no answer is even less likely, a guess) or ``"span"`` (:attr:`score`)."""
        if rule == "odds":
            return self.odds if self.score >= MIN_SPAN_SCORE else 0.0
        return self.score


@dataclass
class CharDistribution:
    """A reader's answer distribution over one passage's characters.

    ``start`` maps a character offset to the probability that the answer
    starts there, ``end`` an offset (exclusive) to the probability that it ends
    there; ``null_start``/``null_end`` are the no-answer ([CLS]) probabilities.
    """

    start: dict[int, float]
    end: dict[int, float]
    null_start: float
    null_end: float


EDGE_MARKUP = " \t\r\n*_`#>|~"


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``text[start:end]`` past white space and Markdown marks at its edges.

    Word-piece offsets can take in ``**`` or ``_`` around a word in Markdown
    documents; the answer should be the words alone. A span made only of such
    characters is returned unchanged.
    """
    s, e = start, end
    while s < e and text[s] in EDGE_MARKUP:
        s += 1
    while e > s and text[e - 1] in EDGE_MARKUP:
        e -= 1
    return (s, e) if s < e else (start, end)


BOUNDARIES = ("\n", " | ")
QUOTES = {'"': '"', "“": "”", "‘": "’", "«": "»", "„": "“"}
MAX_QUOTE_CHARS = 400


def complete_quote(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` to the whole quotation it begins, when it stops inside one.

    A reader trained on short answers tends to stop a long quoted title or
    saying at its first comma. When the span starts just inside an opening
    quote mark and the closing mark follows the span on the same line (within
    :data:`MAX_QUOTE_CHARS`), the span is extended to end before that mark.
    """
    opening = text[start - 1] if start > 0 else ""
    if opening not in QUOTES:
        return start, end
    close = text.find(QUOTES[opening], end, start + MAX_QUOTE_CHARS)
    if close < 0 or close == end or crosses_boundary(text[end:close]):
        return start, end
    return start, close


_DOUBLE_QUOTES = {k: v for k, v in QUOTES.items() if k != "‘"}  # ’ is also an apostrophe


def balance_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``text[start:end]`` past a double quote mark at its edge that the span does not
    also open or close ("a historic day for public transport”" ends before the mark: the
    quotation began before the span). Single quotes are left alone: they are also apostrophes."""
    span = text[start:end]
    closing = {v: k for k, v in _DOUBLE_QUOTES.items()}
    if (len(span) > 1 and span[-1] in closing and closing[span[-1]] not in span[:-1] and span[-1] != span[0]
            and not (span[-1] == '"' and span[-2].isdigit())):  # 12" is twelve inches
        end -= 1
    span = text[start:end]
    if len(span) > 1 and span[0] in _DOUBLE_QUOTES and _DOUBLE_QUOTES[span[0]] not in span[1:]:
        start += 1
    return start, end


def as_question(text: str) -> str:
    """``text`` with a final "?" when it ends without . ! or ? (people often leave it out).

    SQuAD questions, which readers are trained on, end with "?"; a query typed
    without it ("when was solvia founded") is read the same as the question.
    """
    text = text.strip()
    return text if not text or text[-1] in "?!.？" else text + "?"


def crosses_boundary(span_text: str) -> bool:
    """True when a span runs over a line break or a table-cell border (`` | ``).

    Loaders end paragraphs, list items and table rows with a line break and
    join cells with `` | ``; an answer lies inside one of them.
    """
    return any(b in span_text for b in BOUNDARIES)


def best_spans(
    start_probs: np.ndarray,
    end_probs: np.ndarray,
    context_mask: np.ndarray,
    max_answer_tokens: int = 30,
    top_n: int = 20,
) -> list[tuple[int, int, float]]:
    """Best (start, end, probability) token spans of one window, best first.

    Args:
        start_probs, end_probs: shape (seq_len,), probabilities per token.
        context_mask: shape (seq_len,), True where a token belongs to the passage.
        max_answer_tokens: longest span in tokens.
        top_n: how many start and end candidates to pair.

    Spans that end before they start, run longer than ``max_answer_tokens``
    or touch a token outside the passage (question, special, padding) are
    never returned.
    """
    s_probs = np.where(context_mask, start_probs, -1.0)
    e_probs = np.where(context_mask, end_probs, -1.0)
    starts = np.argsort(-s_probs)[:top_n]
    ends = np.argsort(-e_probs)[:top_n]
    out = []
    for s in starts:
        if not context_mask[s]:
            continue
        for e in ends:
            if context_mask[e] and s <= e < s + max_answer_tokens:
                out.append((int(s), int(e), float(start_probs[s] * end_probs[e])))
    out.sort(key=lambda t: -t[2])
    return out


class Reader:
    """An extractive QA model (any transformers ``AutoModelForQuestionAnswering``).

    Args:
        model: ``"base"`` or ``"fast"`` for a reader shipped in the package, ``None`` for
            :func:`default_reader` (see :func:`resolve_reader`), or a Hugging Face model id or
            folder.
        max_length: tokens per window (question + passage + specials).
        stride: tokens shared by consecutive windows of a long passage.
        max_answer_tokens: longest answer in tokens.
        max_question_tokens: longer questions are cut to this many tokens.
        batch_size: windows per forward pass.
        bf16: run under bfloat16 autocast (about twice as fast on CPUs with AMX); the linear
            weights are then kept in bf16, which changes no result (:func:`qa.modeling.hf.linear_weights_to_bf16`).
        device: ``"auto"`` (a GPU when torch sees one, else the CPU), ``"cpu"``, ``"cuda"``...
            (the torch engine only).
        engine: ``"torch"`` (transformers on torch, under bf16 autocast when ``bf16``),
            ``"onnx"`` (the model's compiled copy on ONNX Runtime, fp32, :mod:`qa.modeling.compiled`:
            starts in about a second, without importing torch) or ``"auto"`` (onnx when the
            compiled copy exists, else torch).
        threshold: answers below it are dropped (no-answer); by default the calibrated
            value in the model folder's ``qa_reader.json``, else 0.
        rule: what the threshold applies to: ``"span"`` (the span probability,
            :attr:`Span.score`) or ``"odds"`` (:attr:`Span.odds`, for spans of at least
            :data:`MIN_SPAN_SCORE`; see :meth:`Span.confidence`); by default the calibrated
            rule in ``qa_reader.json``, else ``"span"``.
        operating_point: ``"answer-more"``, ``"balanced"`` or ``"careful"``: the threshold of that
            named point in ``qa_reader.json`` (:func:`point_threshold`); ``threshold`` overrides it (the
            attribute ``operating_point`` is then None: no named point is in use).

    Raises:
        FileNotFoundError: the packaged reader is missing.
        OSError: the model cannot be loaded (:class:`qa.modeling.compiled.CompiledError` for engine
            ``"onnx"`` without a compiled copy).
        ValueError: an unknown device, engine, rule or operating point, or a GPU that is not there.
    """

    RULES = ("span", "odds")
    ENGINES = ("torch", "onnx", "auto")

    def __init__(self, model: str | None = None, max_length: int = 384, stride: int = 128,
                 max_answer_tokens: int = 40, max_question_tokens: int = 64,
                 batch_size: int = 32, bf16: bool = True, threshold: float | None = None,
                 device: str = "auto", rule: str | None = None, operating_point: str | None = None,
                 engine: str = "torch"):
        if engine not in self.ENGINES:
            raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(self.ENGINES)}")
        self.operating_point = None if operating_point is None else point_name(operating_point)  # before loading
        path, self.name = resolve_reader(model)
        self.path = path
        folder = compiled.compiled_dir("reader", path) if engine != "torch" else None
        if engine == "onnx" and not compiled.is_ready(folder):
            raise compiled.CompiledError(f"reader {self.name} has no compiled copy: make one with "
                                         f"'python -m qa.modeling.compiled reader {path}'")
        self.engine = "onnx" if compiled.is_ready(folder) else "torch"
        if self.engine == "onnx":
            try:
                self._session = compiled.Session(folder)
                self.tokenizer, self.model, self.device = self._session.tokenizer, None, None
            except compiled.CompiledError:
                if engine == "onnx":
                    raise
                compiled.discard(folder)  # a damaged copy: made again by the next qa ask
                self.engine = "torch"  # meanwhile the torch model answers
        if self.engine == "torch":
            self._load_torch(path, device, bf16)
        self.max_length, self.stride = max_length, stride
        self.max_answer_tokens, self.max_question_tokens = max_answer_tokens, max_question_tokens
        self.batch_size, self._bf16 = batch_size, bf16 and self.engine == "torch"
        config = Path(path) / CONFIG_FILE
        self.calibrated = calibrated = json.loads(config.read_text()) if config.exists() else {}
        self.threshold = calibrated.get("null_threshold", 0.0) if threshold is None else threshold
        if self.operating_point is not None:
            point = point_threshold(calibrated, self.operating_point, self.name)  # raises for one it lacks
            if threshold is None:
                self.threshold = point
            else:
                self.operating_point = None  # an explicit threshold overrides the point: none is in use
        self.rule = rule or calibrated.get("rule", "span")
        if self.rule not in self.RULES:
            raise ValueError(f"unknown no-answer rule {self.rule!r}: use one of {', '.join(self.RULES)}")

    def at_point(self, operating_point: str | None) -> Reader:
        """This reader at the named operating point (:data:`OPERATING_POINTS`): a shallow copy that
        shares the model, with that point's threshold; ``None`` gives the reader itself.

        Raises:
            ValueError: an unknown point, or one the reader was not calibrated for.
        """
        if operating_point is None:
            return self
        twin = copy.copy(self)
        twin.threshold = point_threshold(self.calibrated, operating_point, self.name)
        twin.operating_point = point_name(operating_point)
        return twin

    @property
    def bf16(self) -> bool:
        """Whether the reader runs under bfloat16 autocast (fixed at construction: its linear
        weights are then stored in bf16, :func:`qa.modeling.hf.linear_weights_to_bf16`)."""
        return self._bf16

    def confidence(self, span: Span) -> float:
        """The value of ``span`` that the threshold applies to, under this reader's :attr:`rule`."""
        return span.confidence(self.rule)

    def accepts(self, span: Span) -> bool:
        """True when ``span`` is an answer rather than a no-answer: its confidence reaches the
        threshold (see :meth:`Span.confidence`, which applies :data:`MIN_SPAN_SCORE` under the
        odds rule)."""
        return self.confidence(span) >= self.threshold

    def _cut_question(self, question: str) -> str:
        """The question as the model was trained to see it: typed as a question, at most
        ``max_question_tokens`` long (see :func:`as_question`)."""
        question = as_question(question)
        enc = self.tokenizer([question], add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"][0]
        if len(offsets) <= self.max_question_tokens:
            return question
        return question[: offsets[self.max_question_tokens - 1][1]]

    def _load_torch(self, path: str, device: str, bf16: bool) -> None:
        from transformers import AutoTokenizer

        with loading(path, "reader"):
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = load_qa_model(path, require_head=True)
        self.device = pick_device(device)
        self.model.to(self.device).eval()
        if bf16:
            linear_weights_to_bf16(self.model)

    def _forward(self, enc, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        pad = self.tokenizer.pad_token_id or 0
        batch = compiled.padded(enc, rows, ("input_ids", "token_type_ids", "attention_mask"), pad)
        if self.engine == "onnx":
            start, end = self._session.run(batch)
            return start, end
        import torch

        tensors = {k: torch.from_numpy(v).to(self.device) for k, v in batch.items()}
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self._bf16):
            out = self.model(**tensors)
        return out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()

    def read_pairs(self, pairs: list[tuple[str, str]], top_n: int = 1) -> list[list[Span]]:
        """Answer each (question, passage) pair on its own.

        Returns, per pair, up to ``top_n`` spans (best first, overlapping spans
        removed), with ``passage`` = the pair's position. Spans below the
        threshold are kept here; :meth:`read` applies it.
        """
        if not pairs:
            return []
        questions = [self._cut_question(q) for q, _ in pairs]
        enc = self.tokenizer(
            questions, [c for _, c in pairs], truncation="only_second",
            max_length=self.max_length, stride=self.stride,
            return_overflowing_tokens=True, return_offsets_mapping=True,
        )
        owner = enc["overflow_to_sample_mapping"]
        order = sorted(range(len(owner)), key=lambda r: len(enc["input_ids"][r]))
        found: list[list[Span]] = [[] for _ in pairs]
        null = [1.0] * len(pairs)
        for lo in range(0, len(order), self.batch_size):
            rows = order[lo : lo + self.batch_size]
            start_logits, end_logits = self._forward(enc, rows)
            for i, r in enumerate(rows):
                k = owner[r]
                spans, null_p = self._window_spans(enc, r, pairs[k][1], start_logits[i], end_logits[i],
                                                   top_n)
                null[k] = min(null[k], null_p)
                for s, e, p in spans:
                    s, e = balance_quotes(pairs[k][1], *complete_quote(pairs[k][1], *trim_span(pairs[k][1], s, e)))
                    found[k].append(Span(pairs[k][1][s:e], p, k, s, e, null_p))
        return [_dedupe(spans, null[k])[:top_n] for k, spans in enumerate(found)]

    def char_distributions(self, pairs: list[tuple[str, str]], top: int = 30) -> list[CharDistribution]:
        """The model's start and end probabilities over each passage's characters (for distillation).

        Per (question, passage) pair: a token's start probability is kept at its
        first character and its end probability at its last character + 1;
        where windows overlap, the larger value; the ``top`` most likely of each
        are kept, with the no-answer probabilities (the least over windows, as
        in :meth:`read_pairs`). Returns one :class:`CharDistribution` per pair.
        """
        if not pairs:
            return []
        enc = self.tokenizer(
            [self._cut_question(q) for q, _ in pairs], [c for _, c in pairs], truncation="only_second",
            max_length=self.max_length, stride=self.stride,
            return_overflowing_tokens=True, return_offsets_mapping=True,
        )
        owner = enc["overflow_to_sample_mapping"]
        found = [CharDistribution({}, {}, 1.0, 1.0) for _ in pairs]
        for lo in range(0, len(owner), self.batch_size):
            rows = list(range(lo, min(lo + self.batch_size, len(owner))))
            start_logits, end_logits = self._forward(enc, rows)
            for i, r in enumerate(rows):
                d = found[owner[r]]
                mask = np.array([s == 1 for s in enc.sequence_ids(r)])
                allowed = mask.copy()
                allowed[0] = True
                s_p = _masked_softmax(start_logits[i][: len(mask)], allowed)
                e_p = _masked_softmax(end_logits[i][: len(mask)], allowed)
                d.null_start, d.null_end = min(d.null_start, s_p[0]), min(d.null_end, e_p[0])
                for j in np.flatnonzero(mask):
                    a, b = enc["offset_mapping"][r][j]
                    d.start[a] = max(d.start.get(a, 0.0), float(s_p[j]))
                    d.end[b] = max(d.end.get(b, 0.0), float(e_p[j]))
        for d in found:
            d.start = dict(sorted(d.start.items(), key=lambda kv: -kv[1])[:top])
            d.end = dict(sorted(d.end.items(), key=lambda kv: -kv[1])[:top])
        return found

    def _window_spans(self, enc, row: int, context: str, start_logits: np.ndarray, end_logits: np.ndarray,
                      top_n: int) -> tuple[list[tuple[int, int, float]], float]:
        seq_ids = enc.sequence_ids(row)
        n = len(seq_ids)
        mask = np.array([s == 1 for s in seq_ids])
        allowed = mask.copy()
        allowed[0] = True
        s_p = _masked_softmax(start_logits[:n], allowed)
        e_p = _masked_softmax(end_logits[:n], allowed)
        offsets = enc["offset_mapping"][row]
        spans = [
            (offsets[s][0], offsets[e][1], p)
            for s, e, p in best_spans(s_p, e_p, mask, self.max_answer_tokens, top_n=30)
            if not crosses_boundary(context[offsets[s][0]:offsets[e][1]])
        ][: max(top_n, 5)]
        return spans, float(s_p[0] * e_p[0])

    def read(self, question: str, passages: list[str], top_n: int = 5,
             keep: Callable[[str, Span], bool] | None = None,
             supported: Callable[[str, Span], bool] | None = None) -> list[Span]:
        """The best spans for one question over several passages, best first.

        A code the question names is read as each passage writes it (:func:`qa.answer.questions.codes_as_written`).

        All passages are read in one batch; at most one span per passage is
        kept, and only those the reader :meth:`accepts`; they are ranked by span probability.
        ``keep(passage, span)``: a check of the caller's (:mod:`qa.answer.verify`, say); a passage's best
        span that fails it gives way to the next best of that passage (of its best three).
        ``supported(passage, span)``: evidence of the caller's that the span answers the question
        (:func:`qa.answer.verify.keyed_value`); such a span, the passage's best, is accepted from
        :data:`MIN_SPAN_SCORE` on (a "port: 8443" line read for "What port ...?" in a passage of
        code gets 0.09 from the fast reader, far under its calibrated threshold, though the
        line states the answer). A best span declined by both gets a second read
        (:meth:`_reread`: a fact the text corrects, a passage in another script).
        """
        pairs = [(codes_as_written(question, p), p) for p in passages]  # AP1012 read as the passage's AP-1012
        per_passage = self.read_pairs(pairs, top_n=1 if keep is None else 3)
        spans = []
        for text, group in zip(passages, per_passage, strict=True):
            best = next((s for s in group if keep is None or keep(text, s)), None)
            if best is not None and not (self.accepts(best) or self._supported(best, text, supported)):
                best = self._reread(question, text, best)
            if best is not None:
                spans.append(best)
        spans.sort(key=lambda s: -s.score)
        return spans[:top_n]


    def _reread(self, question: str, text: str, span: Span) -> Span | None:
        """A declined best span's second read (:func:`qa.answer.abstain.reread`: a corrected fact, a
        passage in another script); None when it declines too or the threshold is above 1."""
        from qa.answer.abstain import reread

        return reread(self, question, text, span, MIN_SPAN_SCORE) if self.threshold <= 1 else None

    def _supported(self, span: Span, text: str, supported: Callable[[str, Span], bool] | None) -> bool:
        """Whether ``span`` passes the lower bar of a span the caller has evidence for (never under a
        threshold above 1, which turns every answer down)."""
        return (supported is not None and self.threshold <= 1 and span.score >= MIN_SPAN_SCORE
                and supported(text, span))


def _masked_softmax(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    x = np.where(allowed, logits.astype(np.float64), -np.inf)
    x = np.exp(x - x.max())
    return x / x.sum()


def _dedupe(spans: list[Span], null_score: float) -> list[Span]:
    """Best first; a span overlapping a better one (e.g. from another window) is dropped."""
    kept: list[Span] = []
    for s in sorted(spans, key=lambda s: -s.score):
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            s.null_score = null_score
            kept.append(s)
    return kept
