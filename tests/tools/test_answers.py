"""Tests of tools.answers: filling a student notebook's stubs from an answers file."""

from __future__ import annotations

import math

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.answers import AnswersError, fill_in_answers, parse_answers
from tools.stubs import STUB_FIRST_LINE, stub_lines

LAB = "tests/answers/00_demo.py"


def student_notebook() -> nbformat.NotebookNode:
    """A student notebook with a top-level stub, a function-body stub and a method-body stub."""
    cells = [
        new_markdown_cell("Exercise 1: set `radius` to 2."),
        new_code_cell("import math\n" + "\n".join(stub_lines(1, ""))),
        new_code_cell(
            "\n".join(
                [
                    "def area(r):",
                    '    """The area of a disc."""',
                    "    scale = 1.0",
                    *stub_lines(2, "    "),
                    "",
                    "",
                    "print(area(1.0))",
                    *stub_lines(3, ""),
                ]
            )
        ),
        new_code_cell(
            "\n".join(["class Box:", "    def volume(self, side):", *stub_lines(4, "        ")])
        ),
        new_code_cell("print(answer, Box().volume(3))"),
    ]
    return new_notebook(cells=cells)


ANSWERS = '''"""Demo answers, written from the student notebook only."""

# %% Exercise 1
radius = 2.0


# %% Exercise 2 (the body of area)
def area(
    r,
):
    # pi r squared
    squared = r**2
    return math.pi * squared * scale


# %% Exercise 3
answer = area(radius)

# %% Exercise 4
def volume(self, side):
  if side > 0:
    return side**3
  return 0
'''


def run(nb: nbformat.NotebookNode) -> dict:
    """Execute the code cells of a notebook in order; return the namespace."""
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), namespace)
    return namespace


def test_every_stub_is_replaced_and_the_notebook_runs():
    filled = fill_in_answers(student_notebook(), ANSWERS, LAB)
    assert not any(
        STUB_FIRST_LINE.fullmatch(line) for cell in filled.cells for line in cell.source.split("\n")
    )
    namespace = run(filled)
    assert namespace["answer"] == pytest.approx(4 * math.pi)
    assert namespace["Box"]().volume(3) == 27


def test_a_function_body_is_reindented_to_the_stub_comments_kept_header_dropped():
    filled = fill_in_answers(student_notebook(), ANSWERS, LAB)
    assert filled.cells[2].source.split("\n")[:9] == [
        "def area(r):",
        '    """The area of a disc."""',
        "    scale = 1.0",
        "    # pi r squared",
        "    squared = r**2",
        "    return math.pi * squared * scale",
        "",
        "",
        "print(area(1.0))",
    ]
    assert filled.cells[3].source.split("\n") == [
        "class Box:",
        "    def volume(self, side):",
        "        if side > 0:",
        "          return side**3",
        "        return 0",
    ]


def test_the_student_notebook_itself_is_left_alone():
    student = student_notebook()
    before = nbformat.writes(student)
    fill_in_answers(student, ANSWERS, LAB)
    assert nbformat.writes(student) == before


def test_a_missing_answer_names_the_lab_and_the_exercise():
    without_3 = ANSWERS.replace("# %% Exercise 3\nanswer = area(radius)\n", "")
    with pytest.raises(AnswersError, match=rf"{LAB}: no answer for Exercise 3 \(.*1, 2, 3, 4\)"):
        fill_in_answers(student_notebook(), without_3, LAB)


def test_an_answer_without_a_stub_names_the_lab_and_the_exercise():
    extra = ANSWERS + "\n# %% Exercise 5\nprint('more')\n\n# %% Exercise 7\nx = 1\n"
    with pytest.raises(AnswersError, match=rf"{LAB}: answers for Exercises 5, 7, which"):
        fill_in_answers(student_notebook(), extra, LAB)


def test_an_exercise_answered_twice_is_refused():
    twice = ANSWERS + "\n# %% Exercise 1\nradius = 3.0\n"
    with pytest.raises(AnswersError, match=r"Exercise 1 is answered twice \(lines 3 and 25\)"):
        parse_answers(twice, LAB)


def test_a_function_body_stub_needs_a_def_and_the_right_name():
    loose = ANSWERS.replace("# %% Exercise 4\ndef volume(self, side):", "# %% Exercise 4\nif True:")
    with pytest.raises(AnswersError, match=r"Exercise 4 \(line 19\): .* body of a function"):
        fill_in_answers(student_notebook(), loose, LAB)
    renamed = ANSWERS.replace("def volume(self, side):", "def cube(self, side):")
    with pytest.raises(AnswersError, match=r"body of `volume`, but the answer defines `cube`"):
        fill_in_answers(student_notebook(), renamed, LAB)


def test_a_one_line_function_is_refused():
    one_line = ANSWERS.replace("def area(\n    r,\n):", "def area(r): return 1\ndef unused():")
    with pytest.raises(AnswersError, match="Exercise 2"):
        fill_in_answers(student_notebook(), one_line, LAB)


def test_a_syntax_error_names_the_exercise_and_the_line_of_the_file():
    broken = ANSWERS.replace("answer = area(radius)", "answer = area(radius")
    with pytest.raises(AnswersError, match=rf"{LAB}, Exercise 3 \(line 17\): "):
        parse_answers(broken, LAB)


def test_empty_answers_misspelt_markers_and_stray_code_are_refused():
    with pytest.raises(AnswersError, match=r"Exercise 3 \(line 16\): the answer is empty"):
        parse_answers(ANSWERS.replace("answer = area(radius)", "# later"), LAB)
    with pytest.raises(AnswersError, match=r"line 16: '# %% exercise 3' is not an answer marker"):
        parse_answers(ANSWERS.replace("# %% Exercise 3", "# %% exercise 3"), LAB)
    with pytest.raises(AnswersError, match=r"line 2: code before the first"):
        parse_answers('"""Doc."""\nimport math\n' + ANSWERS.split('"""\n', 1)[1], LAB)
