"""Shared test settings: quiet TensorFlow, headless matplotlib, and the offline data mirror."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

#: The offline mirror beside the repository (CI and `make` point CNN_LABS_MIRROR at it).
SHARED_MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not os.environ.get("CNN_LABS_MIRROR") and SHARED_MIRROR.is_dir():
    os.environ["CNN_LABS_MIRROR"] = str(SHARED_MIRROR)


@pytest.fixture
def real_mirror() -> Path:
    """The configured mirror of real course artifacts; skips the test when there is none."""
    mirror = os.environ.get("CNN_LABS_MIRROR", "")
    if not mirror or not (Path(mirror) / "SHA256SUMS").is_file():
        pytest.skip("no data mirror: set CNN_LABS_MIRROR to a folder with the course artifacts")
    return Path(mirror)


@pytest.fixture
def course_kernel(tmp_path, monkeypatch):
    """The "cnn-labs" kernel for this interpreter, registered in a private Jupyter path."""
    from tools import kernel

    kernel.install(prefix=str(tmp_path / "prefix"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix" / "share" / "jupyter"))
