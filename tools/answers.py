"""Answers files: a student's code for every exercise of a lab, filled into its student notebook.

An answers file (``tests/answers/<lab>.py``) is a Python file with one section per exercise, each
opened by a marker line ``# %% Exercise N``::

    \"\"\"Lab 0, answered from the student notebook only.\"\"\"

    # %% Exercise 1
    x_train = x_train / 255.0

    # %% Exercise 2
    def area(r):
        return math.pi * r**2

* An exercise whose stub stands at the left margin of its cell is answered by its section, as
  written (blank lines around it dropped).
* An exercise whose stub is the **body of a function** (indented under a ``def`` the notebook
  gives) is answered by a section holding that whole function, ``def`` line included, so that
  the file stays valid Python on its own: the filler keeps only the body (everything below the
  ``def`` line, comments included) and re-indents it to the stub's indentation. The ``def`` must
  name the function the stub sits in; its parameters are for the reader only.
* Only a docstring (and comments) may come before the first marker.

Names the notebook defines in its given cells (``keras``, ``h``, ``data``, …) are not defined in
the file itself: ruff's undefined-name check is switched off for answers files (pyproject.toml).
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass

import nbformat

from tools.stubs import STUB_FIRST_LINE, replace_stubs

#: A line that opens an answer: ``# %% Exercise 3`` (anything after the number is a comment).
ANSWER_MARKER = re.compile(r"# %% Exercise (\d+)\b.*")

#: Any cell-marker line, to catch misspelt answer markers.
ANY_MARKER = re.compile(r"\s*# ?%%.*")

#: The ``def`` line of the function a stub may sit in.
DEF_LINE = re.compile(r"(?:async\s+)?def\s+(\w+)")


class AnswersError(ValueError):
    """An answers file does not fit its student notebook; the message names lab and exercise."""


@dataclass(frozen=True)
class Answer:
    """The code of one exercise in an answers file."""

    exercise: int
    line: int  # line number (from 1) of the section's marker in the answers file
    lines: tuple[str, ...]  # the section below the marker, without blank lines around it
    start: int  # line number of lines[0] in the answers file


def parse_answers(text: str, lab: str = "the answers file") -> dict[int, Answer]:
    """The answers of an answers file by exercise; AnswersError if a section is malformed."""
    sections: dict[int, tuple[int, list[str]]] = {}
    preamble: list[str] = []
    current = preamble
    for number, line in enumerate(text.split("\n"), start=1):
        if not ANY_MARKER.fullmatch(line):
            current.append(line)
            continue
        match = ANSWER_MARKER.fullmatch(line)
        if not match:
            raise AnswersError(
                f"{lab}, line {number}: {line.strip()!r} is not an answer marker; "
                "write `# %% Exercise N` at the start of the line"
            )
        exercise = int(match[1])
        if exercise in sections:
            raise AnswersError(
                f"{lab}: Exercise {exercise} is answered twice (lines {sections[exercise][0]} "
                f"and {number}); keep one"
            )
        current = []
        sections[exercise] = (number, current)
    _check_preamble("\n".join(preamble), lab)
    answers = {}
    for exercise, (line, lines) in sections.items():
        start, end = 0, len(lines)  # without the blank lines around the code
        while start < end and not lines[start].strip():
            start += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        answers[exercise] = Answer(exercise, line, tuple(lines[start:end]), line + 1 + start)
        _check_parses(answers[exercise], lab)
    return answers


def _check_preamble(source: str, lab: str) -> None:
    """Before the first marker only a docstring: code there would silently answer nothing."""
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        raise AnswersError(f"{lab}, line {error.lineno}: {error.msg}") from None
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]  # the docstring
    if body:
        raise AnswersError(
            f"{lab}, line {body[0].lineno}: code before the first `# %% Exercise N` marker "
            "belongs to no exercise; move it into an exercise's section"
        )


def _check_parses(answer: Answer, lab: str) -> None:
    """An answer is Python with at least one statement."""
    try:
        body = ast.parse("\n".join(answer.lines)).body
    except SyntaxError as error:
        line = answer.start + (error.lineno or 1) - 1
        raise AnswersError(
            f"{lab}, Exercise {answer.exercise} (line {line}): {error.msg}"
        ) from None
    if not body:
        raise AnswersError(
            f"{lab}, Exercise {answer.exercise} (line {answer.line}): the answer is empty"
        )


def function_body(answer: Answer, lab: str) -> tuple[str, list[str]]:
    """(name, body lines as written) of the one function an answer section defines."""
    source = "\n".join(answer.lines)
    body = ast.parse(source).body
    where = f"{lab}, Exercise {answer.exercise} (line {answer.line})"
    if len(body) != 1 or not isinstance(body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        raise AnswersError(
            f"{where}: the stub of this exercise is the body of a function, so its answer must "
            "be that function — one `def`, whose body replaces the stub — and nothing else"
        )
    function = body[0]
    if function.decorator_list:
        raise AnswersError(f"{where}: the function of an answer takes no decorator")
    header_end = next(  # the line where the `def` statement's header ends (its first NEWLINE)
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NEWLINE and token.start[0] >= function.lineno
    )
    if function.body[0].lineno <= header_end:
        raise AnswersError(f"{where}: write the body of `{function.name}` below its `def` line")
    return function.name, list(answer.lines[header_end:])


def enclosing_function(lines: list[str], number: int) -> str | None:
    """The name of the function whose body holds line ``number`` of a cell, if a function does."""
    indent = len(lines[number]) - len(lines[number].lstrip())
    for line in reversed(lines[:number]):
        stripped = line.lstrip()
        if stripped and len(line) - len(stripped) < indent:
            match = DEF_LINE.match(stripped)
            return match[1] if match else None
    return None


def answer_lines(answer: Answer, lines: list[str], number: int, lab: str) -> list[str]:
    """The lines that replace the stub starting at line ``number`` of a cell's ``lines``."""
    indent = STUB_FIRST_LINE.fullmatch(lines[number])[1]
    if not indent:
        return list(answer.lines)
    name, body = function_body(answer, lab)
    expected = enclosing_function(lines, number)
    if expected is not None and name != expected:
        raise AnswersError(
            f"{lab}, Exercise {answer.exercise} (line {answer.line}): the stub is the body of "
            f"`{expected}`, but the answer defines `{name}`; answer with `def {expected}(...)`"
        )
    dedented = textwrap.dedent("\n".join(body)).split("\n")
    return [indent + line if line.strip() else "" for line in dedented]


def _exercise_list(numbers: list[int]) -> str:
    """``Exercise 3`` or ``Exercises 3, 5``."""
    return ("Exercise " if len(numbers) == 1 else "Exercises ") + ", ".join(map(str, numbers))


def fill_in_answers(
    student_nb: nbformat.NotebookNode, answers_text: str, lab: str = "the answers file"
) -> nbformat.NotebookNode:
    """The student notebook with every exercise stub replaced by its answer from an answers file.

    ``lab`` names the answers in messages (e.g. ``"tests/answers/01_mnist_convnet.py"``).
    AnswersError when an exercise has no answer, an answer has no exercise, or an answer does not
    fit its stub.
    """
    answers = parse_answers(answers_text, lab)

    def answer_for(exercise: int, lines: list[str], number: int) -> list[str] | None:
        answer = answers.get(exercise)
        return None if answer is None else answer_lines(answer, lines, number, lab)

    filled, stubs = replace_stubs(student_nb, answer_for)
    missing = sorted(set(stubs) - set(answers))
    extra = sorted(set(answers) - set(stubs))
    has = f"the student notebook has stubs for exercises {', '.join(map(str, stubs)) or 'none'}"
    if missing:
        raise AnswersError(
            f"{lab}: no answer for {_exercise_list(missing)} ({has}); add a "
            f"`# %% Exercise {missing[0]}` section"
        )
    if extra:
        raise AnswersError(
            f"{lab}: answers for {_exercise_list(extra)}, which the student notebook does not "
            f"have ({has}); remove them, or regenerate the notebooks with `make notebooks`"
        )
    return filled
