"""Where the course keeps things: repo paths and data settings from the environment."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder that holds ``helpers/``).
REPO = Path(__file__).resolve().parent.parent

#: Environment variable naming an offline mirror folder (artifacts plus ``SHA256SUMS``).
MIRROR_ENV = "CNN_LABS_MIRROR"

#: Environment variable overriding the download cache folder (default: ``<repo>/data``).
DATA_ENV = "CNN_LABS_DATA"


def data_dir() -> Path:
    """The download cache folder: ``$CNN_LABS_DATA`` if set, else ``<repo>/data``."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else REPO / "data"


def mirror_dir() -> Path | None:
    """The offline mirror folder from ``$CNN_LABS_MIRROR``, or None when the setting is empty."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None
