"""TensorFlow's log lines kept out of notebooks, whoever imports TensorFlow first.

Two sources, two treatments:

* **C++ start-up lines.** TensorFlow 2.21 writes a oneDNN notice and an absl warning straight to
  file descriptor 2 while it loads, before its own log settings apply; a Jupyter kernel forwards
  them into the notebook. ``import helpers`` calls ``install()``: from then on the first
  ``import tensorflow`` — by ``h.set_seed``, by ``import keras``, by anything — runs with
  descriptor 2 passed through a filter that drops those notices and lets every other line
  through, a fatal error included, even when TensorFlow aborts the process. After loading,
  ``TF_CPP_MIN_LOG_LEVEL=2`` (set by ``import helpers``) keeps C++ errors visible.
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
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from helpers.config import build_dir

__all__ = ["LOGGER", "START_UP_NOISE", "install", "log_file", "stderr_filtered"]

#: The Python logger TensorFlow writes its warnings to.
LOGGER = "tensorflow"


#: What TensorFlow writes to descriptor 2 while it loads that no learner needs: absl/glog info
#: and warning lines (``I0000 00:00:…``, ``W0000 …``), absl's notice about them, and the notice
#: that the binary could use more CPU instructions. Anything else — a fatal error above all —
#: gets through.
START_UP_NOISE = re.compile(
    r"^[IW]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|^To enable the following instructions"
)

#: The filter process: copies its input to its output, less the start-up noise.
_FILTER = (
    "import re, sys\n"
    "noise = re.compile(sys.argv[1])\n"
    "for line in sys.stdin.buffer:\n"
    "    if not noise.search(line.decode('utf-8', 'replace')):\n"
    "        sys.stdout.buffer.write(line)\n"
    "        sys.stdout.buffer.flush()\n"
)


@contextlib.contextmanager
def stderr_filtered() -> Iterator[None]:
    """Pass file descriptor 2 (C++ writes included) through a filter process for a block.

    TensorFlow's start-up noise (``START_UP_NOISE``) is dropped; every other line reaches the
    real stderr. The filter is a separate process so that a message written just before the
    process dies (TensorFlow aborts on a CPU without the instructions it was built for) is
    still passed on: the filter reads to the end of the pipe and exits.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    try:
        command = [sys.executable, "-I", "-S", "-c", _FILTER, START_UP_NOISE.pattern]
        child = subprocess.Popen(command, stdin=read_end, stdout=saved, stderr=saved)
    except OSError:  # no interpreter to start (an embedded Python): leave stderr as it is
        for fd in (read_end, write_end, saved):
            os.close(fd)
        yield
        return
    os.close(read_end)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end here: the filter sees its end
        os.close(saved)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=30)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of the ``tensorflow`` package with stderr filtered."""

    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # leave no trace of the wrapper
        with stderr_filtered():
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
