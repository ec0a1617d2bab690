"""Shared test settings: quiet TensorFlow, headless matplotlib, and the course's real data.

Tests that need real course files find them as the course does, through ``helpers.data`` with the
settings this run started with: the mirror (``$CNN_LABS_MIRROR``, else ``../shared/data`` beside
the repository, as ``make`` and CI set it) and the cache (``$CNN_LABS_DATA``, else ``data/``). No
test names a machine path (``tests/test_portability.py`` holds them to it).
"""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

from helpers.config import DATA_ENV, MIRROR_ENV, REPO  # noqa: E402

#: The offline mirror beside the repository (CI and `make` point CNN_LABS_MIRROR at it).
SHARED_MIRROR = REPO.parent / "shared" / "data"
if not os.environ.get(MIRROR_ENV) and SHARED_MIRROR.is_dir():
    os.environ[MIRROR_ENV] = str(SHARED_MIRROR)

#: The data settings of this run, before any test isolates itself from them.
COURSE_SETTINGS = {env: os.environ.get(env, "") for env in (MIRROR_ENV, DATA_ENV)}


def find_course_data(name: str) -> Path | None:
    """Where the course would take artifact ``name`` from without downloading, or None.

    The mirror's copy or the verified cached file (for a derived artifact, its cached folder),
    decided by ``helpers.data`` with this run's settings. Nothing is copied or downloaded.
    """
    from helpers.data.fetch import locate
    from helpers.data.registry import get_artifact

    with pytest.MonkeyPatch.context() as patch:
        for env, value in COURSE_SETTINGS.items():
            patch.setenv(env, value)
        return locate(get_artifact(name)).path


@pytest.fixture(scope="session")
def course_data():
    """``course_data(name)``: the path of a real course artifact; skips when there is none."""

    def find(name: str) -> Path:
        path = find_course_data(name)
        if path is None:
            pytest.skip(
                f"{name} is in neither the data mirror nor the cache: set {MIRROR_ENV} to the "
                f"course mirror or run `python -m helpers.data fetch {name}`"
            )
        return path

    return find


@pytest.fixture
def real_mirror() -> Path:
    """The mirror this run started with, when it holds the course artifacts; else skips."""
    mirror = COURSE_SETTINGS[MIRROR_ENV]
    if not mirror or not (Path(mirror) / "SHA256SUMS").is_file():
        pytest.skip(f"no data mirror: set {MIRROR_ENV} to a folder with the course artifacts")
    return Path(mirror)


@pytest.fixture
def course_kernel(tmp_path, monkeypatch):
    """The "cnn-labs" kernel for this interpreter, registered in a private Jupyter path."""
    from tools import kernel

    kernel.install(prefix=str(tmp_path / "prefix"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix" / "share" / "jupyter"))
