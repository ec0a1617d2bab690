"""The course's notebooks: checkpoints, exercise stubs, how a message names a cell, the labs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.config import REPO
from tools.grade import GradingError
from tools.stubs import STUB_LENGTH, stub_at

CHECKPOINT_LINE = re.compile(r"#\s*Checkpoint\s+(\d+)\b")


def lines_of(source: str) -> list[str]:
    return source.split("\n")


def stub_spans(lines: list[str]) -> list[tuple[int, int, int]]:
    """(exercise, first line, end line) of every stub in a cell's lines."""
    spans = []
    for number in range(len(lines)):
        exercise = stub_at(lines, number)
        if exercise is not None:
            spans.append((exercise, number, number + STUB_LENGTH))
    return spans


def checkpoint_of(cell: nbformat.NotebookNode) -> int | None:
    """N when a code cell starts with ``# Checkpoint N`` (``continued`` cells included)."""
    if cell.cell_type != "code":
        return None
    match = CHECKPOINT_LINE.match(cell.source.lstrip())
    return int(match[1]) if match else None


def checkpoint_numbers(nb: nbformat.NotebookNode) -> list[int]:
    """The checkpoints of a notebook, in order, each once."""
    return list(dict.fromkeys(n for cell in nb.cells if (n := checkpoint_of(cell)) is not None))


def cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    """How a message names a cell: ``cell 12 (Exercise 2)``, ``(Checkpoint 2)`` or ``(given)``."""
    cell = nb.cells[index]
    exercises = (
        [e for e, _, _ in stub_spans(lines_of(cell.source))] if cell.cell_type == "code" else []
    )
    if exercises:
        what = "Exercise " + ", ".join(map(str, exercises))
    elif (number := checkpoint_of(cell)) is not None:
        what = f"Checkpoint {number}"
    else:
        what = "given code"
    return f"cell {index} ({what})"


def owning_checkpoint(nb: nbformat.NotebookNode, index: int) -> int | None:
    """The checkpoint a cell counts towards: its own, else the first one after it."""
    for cell in nb.cells[index:]:
        if (number := checkpoint_of(cell)) is not None:
            return number
    return None


@dataclass
class Lab:
    stem: str
    pristine: nbformat.NotebookNode
    parameters: dict

    @property
    def checkpoints(self) -> list[int]:
        return checkpoint_numbers(self.pristine)


def course_labs(names: list[str] | None, settings: str) -> list[Lab]:
    """The labs graded: the course's student notebooks (all, or those named)."""
    available = {p.stem: p for p in sorted((REPO / "notebooks").glob("*.ipynb"))}
    chosen = [Path(name).stem for name in names] if names else list(available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise GradingError(f"no lab {', '.join(unknown)}; the labs are: {', '.join(available)}")
    smoke = json.loads((REPO / "tools" / "smoke_parameters.json").read_text())
    return [
        Lab(
            stem,
            nbformat.read(available[stem], as_version=4),
            smoke.get(stem, {}) if settings == "smoke" else {},
        )
        for stem in chosen
    ]
