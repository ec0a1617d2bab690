"""Notebook files as the tools write them: one serialisation, atomic writes, paths as shown.

Every tool that writes a notebook or a results file (``tools.notebooks``, ``tools.run_solutions``,
``tools.spread``, ``tools.grade``) goes through here, so a file is always written the same way
(``nbformat``'s layout, a trailing newline) and never left half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat


def serialise(nb: nbformat.NotebookNode) -> str:
    """The notebook as nbformat.write writes it (sorted keys, indent 1, trailing newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see either the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def shown(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
