"""Student notebooks: generated from the solution notebooks, checked for staleness and leaks.

A solution notebook marks the code students write between two marker lines::

    ### BEGIN SOLUTION
    model = keras.Sequential([...])
    ### END SOLUTION

In the student notebook each marked region of a code cell becomes a numbered stub that raises
``NotImplementedError``, and each marked region of a markdown cell (a written answer) becomes
``*Your answer here.*``. Everything else is copied, minus outputs and instructor-only cells.
Cell indices in messages count from 0, as the cells are stored in the ``.ipynb`` file.

The stub's format lives in ``tools.stubs`` (the grader and the answers files read it too), file
writing in ``tools.notebook_io``, the kernel's name in ``tools.kernel``. What this module owns
is the solution markers: ``kept_cells`` and ``cell_spans`` are public for ``tools.contracts``.

Usage::

    python -m tools.notebooks generate   # solutions/*.ipynb -> notebooks/*.ipynb
    python -m tools.notebooks check      # are notebooks/ up to date? (exit 1 if not)
    python -m tools.notebooks leaks      # does solution code survive in notebooks/? (exit 1 if so)
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.config import REPO
from tools.kernel import KERNELSPEC
from tools.notebook_io import serialise, shown, write_atomic
from tools.stubs import replace_stubs, stub_lines

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"

#: What replaces a written answer in a markdown cell.
ANSWER_STUB = "*Your answer here.*"

#: Cells with one of these tags never reach the student notebook.
DROPPED_TAGS = frozenset({"solution-only", "injected-parameters"})

#: The notebook metadata of every student notebook: the course's kernel, nothing else.
STUDENT_METADATA = {
    "kernelspec": KERNELSPEC,
    "language_info": {"name": "python"},
}

#: Solution lines shorter than this are too generic to count as a leak (``x = 1``, ``else:``).
MIN_LEAK_CHARS = 8

#: Lines made only of brackets and punctuation, or of one word (``]),``, ``else:``, ``pass``).
TRIVIAL_LINE = re.compile(r"[\W_]*|\w+:?")


class MarkerError(ValueError):
    """The solution markers of a notebook are unbalanced or nested."""


@dataclass(frozen=True)
class Region:
    """One exercise: a marked region of a code cell in a solution notebook."""

    exercise: int  # numbered from 1 in notebook order
    cell_index: int  # index of the cell in the solution notebook
    indent: str  # indentation of the BEGIN marker, given to the stub
    lines: tuple[str, ...]  # the solution code between the markers, as written


@dataclass(frozen=True)
class Leak:
    """A line of solution code found in a student notebook."""

    exercise: int
    line: str
    student_cell: int  # index of the student notebook cell that holds it


def marker_spans(lines: list[str], cell_index: int) -> list[tuple[int, int]]:
    """(BEGIN, END) line indices of each marked region of a cell; MarkerError if unbalanced."""
    spans: list[tuple[int, int]] = []
    begin = None
    for number, line in enumerate(lines):
        if line.strip() == BEGIN:
            if begin is not None:
                raise _marker_error(cell_index, number, f"`{BEGIN}` inside an open region")
            begin = number
        elif line.strip() == END:
            if begin is None:
                raise _marker_error(cell_index, number, f"`{END}` without a `{BEGIN}` before it")
            spans.append((begin, number))
            begin = None
    if begin is not None:
        raise _marker_error(cell_index, begin, f"`{BEGIN}` is never closed by `{END}`")
    return spans


def _marker_error(cell_index: int, line_index: int, problem: str) -> MarkerError:
    """A MarkerError that says where the problem is and how to fix it."""
    return MarkerError(
        f"cell {cell_index}, line {line_index + 1}: {problem}; "
        "every solution region needs one BEGIN line and one END line, not nested"
    )


def kept_cells(nb: nbformat.NotebookNode) -> Iterator[tuple[int, nbformat.NotebookNode]]:
    """(index, cell) of every cell that goes to the student notebook."""
    for index, cell in enumerate(nb.cells):
        if not DROPPED_TAGS & set(cell.metadata.get("tags", [])):
            yield index, cell


def solution_regions(nb: nbformat.NotebookNode) -> list[Region]:
    """The exercises of a solution notebook, in order."""
    regions: list[Region] = []
    for index, cell in kept_cells(nb):
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        for begin, end in marker_spans(lines, index):
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            regions.append(Region(len(regions) + 1, index, indent, tuple(lines[begin + 1 : end])))
    return regions


def replace_spans(lines: list[str], spans: list[tuple[int, int]], stubs: list[list[str]]) -> str:
    """The source with each span (markers included) replaced by its stub lines."""
    kept: list[str] = []
    start = 0
    for (begin, end), stub in zip(spans, stubs, strict=True):
        kept += lines[start:begin] + stub
        start = end + 1
    return "\n".join(kept + lines[start:])


def cell_spans(cell: nbformat.NotebookNode, index: int) -> list[tuple[int, int]]:
    """The marked regions of a code or markdown cell (raw cells are copied as they are)."""
    if cell.cell_type not in ("code", "markdown"):
        return []
    return marker_spans(cell.source.split("\n"), index)


#: Regression-test markers for nbval: meaningful in solutions, noise for students.
NBVAL_MARKER = re.compile(r"#\s*NBVAL_[A-Z_]+")


def without_nbval_markers(source: str) -> str:
    """Cell source without the lines that are only an nbval marker comment."""
    return "\n".join(
        line for line in source.split("\n") if not NBVAL_MARKER.fullmatch(line.strip())
    )


def student_cell(
    cell: nbformat.NotebookNode, index: int, regions: list[Region]
) -> nbformat.NotebookNode:
    """The student version of one kept cell; ``regions`` are this cell's exercises."""
    cell = copy.deepcopy(cell)
    spans = cell_spans(cell, index)
    if cell.cell_type == "code":
        stubs = [stub_lines(region.exercise, region.indent) for region in regions]
        cell.outputs = []
        cell.execution_count = None
    else:
        stubs = [[ANSWER_STUB] for _ in spans]
    cell.source = replace_spans(cell.source.split("\n"), spans, stubs)
    if cell.cell_type == "code":
        cell.source = without_nbval_markers(cell.source)
    tags = cell.metadata.get("tags")
    cell.metadata = nbformat.NotebookNode({"tags": tags} if tags else {})
    return cell


def make_student(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student notebook of a solution notebook (a pure function of it)."""
    regions = solution_regions(nb)
    cells = [
        student_cell(cell, index, [r for r in regions if r.cell_index == index])
        for index, cell in kept_cells(nb)
    ]
    return nbformat.from_dict(
        {
            "nbformat": nb.nbformat,
            "nbformat_minor": nb.nbformat_minor,
            "metadata": copy.deepcopy(STUDENT_METADATA),
            "cells": cells,
        }
    )


def fill_in(
    student_nb: nbformat.NotebookNode, solution_nb: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The student notebook with each exercise stub replaced by its solution code."""
    regions = solution_regions(solution_nb)

    def solution_code(exercise: int, lines: list[str], number: int) -> list[str] | None:
        return list(regions[exercise - 1].lines) if exercise <= len(regions) else None

    filled, found = replace_stubs(student_nb, solution_code)
    if found != list(range(1, len(regions) + 1)):
        raise ValueError(
            f"the student notebook has stubs for exercises {sorted(found)} but the solution has "
            f"{len(regions)} exercises; regenerate the student notebooks with `make notebooks`"
        )
    return filled


def is_telling(line: str) -> bool:
    """True when a stripped solution line is specific enough that finding it is a leak."""
    too_generic = len(line) < MIN_LEAK_CHARS or TRIVIAL_LINE.fullmatch(line)
    return not too_generic and not line.startswith("#")


def given_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Stripped lines of a solution notebook that students are given (outside any region)."""
    given = []
    for index, cell in kept_cells(nb):
        lines = cell.source.split("\n")
        inside = {n for begin, end in cell_spans(cell, index) for n in range(begin, end + 1)}
        given += [line.strip() for n, line in enumerate(lines) if n not in inside]
    return given


def find_leaks(solution_nb: nbformat.NotebookNode, student_nb: nbformat.NotebookNode) -> list[Leak]:
    """Solution code lines (not also given code) that occur in a student notebook."""
    given = given_lines(solution_nb)
    student = [
        (index, line.strip())
        for index, cell in enumerate(student_nb.cells)
        for line in cell.source.split("\n")
    ]
    leaks = []
    for region in solution_regions(solution_nb):
        for line in dict.fromkeys(line.strip() for line in region.lines):
            if not is_telling(line) or any(line in g for g in given):
                continue
            where = next((index for index, s in student if line in s), None)
            if where is not None:
                leaks.append(Leak(region.exercise, line, where))
    return leaks


def solution_files(solutions: Path) -> list[Path]:
    """The solution notebooks in a folder, sorted; SystemExit if the folder does not exist."""
    if not solutions.is_dir():
        sys.exit(
            f"error: there is no folder {shown(solutions)}; name the right one with --solutions"
        )
    return sorted(solutions.glob("*.ipynb"))


def render_students(solutions: Path) -> dict[str, str]:
    """File name -> serialised student notebook, for every solution notebook in a folder."""
    rendered = {}
    for path in solution_files(solutions):
        try:
            rendered[path.name] = serialise(make_student(nbformat.read(path, as_version=4)))
        except MarkerError as error:
            raise MarkerError(f"{shown(path)}: {error}") from None
    return rendered


def generate(solutions: Path, out: Path) -> list[str]:
    """Write the student notebooks, remove those without a solution; return one line per file."""
    rendered = render_students(solutions)
    report = []
    for name, text in rendered.items():
        target = out / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            report.append(f"up to date  {shown(target)}")
        else:
            write_atomic(target, text)
            report.append(f"wrote       {shown(target)}")
    for orphan in sorted(out.glob("*.ipynb")):
        if orphan.name not in rendered:
            orphan.unlink()
            report.append(f"removed     {shown(orphan)} (no {shown(solutions / orphan.name)})")
    return report


def stale_notebooks(solutions: Path, out: Path) -> list[str]:
    """What differs between the student notebooks on disk and freshly generated ones."""
    rendered = render_students(solutions)
    problems = []
    for name, text in rendered.items():
        target = out / name
        if not target.exists():
            problems.append(f"missing  {shown(target)}")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"stale    {shown(target)}")
    for extra in sorted(out.glob("*.ipynb")):
        if extra.name not in rendered:
            problems.append(f"extra    {shown(extra)} (no {shown(solutions / extra.name)})")
    return problems


def leaks_in(solutions: Path, out: Path) -> list[str]:
    """One line per leaked solution line, over every solution that has a student notebook."""
    report = []
    for path in solution_files(solutions):
        student_path = out / path.name
        if not student_path.exists():
            continue
        solution = nbformat.read(path, as_version=4)
        for leak in find_leaks(solution, nbformat.read(student_path, as_version=4)):
            report.append(
                f"{shown(student_path)}: exercise {leak.exercise} solution line in cell "
                f"{leak.student_cell}: {leak.line}"
            )
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: a command plus the two folders."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.notebooks",
        description="Generate the student notebooks from the solution notebooks, and check them.",
    )
    parser.add_argument(
        "command",
        choices=["generate", "check", "leaks"],
        help="generate: write notebooks/ from solutions/; check: exit 1 if notebooks/ is not "
        "what generate would write; leaks: exit 1 if solution code survives in notebooks/",
    )
    parser.add_argument(
        "--solutions", type=Path, default=REPO / "solutions", help="default: %(default)s"
    )
    parser.add_argument("--out", type=Path, default=REPO / "notebooks", help="default: %(default)s")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = parse_args(argv)
    try:
        if args.command == "generate":
            print("\n".join(generate(args.solutions, args.out)) or "no solution notebooks")
            return 0
        if args.command == "check":
            problems = stale_notebooks(args.solutions, args.out)
            ok_message = f"OK: {shown(args.out)} is up to date with {shown(args.solutions)}"
            advice = "The student notebooks are out of date: run `make notebooks`."
        else:
            problems = leaks_in(args.solutions, args.out)
            ok_message = f"OK: no solution code in {shown(args.out)}"
            advice = (
                "Solution code leaked into the student notebooks: run `make notebooks` to "
                "regenerate them (never edit notebooks/ by hand)."
            )
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if problems:
        print("\n".join(problems + [advice]), file=sys.stderr)
        return 1
    print(ok_message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
