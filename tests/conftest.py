"""Shared fixtures: models are loaded once per test session; files are made in tmp dirs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# qa ask/chat run compiled copies of the models where they exist and start making them when not
# (qa.modeling.compiled); the suite runs the torch models unless a test asks otherwise
# (tests/test_compiled.py).
os.environ.setdefault("QA_ENGINE", "torch")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "seeds" / "maduro-us-talks-drug-trafficking.txt"


@pytest.fixture(scope="session")
def embedder():
    from qa.store.embedding import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def tokenizer(embedder):
    return embedder.model.tokenizer


@pytest.fixture(scope="session")
def reader():
    from qa.answer.reading import Reader

    return Reader()


@pytest.fixture(scope="session")
def seed_questions() -> list[dict]:
    with open(DATA / "seed_questions.jsonl") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def seed_dir(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    shutil.copy(SEED, d / SEED.name)
    return d


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder) -> Path:
    """An index over the seed article, built once."""
    from qa.pipeline import build_index

    base = tmp_path_factory.mktemp("seedindex")
    docs = base / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / SEED.name)
    build_index(base / "index", [docs], embedder=embedder)
    return base / "index"


def qa_over(tmp_path_factory, files: dict[str, str], embedder, reader):
    """A QA over an index of small text files (name -> text), built in a fresh temporary folder."""
    from qa.pipeline import QA, build_index

    base = tmp_path_factory.mktemp("docs")
    (base / "docs").mkdir()
    for name, text in files.items():
        (base / "docs" / name).write_text(text)
    build_index(base / "index", [base / "docs"], embedder=embedder)
    return QA(base / "index", reader, embedder)
