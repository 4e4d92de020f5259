"""Training-speed benchmark: seconds per optimisation step of the reader, by variant.

Times the same batches (32 windows, max length 256, length-grouped as in
``qa train-reader``) under: bf16 autocast (the default), fp32, bf16 with the
word embeddings frozen, and bf16 with ``torch.compile``. The first steps of each
variant are warm-up (compilation) and are reported apart. Run from the repo root:

    python bench/train_speed.py ../shared/qa-data/squad-v1.1/train-v1.1.json 20

Quality is not measured here (that takes full training runs), only speed.
"""

import random
import statistics
import sys
import time

import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
from transformers.utils import logging as hf_logging

from qa.eval.squad import load_squad
from qa.store.embedding import default_embedding_model
from qa.train.training import collate, encode_examples, length_grouped_batches

WARMUP = 3


def _batches(train_file: str, tokenizer, n: int) -> list[dict[str, torch.Tensor]]:
    examples = [e for e in load_squad(train_file) if e.answers]
    random.Random(0).shuffle(examples)
    features = encode_examples(tokenizer, examples[:4000], 256, 128)
    order = length_grouped_batches([len(f.input_ids) for f in features], 32, seed=0)
    return [collate([features[i] for i in b], tokenizer.pad_token_id) for b in order[: n + WARMUP]]


def _model(variant: str):
    model = AutoModelForQuestionAnswering.from_pretrained(default_embedding_model(), dtype=torch.float32)
    if variant == "bf16 + frozen word embeddings":
        model.get_input_embeddings().weight.requires_grad_(False)
    model.train()
    step_model = torch.compile(model, dynamic=True) if variant == "bf16 + torch.compile" else model
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    return model, step_model, optim


def time_variant(variant: str, batches: list[dict[str, torch.Tensor]]) -> tuple[float, float]:
    """Returns (warm-up seconds, median seconds per step after warm-up)."""
    torch.manual_seed(0)
    model, step_model, optim = _model(variant)
    times = []
    for batch in batches:
        t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant != "fp32"):
            loss = step_model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    return sum(times[:WARMUP]), statistics.median(times[WARMUP:])


def main(train_file: str, steps: int = 20) -> None:
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(default_embedding_model())
    batches = _batches(train_file, tokenizer, steps)
    tokens = statistics.mean(b["input_ids"].numel() for b in batches[WARMUP:])
    print(f"{steps} timed steps of 32 windows (mean {tokens:.0f} tokens per batch), "
          f"{torch.get_num_threads()} threads")
    print(f"{'variant':32s} {'warm-up s':>9s} {'s/step':>7s}")
    for variant in ("bf16", "fp32", "bf16 + frozen word embeddings", "bf16 + torch.compile"):
        try:
            warm, per_step = time_variant(variant, batches)
        except Exception as err:  # noqa: BLE001 - a failing variant is a result worth printing
            print(f"{variant:32s} failed: {type(err).__name__}: {str(err)[:120]}")
            continue
        print(f"{variant:32s} {warm:9.1f} {per_step:7.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
