"""TensorFlow's log lines kept out of notebooks, whoever imports TensorFlow first.

Two sources, two treatments:

* **C++ start-up lines.** TensorFlow 2.21 writes a oneDNN notice and an absl warning straight to
  file descriptor 2 while it loads, before its own log settings apply; a Jupyter kernel forwards
  them into the notebook. ``import helpers`` calls ``install()``: from then on the first
  ``import tensorflow`` — by ``h.set_seed``, by ``import keras``, by anything — runs with
  descriptor 2 pointed at the null device. Errors still surface as Python exceptions; after
  loading, ``TF_CPP_MIN_LOG_LEVEL=2`` (set by ``import helpers``) keeps C++ errors visible.
* **Python log records.** TensorFlow logs warnings such as "triggered tf.function retracing" to
  the Python logger ``tensorflow``. Whether they fire depends on the machine (a CPU with fast
  bfloat16 runs extra comparisons, so more functions are traced), so a notebook that printed them
  would differ from one CPU to the next. ``install()`` sends every record below ERROR to
  ``<build>/logs/tensorflow.log`` instead — kept, not lost — and lets errors through as before.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from helpers.config import build_dir

__all__ = ["LOGGER", "install", "log_file", "stderr_silenced"]

#: The Python logger TensorFlow writes its warnings to.
LOGGER = "tensorflow"


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device for a block (C++ writes included)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of the ``tensorflow`` package with stderr silenced."""

    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # leave no trace of the wrapper
        with stderr_silenced():
            self.loader.exec_module(module)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` like the other finders would, and wraps its loader in _QuietLoader."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def log_file() -> Path:
    """Where TensorFlow's Python warnings go instead of the notebook: ``<build>/logs/…``."""
    return build_dir() / "logs" / "tensorflow.log"


class ToLogFile(logging.Filter):
    """Writes records below ERROR to ``log_file()`` and stops them; lets errors through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        with contextlib.suppress(OSError):  # a read-only build folder must not break a lab
            path = log_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            stamp = datetime.fromtimestamp(record.created).isoformat(timespec="seconds")
            with path.open("a", encoding="utf-8") as log:
                log.write(f"{stamp} {record.levelname} {record.getMessage()}\n")
        return False


def install() -> None:
    """Keep TensorFlow's start-up lines and Python warnings out of notebooks (see the module).

    The log routing applies at once, whether or not TensorFlow is loaded yet.
    """
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, ToLogFile) for f in logger.filters):
        logger.addFilter(ToLogFile())
    if "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
