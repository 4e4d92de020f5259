"""Loading Hugging Face models: clear errors for bad model references, and quiet loads.

A library should not write to the caller's terminal when it loads weights
that ship inside it; the bars are restored to what they were afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

ADAPTER_CONFIG = "adapter_config.json"


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Within the block, transformers shows no progress bars, logs errors only, and its
    deprecation warnings (FutureWarning) stay quiet."""
    import warnings

    from transformers.utils import logging as hf_logging

    bars, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def check_model_ref(ref: str, what: str = "model") -> str:
    """Check a model reference (local folder or hub id) before transformers sees it.

    Returns ``ref`` unchanged. Raises ``FileNotFoundError`` when it names a local
    path (absolute, ``./``, ``../``, ``~`` or more than one ``/``) that does not
    exist or has no ``config.json``; a bare ``owner/name`` is left to the hub.
    """
    path = Path(ref).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"{what} folder {ref} has no config.json: not a transformers model")
        return ref
    looks_local = ref.startswith(("/", ".", "~")) or ref.count("/") > 1 or path.exists()
    if looks_local:
        raise FileNotFoundError(f"{what} {ref}: no such model folder")
    return ref



def pick_device(name: str = "auto") -> torch.device:
    """The torch device for ``name``; ``auto`` is ``cuda`` when a GPU is visible, else ``cpu``.

    Raises ``ValueError`` for a name torch does not know or a GPU that is not there.
    """
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"device {name}: {err}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name}: torch sees no GPU here")
    return device


@contextmanager
def loading(ref: str, what: str = "model") -> Iterator[None]:
    """Quietly load model ``ref`` inside the block (see ``quiet_loading``).

    Any failure is re-raised as a one-line ``OSError``: for a reference that is
    not a local folder it says the hub id is missing from the cache (typically
    offline); for a local folder it gives the cause (e.g. damaged weights).
    """
    with quiet_loading():
        try:
            yield
        except Exception as err:  # e.g. SafetensorError: damaged weights in a local folder
            if isinstance(err, OSError) and not Path(ref).expanduser().is_dir():
                raise OSError(f"could not load {what} {ref!r}: not a local folder, and not in the "
                              f"Hugging Face cache (this machine may be offline): {_first_line(err)}"
                              ) from err
            raise OSError(f"could not load {what} from {ref}: {_first_line(err)}") from err


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def linear_weights_to_bf16(model) -> None:
    """Store the weights and biases of ``model``'s linear layers in bfloat16, in place.

    For a model that only runs under ``torch.autocast(..., dtype=torch.bfloat16)``: autocast
    rounds a linear layer's fp32 weights to bf16 on every call, so casting them once gives the
    same results (bit for bit: the same rounding, the same kernels) without the per-call copy:
    reading 40 questions' passages on a 2-core CPU took 4.83 s instead of 5.11 s (base reader) and
    0.74 s instead of 0.78 s (fast reader), 2026-11-30, with identical answers. Layer norms and
    embeddings stay fp32, as autocast runs them. Running the model without autocast afterwards
    raises a dtype error.
    """
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)


def load_qa_model(ref: str, layers: int = 0, trainable: bool = False, require_head: bool = False):
    """Load an extractive QA model (``AutoModelForQuestionAnswering``) in fp32.

    Args:
        ref: a model folder or hub id. A folder holding ``adapter_config.json``
            is a LoRA reader: its base (an alias from ``qa.modeling.base_encoder``, a
            folder or a hub id, cut to the layer count of the folder's
            ``config.json``) is loaded and the adapter applied to it.
        layers: keep only the first N transformer layers (0 = all); for
            starting a reader from a plain encoder.
        trainable: for a LoRA reader, keep the adapter separate and trainable
            (continued training) instead of merging it into the weights.
        require_head: refuse a model without a trained span head (a plain
            encoder, whose head transformers would fill with random weights).

    Raises:
        OSError: a missing or damaged model, or with ``require_head`` one that is
            not an extractive QA model (see :func:`loading` for one-line messages).
    """
    import torch
    from transformers import AutoModelForQuestionAnswering

    folder = Path(ref).expanduser()
    if not (folder / ADAPTER_CONFIG).exists():
        extra = {"num_hidden_layers": layers} if layers else {}
        model, info = AutoModelForQuestionAnswering.from_pretrained(
            ref, dtype=torch.float32, output_loading_info=True, **extra)
        if require_head and any("qa_outputs" in k for k in info.get("missing_keys", [])):
            raise OSError(f"{ref} is not an extractive QA model: it has no trained span head; "
                          f"train one from it with 'qa train-reader TRAIN.json --base {ref} --out DIR'")
        return model
    from qa.modeling.base_encoder import resolve_base

    base_ref = json.loads((folder / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]
    base_dir = resolve_base(base_ref)
    merged = None if trainable else merged_cache_dir(folder, base_ref)
    if merged is not None and (merged / "config.json").exists():
        return AutoModelForQuestionAnswering.from_pretrained(merged, dtype=torch.float32)
    from peft import PeftModel

    config = json.loads((folder / "config.json").read_text()) if (folder / "config.json").exists() else {}
    extra = {"num_hidden_layers": config["num_hidden_layers"]} if "num_hidden_layers" in config else {}
    base = AutoModelForQuestionAnswering.from_pretrained(base_dir, dtype=torch.float32, **extra)
    model = PeftModel.from_pretrained(base, str(folder), is_trainable=trainable)
    model.peft_config["default"].base_model_name_or_path = base_ref
    if trainable:
        return model
    model = model.merge_and_unload()
    if merged is not None:
        _save_merged(model, merged)
    return model


MERGED_FORMAT = 1  # bump when what a merged copy holds changes


def merged_cache_dir(folder: Path, base_ref: str) -> Path | None:
    """Where the merged weights of the LoRA reader in ``folder`` are cached (under
    :func:`qa.modeling.base_encoder.cache_dir`), or None when its base is not one pinned by hash (an alias of
    :data:`qa.modeling.base_encoder.BASE_ALIASES`): a hub id or a folder may change under the same name.

    The name is a hash of the adapter folder's files, the base's pinned weights hash and the
    transformers and peft versions, so a changed adapter or upgrade is merged afresh. A later load
    reads the merged model directly, without importing peft or merging (about 2 s on 2 cores).
    """
    from importlib import metadata

    from qa.modeling.base_encoder import BASE_ALIASES, WEIGHTS_SHA256, cache_dir

    if base_ref not in BASE_ALIASES:
        return None
    digest = hashlib.sha256(f"{MERGED_FORMAT} {WEIGHTS_SHA256}".encode())
    for package in ("transformers", "peft"):
        try:
            digest.update(f" {package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            return None
    for f in sorted(folder.iterdir()):
        if f.is_file():
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return cache_dir() / f"merged-{folder.name}-{digest.hexdigest()[:16]}"


def written_aside(dest: Path, make: Callable[[Path], None], prefix: str) -> None:
    """Fill folder ``dest`` by ``make(tmp)`` in a fresh folder beside it (named ``prefix...``), renamed
    into place at the end, so no reader sees half of it; when another process put ``dest`` there
    first, its copy stays. The temporary folder is removed whatever happens.

    Raises:
        OSError: the folder cannot be written; anything ``make`` raises.
    """
    import shutil
    import tempfile

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))
    try:
        make(tmp)
        if not dest.exists():
            os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _save_merged(model, dest: Path) -> None:
    """Save a merged reader to ``dest`` (:func:`written_aside`); a cache that cannot be written is
    skipped."""
    try:
        written_aside(dest, lambda tmp: model.save_pretrained(tmp, safe_serialization=True), ".merging-")
    except OSError:
        pass


def embedding_dimension(model) -> int:
    """A ``SentenceTransformer``'s vector dimension (``get_embedding_dimension`` in
    sentence-transformers 6, ``get_sentence_embedding_dimension`` before)."""
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get_dim())
