"""Tests of tools.notebooks on small solution notebooks built here: generation, check, leaks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import notebooks
from tools.notebooks import (
    ANSWER_STUB,
    MarkerError,
    fill_in,
    find_leaks,
    make_student,
    solution_regions,
)
from tools.stubs import stub_lines

AREA_CELL = """import math

def area(r):
    ### BEGIN SOLUTION
    return math.pi * r ** 2
    ### END SOLUTION

print(area(1.0))
### BEGIN SOLUTION
answer = area(2.0) + 1
### END SOLUTION"""


def solution_notebook() -> nbformat.NotebookNode:
    """A solution notebook with every kind of cell and region the generator handles."""
    cells = [
        new_markdown_cell("# Lab 0\nScale the images, then build the model."),
        new_code_cell("EPOCHS = 3", metadata={"tags": ["parameters"], "scrolled": True}),
        new_code_cell("EPOCHS = 1", metadata={"tags": ["injected-parameters"]}),
        new_code_cell(
            "x_train = x_train / 255.0\n"
            "### BEGIN SOLUTION\n"
            "x_train = x_train / 255.0\n"
            "model = build_model(units=32)\n"
            "])\n"
            "### END SOLUTION",
            execution_count=4,
            outputs=[new_output("stream", name="stdout", text="built\n")],
            metadata={"collapsed": False, "tags": ["exercise"]},
        ),
        new_code_cell(AREA_CELL, execution_count=5),
        new_markdown_cell(
            "Why does pooling help?\n"
            "### BEGIN SOLUTION\n"
            "It halves the resolution.\n"
            "### END SOLUTION\n"
            "Keep it short."
        ),
        new_code_cell("print('instructor only')", metadata={"tags": ["solution-only"]}),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}, "custom": 1},
    )
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    return nb


def write_solutions(folder: Path, names: list[str]) -> Path:
    """A solutions folder holding the fixture notebook under each name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        nbformat.write(solution_notebook(), folder / f"{name}.ipynb")
    return folder


# --------------------------------------------------------------------------- generation


def test_a_whole_cell_region_becomes_stub_number_1():
    student = make_student(solution_notebook())
    assert student.cells[2].source == "x_train = x_train / 255.0\n" + "\n".join(stub_lines(1, ""))


def test_partial_indented_and_multiple_regions_keep_the_code_around_them():
    student = make_student(solution_notebook())
    assert student.cells[3].source.split("\n") == [
        "import math",
        "",
        "def area(r):",
        "    # Exercise 2: your code here.",
        "    raise NotImplementedError(",
        '        "Exercise 2 is not done yet: replace this line with your code "',
        '        "(see the instructions above), then run the checkpoint cell below."',
        "    )",
        "",
        "print(area(1.0))",
        "# Exercise 3: your code here.",
        "raise NotImplementedError(",
        '    "Exercise 3 is not done yet: replace this line with your code "',
        '    "(see the instructions above), then run the checkpoint cell below."',
        ")",
    ]


def test_a_stub_stops_the_notebook_with_a_message_naming_the_exercise():
    message = (
        "Exercise 7 is not done yet: replace this line with your code "
        "(see the instructions above), then run the checkpoint cell below."
    )
    with pytest.raises(NotImplementedError) as raised:
        exec("\n".join(stub_lines(7, "")))
    assert str(raised.value) == message


def test_markdown_answers_become_the_placeholder():
    student = make_student(solution_notebook())
    assert student.cells[4].source == f"Why does pooling help?\n{ANSWER_STUB}\nKeep it short."
    assert student.cells[0].source == "# Lab 0\nScale the images, then build the model."


def test_solution_only_and_injected_cells_are_dropped():
    student = make_student(solution_notebook())
    assert [cell.id for cell in student.cells] == ["cell-0", "cell-1", "cell-3", "cell-4", "cell-5"]


def test_outputs_counts_and_metadata_are_cleared_but_tags_and_ids_kept():
    student = make_student(solution_notebook())
    code = [cell for cell in student.cells if cell.cell_type == "code"]
    assert [cell.outputs for cell in code] == [[], [], []]
    assert [cell.execution_count for cell in code] == [None, None, None]
    assert [cell.metadata for cell in code] == [
        {"tags": ["parameters"]},
        {"tags": ["exercise"]},
        {},
    ]


def test_notebook_metadata_names_exactly_the_course_kernel():
    assert make_student(solution_notebook()).metadata == {
        "kernelspec": {
            "name": "cnn-labs",
            "display_name": "Python 3 (cnn-labs)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }


def test_solution_regions_report_cell_code_and_indentation():
    regions = solution_regions(solution_notebook())
    assert [(r.exercise, r.cell_index, r.indent, r.lines) for r in regions] == [
        (1, 3, "", ("x_train = x_train / 255.0", "model = build_model(units=32)", "])")),
        (2, 4, "    ", ("    return math.pi * r ** 2",)),
        (3, 4, "", ("answer = area(2.0) + 1",)),
    ]


@pytest.mark.parametrize(
    ("source", "where"),
    [
        (
            "x = 1\n### BEGIN SOLUTION\ny = 2",
            "cell 0, line 2: `### BEGIN SOLUTION` is never closed",
        ),
        ("x = 1\n  ### END SOLUTION", "cell 0, line 2: `### END SOLUTION` without"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
            "cell 0, line 2: `### BEGIN SOLUTION` inside an open region",
        ),
    ],
)
def test_unbalanced_markers_name_the_cell_and_line(source, where):
    with pytest.raises(MarkerError, match=where):
        make_student(new_notebook(cells=[new_code_cell(source)]))


def test_unbalanced_markers_in_a_file_name_the_notebook(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = new_notebook(cells=[new_markdown_cell("intro"), new_markdown_cell("### END SOLUTION")])
    nbformat.write(nb, solutions / "03_broken.ipynb")
    assert notebooks.main(["generate", "--solutions", str(solutions), "--out", str(tmp_path)]) == 1
    assert "03_broken.ipynb: cell 1, line 1" in capsys.readouterr().err


def test_generated_files_are_nbformat_serialisation_and_byte_stable(tmp_path):
    solutions = write_solutions(tmp_path / "solutions", ["01_a"])
    out = tmp_path / "notebooks"
    notebooks.generate(solutions, out)
    first = (out / "01_a.ipynb").read_bytes()
    notebooks.generate(solutions, out)
    assert (out / "01_a.ipynb").read_bytes() == first
    nbformat.write(make_student(solution_notebook()), tmp_path / "reference.ipynb")
    assert first == (tmp_path / "reference.ipynb").read_bytes()
    assert first.startswith(b'{\n "cells": [\n  {\n') and first.endswith(b"}\n")


def test_generate_removes_student_notebooks_without_a_solution(tmp_path, capsys):
    solutions = write_solutions(tmp_path / "solutions", ["01_a"])
    out = tmp_path / "notebooks"
    write_solutions(out, ["02_gone"])
    (out / "README.md").write_text("kept")
    assert notebooks.main(["generate", "--solutions", str(solutions), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb", "README.md"]
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and "02_gone.ipynb" in printed[1]


# --------------------------------------------------------------------------- check


def test_check_passes_right_after_generate(tmp_path, capsys):
    solutions = write_solutions(tmp_path / "solutions", ["01_a", "02_b"])
    args = ["--solutions", str(solutions), "--out", str(tmp_path / "notebooks")]
    notebooks.main(["generate", *args])
    assert notebooks.main(["check", *args]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("OK")


def test_check_lists_stale_missing_and_extra_notebooks(tmp_path, capsys):
    solutions = write_solutions(tmp_path / "solutions", ["01_a", "02_b", "03_c"])
    out = tmp_path / "notebooks"
    args = ["--solutions", str(solutions), "--out", str(out)]
    notebooks.main(["generate", *args])
    (out / "02_b.ipynb").unlink()
    changed = solution_notebook()
    changed.cells[0].source = "# Lab 0, revised"
    nbformat.write(changed, solutions / "01_a.ipynb")
    write_solutions(out, ["04_extra"])
    capsys.readouterr()
    assert notebooks.main(["check", *args]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split()[0] for line in err[:3]] == ["stale", "missing", "extra"]
    assert [Path(line.split()[1]).name for line in err[:3]] == [
        "01_a.ipynb",
        "02_b.ipynb",
        "04_extra.ipynb",
    ]
    assert "run `make notebooks`" in err[-1]


# --------------------------------------------------------------------------- fill_in and leaks


def test_fill_in_puts_the_solution_code_back_in_place_of_the_stubs():
    solution = solution_notebook()
    filled = fill_in(make_student(solution), solution)
    assert filled.cells[2].source == (
        "x_train = x_train / 255.0\nx_train = x_train / 255.0\nmodel = build_model(units=32)\n])"
    )
    assert filled.cells[3].source.split("\n") == [
        "import math",
        "",
        "def area(r):",
        "    return math.pi * r ** 2",
        "",
        "print(area(1.0))",
        "answer = area(2.0) + 1",
    ]


def test_fill_in_refuses_a_student_notebook_with_other_exercises():
    solution = solution_notebook()
    student = make_student(solution)
    student.cells[3].source = "print('stubs deleted')"
    with pytest.raises(ValueError, match=r"stubs for exercises \[1\] but the solution has 3"):
        fill_in(student, solution)


def test_a_generated_notebook_has_no_leaks():
    solution = solution_notebook()
    assert find_leaks(solution, make_student(solution)) == []


def test_a_planted_solution_line_is_a_leak_but_given_code_is_not():
    solution = solution_notebook()
    student = make_student(solution)
    student.cells[0].source += "\nHint: `model = build_model(units=32)`"
    student.cells[3].source += "\n    ])\nanswer = area(2.0) + 1"
    leaks = find_leaks(solution, student)
    assert [(leak.exercise, leak.line, leak.student_cell) for leak in leaks] == [
        (1, "model = build_model(units=32)", 0),
        (3, "answer = area(2.0) + 1", 3),
    ]


def test_leaks_command_names_notebook_exercise_and_line(tmp_path, capsys):
    solutions = write_solutions(tmp_path / "solutions", ["01_a"])
    out = tmp_path / "notebooks"
    args = ["--solutions", str(solutions), "--out", str(out)]
    notebooks.main(["generate", *args])
    assert notebooks.main(["leaks", *args]) == 0
    student = nbformat.read(out / "01_a.ipynb", as_version=4)
    student.cells[3].source = AREA_CELL
    nbformat.write(student, out / "01_a.ipynb")
    capsys.readouterr()
    assert notebooks.main(["leaks", *args]) == 1
    err = capsys.readouterr().err.splitlines()
    assert "01_a.ipynb: exercise 2 solution line in cell 3: return math.pi * r ** 2" in err[0]
    assert "exercise 3" in err[1] and "answer = area(2.0) + 1" in err[1]


def test_student_cells_drop_nbval_marker_lines_but_keep_the_code():
    nb = new_notebook(
        cells=[
            new_code_cell("# NBVAL_CHECK_OUTPUT\n# Checkpoint 1\nprint(1)  # NBVAL_CHECK_OUTPUT")
        ]
    )
    student = make_student(nb)
    assert student.cells[0].source == "# Checkpoint 1\nprint(1)  # NBVAL_CHECK_OUTPUT"
