"""TensorFlow's C++ start-up lines kept out of notebooks, whoever imports TensorFlow first.

TensorFlow 2.21 writes a oneDNN notice and an absl warning straight to file descriptor 2 while
it loads, before its own log settings apply; a Jupyter kernel forwards them into the notebook.
``import helpers`` calls ``install()``: from then on the first ``import tensorflow`` — by
``h.set_seed``, by ``import keras`` in the next line of a notebook, by anything — runs with
descriptor 2 pointed at the null device. Errors still surface as Python exceptions; once
TensorFlow is loaded, nothing else is touched.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import sys
from collections.abc import Iterator

__all__ = ["install", "stderr_silenced"]


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


def install() -> None:
    """Make the first import of TensorFlow in this process quiet (no-op once it is imported)."""
    if "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
