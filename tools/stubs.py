"""The exercise stub: what stands in a student notebook where the solution code was.

``tools.notebooks`` writes a stub in place of each solution region; ``tools.answers``, the
grader (``tools.grade``) and the tests find stubs again and replace them. This module is the
format they share, and nothing else: a stub's lines, how to recognise one, how to replace them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import nbformat

#: The first line of a code stub, as written by ``stub_lines``.
STUB_FIRST_LINE = re.compile(r"(\s*)# Exercise (\d+): your code here\.")


def stub_lines(exercise: int, indent: str) -> list[str]:
    """The lines that replace the solution code of an exercise (each short enough for ruff)."""
    return [
        f"{indent}# Exercise {exercise}: your code here.",
        f"{indent}raise NotImplementedError(",
        f'{indent}    "Exercise {exercise} is not done yet: replace this line with your code "',
        f'{indent}    "(see the instructions above), then run the checkpoint cell below."',
        f"{indent})",
    ]


#: How many lines a stub has.
STUB_LENGTH = len(stub_lines(1, ""))


def stub_at(lines: list[str], number: int) -> int | None:
    """The exercise number of the stub that starts at this line, or None if none does."""
    match = STUB_FIRST_LINE.fullmatch(lines[number])
    if match and lines[number : number + STUB_LENGTH] == stub_lines(int(match[2]), match[1]):
        return int(match[2])
    return None


#: What replaces a stub: called with (exercise, the cell's lines, the stub's first line index);
#: returns the lines to put in its place, or None to leave the stub as it is.
StubReplacement = Callable[[int, list[str], int], "list[str] | None"]


def replace_stubs(
    student_nb: nbformat.NotebookNode, replacement: StubReplacement
) -> tuple[nbformat.NotebookNode, list[int]]:
    """A copy of a student notebook with its code stubs replaced, and the exercises found."""
    filled = copy.deepcopy(student_nb)
    found = []
    for cell in filled.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        for number in reversed(range(len(lines))):  # from the end, so replacing keeps indices
            exercise = stub_at(lines, number)
            if exercise is not None:
                found.append(exercise)
                new_lines = replacement(exercise, lines, number)
                if new_lines is not None:
                    lines[number : number + STUB_LENGTH] = new_lines
        cell.source = "\n".join(lines)
    return filled, sorted(found)
