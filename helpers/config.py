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


def models_dir() -> Path:
    """The folder where labs save models and training histories: ``<repo>/build/models``."""
    folder = REPO / "build" / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
