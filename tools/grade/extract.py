"""Taking the answers out of a submission, and noting what else the student changed."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tools.grade.course import cell_label, lines_of, owning_checkpoint, stub_spans
from tools.stubs import replace_stubs

#: An answer that prints a verdict itself or replaces a course helper (``h.check = ...``): the
#: checks still decide, but an instructor should look at it.
SUSPICIOUS = re.compile(
    r"✅|❌|PASS —|FAIL —|\b(h|helpers|checks)(\.\w+)+\s*=[^=]|setattr\(\s*(h|helpers|checks)\b"
)


@dataclass
class Extraction:
    """The answers found in a submission, and what the student changed that is not an answer."""

    answers: dict[int, list[str]] = field(default_factory=dict)
    edits: dict[int | None, list[str]] = field(default_factory=dict)  # checkpoint -> notes

    def note(self, checkpoint: int | None, text: str) -> None:
        self.edits.setdefault(checkpoint, []).append(text)


def normalised(source: str) -> list[str]:
    """A cell's lines without trailing spaces and trailing blank lines (editors add them)."""
    lines = [line.rstrip() for line in lines_of(source)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def given_share(given: list[str], candidate: list[str]) -> float:
    """The share of a cell's given lines (not blank) that a candidate cell still has, in order."""
    given = [line for line in given if line.strip()]
    if not given:
        return 0.0
    matcher = difflib.SequenceMatcher(None, given, candidate, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(given)


def match_cells(
    pristine: nbformat.NotebookNode, submission: nbformat.NotebookNode
) -> dict[int, int]:
    """Pristine cell index -> submission cell index.

    By cell id (Jupyter keeps them); else by the share of the cell's given lines the submitted cell
    has; else, for a cell with no given line (a bare stub), the one unmatched code cell between
    the submitted cells of its matched neighbours.
    """
    by_id = {cell.get("id"): i for i, cell in enumerate(submission.cells) if cell.get("id")}
    matched: dict[int, int] = {}
    for index, cell in enumerate(pristine.cells):
        other = by_id.get(cell.get("id"))
        if other is not None and submission.cells[other].cell_type == cell.cell_type:
            matched[index] = other
    used = set(matched.values())
    for index, cell in enumerate(pristine.cells):
        if index in matched or cell.cell_type != "code":
            continue
        lines = normalised(cell.source)
        inside = {n for _, start, end in stub_spans(lines) for n in range(start, end)}
        given = [line for n, line in enumerate(lines) if n not in inside]
        best, best_score = None, (0.6, 0.0)
        for other, candidate in enumerate(submission.cells):
            if other in used or candidate.cell_type != "code":
                continue
            text = normalised(candidate.source)
            score = (given_share(given, text), difflib.SequenceMatcher(None, lines, text).ratio())
            if score > best_score:
                best, best_score = other, score
        if best is not None:
            matched[index] = best
            used.add(best)
    for index, cell in enumerate(pristine.cells):
        if index in matched or cell.cell_type != "code":
            continue
        low = max((matched[i] for i in matched if i < index), default=-1)
        high = min((matched[i] for i in matched if i > index), default=len(submission.cells))
        between = [
            other
            for other in range(low + 1, high)
            if other not in used and submission.cells[other].cell_type == "code"
        ]
        if len(between) == 1:
            matched[index] = between[0]
            used.add(between[0])
    return matched


def anchors_of(
    pristine_lines: list[str], submitted_lines: list[str], inside: set[int], reverse: bool
) -> dict[int, int]:
    """Given line -> the submitted line it matches (outside the stubs).

    ``reverse`` matches from the end, so that a given line after a stub that the answer repeats
    (``return model``) is anchored to its last occurrence, not to the answer's.
    """
    a, b = pristine_lines, submitted_lines
    if reverse:
        a, b = a[::-1], b[::-1]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    anchors = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            n, m = block.a + k, block.b + k
            if reverse:
                n, m = len(a) - 1 - n, len(b) - 1 - m
            if n not in inside:
                anchors[n] = m
    return anchors


def answers_in_cell(
    pristine_lines: list[str], submitted_lines: list[str]
) -> tuple[dict[int, list[str]], bool]:
    """The answer to each stub of an exercise cell, and whether its given lines were edited.

    The given lines (outside the stubs) that the submission still has are anchors; the answer to
    a stub is everything the submission has between the anchors around it. Lines before the last
    stub are matched from the top, lines after it from the bottom.
    """
    spans = stub_spans(pristine_lines)
    inside = {n for _, start, end in spans for n in range(start, end)}
    last_end = spans[-1][2]
    forward = anchors_of(pristine_lines, submitted_lines, inside, reverse=False)
    backward = anchors_of(pristine_lines, submitted_lines, inside, reverse=True)
    anchors = {
        n: m
        for n in range(len(pristine_lines))
        if n not in inside and (m := (backward if n >= last_end else forward).get(n)) is not None
    }
    answers: dict[int, list[str]] = {}
    taken: set[int] = set(anchors.values())
    for exercise, start, end in spans:
        low = max((anchors[n] for n in anchors if n < start), default=-1) + 1
        high = min((anchors[n] for n in anchors if n >= end), default=len(submitted_lines))
        high = max(high, low)
        answers[exercise] = submitted_lines[low:high]
        taken.update(range(low, high))
    given = [n for n in range(len(pristine_lines)) if n not in inside]
    lost = any(n not in anchors and pristine_lines[n].strip() for n in given)
    added = any(n not in taken and submitted_lines[n].strip() for n in range(len(submitted_lines)))
    return answers, lost or added


def extract(pristine: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> Extraction:
    """The student's answers to the exercises of ``pristine``, and their other edits."""
    found = Extraction()
    matched = match_cells(pristine, submission)
    for index, cell in enumerate(pristine.cells):
        if cell.cell_type != "code":
            continue  # markdown: instructions and written answers, never run
        checkpoint = owning_checkpoint(pristine, index)
        label = cell_label(pristine, index)
        spans = stub_spans(lines_of(cell.source))
        if index not in matched:
            found.note(checkpoint, f"{label} was deleted (graded with the original)")
            continue
        submitted = submission.cells[matched[index]].source
        if spans:
            answers, edited = answers_in_cell(lines_of(cell.source), lines_of(submitted))
            found.answers.update(answers)
            for exercise, answer in answers.items():
                if SUSPICIOUS.search("\n".join(answer)):
                    found.note(
                        checkpoint,
                        f"the answer to Exercise {exercise} prints a verdict or replaces a helper "
                        "of the course: look at it",
                    )
            if edited:
                found.note(
                    checkpoint, f"the given code of {label} was edited (graded with the original)"
                )
        elif normalised(submitted) != normalised(cell.source):
            found.note(checkpoint, f"{label} was edited (graded with the original)")
    added = sum(
        1
        for i, cell in enumerate(submission.cells)
        if cell.cell_type == "code" and i not in matched.values() and cell.source.strip()
    )
    if added:
        found.note(None, f"{added} added code cell(s) not run (answers go in the exercise cells)")
    return found


def graded_notebook(
    pristine: nbformat.NotebookNode, answers: dict[int, list[str]]
) -> nbformat.NotebookNode:
    """The pristine notebook with each stub replaced by the student's answer (kept if none)."""

    def answer(exercise: int, lines: list[str], number: int) -> list[str] | None:
        return answers.get(exercise)

    return replace_stubs(pristine, answer)[0]


def read_submission(path: Path) -> nbformat.NotebookNode:
    """A submitted notebook; ValueError saying why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError("not a notebook: the file is not text (UTF-8)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not a notebook: the file is not JSON ({error.msg}, line {error.lineno})"
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("not a notebook: the JSON has no list of cells")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat's errors vary by version and problem
        raise ValueError(f"not a notebook: {' '.join(str(error).split())[:200]}") from None
