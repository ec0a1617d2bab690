"""Where the course keeps things, and the environment variables it reads (one place for both)."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder that holds ``helpers/``).
REPO = Path(__file__).resolve().parent.parent

#: Environment variable naming an offline mirror folder (artifacts plus ``SHA256SUMS``).
MIRROR_ENV = "CNN_LABS_MIRROR"

#: Environment variable overriding the download cache folder (default: ``<repo>/data``).
DATA_ENV = "CNN_LABS_DATA"

#: Environment variable overriding where labs keep what they make (default: ``<repo>/build``).
BUILD_ENV = "CNN_LABS_BUILD"

#: Environment variable naming the file a lab records its metrics in (set by ``make solutions``).
RESULTS_ENV = "CNN_LABS_RESULTS_FILE"

#: Environment variable forcing the compute policy of every lab (``float32``, ``mixed_bfloat16``…).
PRECISION_ENV = "CNN_LABS_PRECISION"


def data_dir() -> Path:
    """The download cache folder: ``$CNN_LABS_DATA`` if set, else ``<repo>/data``."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else REPO / "data"


def mirror_dir() -> Path | None:
    """The offline mirror folder from ``$CNN_LABS_MIRROR``, or None when the setting is empty."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def build_dir() -> Path:
    """Where the labs keep what they make (models, run records): $CNN_LABS_BUILD or <repo>/build.

    Test and smoke runs point it elsewhere, so they never overwrite a student's own runs.
    """
    value = os.environ.get(BUILD_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else REPO / "build"


def models_dir() -> Path:
    """The folder the labs save trained models in (``<build>/models``), created if needed."""
    path = build_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
