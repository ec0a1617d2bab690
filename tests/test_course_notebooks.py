"""The course's own notebooks: every lab is runnable by papermill and its student copy is clean."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from helpers.config import REPO
from tools.checked_outputs import log_lines

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
STUDENT = REPO / "notebooks"
SMOKE = json.loads((REPO / "tools" / "smoke_parameters.json").read_text())


def read(path: Path):
    return nbformat.read(path, as_version=4)


def test_there_is_at_least_one_lab():
    assert SOLUTIONS, "solutions/ holds no notebook"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_solution_has_one_parameters_cell_that_smoke_parameters_fit(solution):
    nb = read(solution)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{solution.name} needs exactly one cell tagged `parameters`"
    assert solution.stem in SMOKE, f"add smoke parameters for {solution.stem}"
    defined = {line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line}
    unknown = set(SMOKE[solution.stem]) - defined
    assert not unknown, f"smoke parameters {unknown} are not in {solution.name}'s parameters cell"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_stored_solution_ran_completely_without_errors(solution):
    nb = read(solution)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count for c in code), f"{solution.name} was not run to the end"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{solution.name} holds an error output: run `make solutions`"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_student_notebooks_are_output_free_and_use_the_course_kernel(solution):
    student = read(STUDENT / solution.name)
    assert student.metadata.kernelspec.name == "cnn-labs"
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


#: What progress bars and terminal colours leave in a notebook's text.
CONTROL = re.compile(r"\x1b\[|[\b\r]")


def control_character_outputs(nb) -> list[str]:
    """Outputs whose plain text holds terminal control characters, and where they are.

    Printed text (streams) and cell values (execute_result) must be plain. A rich display may
    colour its plain-text fallback (Keras' ``model.summary()`` does) only if it also has an
    HTML rendering, which is what JupyterLab shows.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            kind, data = output.output_type, output.get("data", {})
            text = output.get("text", "") if kind == "stream" else data.get("text/plain", "")
            if kind == "display_data" and "text/html" in data:
                continue
            if CONTROL.search(text):
                found.append(f"cell {index}, {kind}: {text[:60]!r}")
    return found


def test_the_control_character_check_sees_streams_values_and_bare_displays():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x")]
    new = nbformat.v4.new_output
    nb.cells[0].outputs = [
        new("stream", name="stdout", text="epoch 1/3 · loss 0.5\n"),
        new("stream", name="stderr", text="12/63 [====>.....] - ETA: 3s\b\b\b\r"),
        new("execute_result", data={"text/plain": "\x1b[1mModel\x1b[0m"}, execution_count=1),
        new("display_data", data={"text/plain": "\x1b[1mTotal params\x1b[0m"}),
        new("display_data", data={"text/plain": "\x1b[1mSummary\x1b[0m", "text/html": "<b>S</b>"}),
    ]
    found = control_character_outputs(nb)
    assert [line.split(":")[0] for line in found] == [
        "cell 0, stream",
        "cell 0, execute_result",
        "cell 0, display_data",
    ]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_training_never_prints_progress_bars_into_a_notebook(solution):
    found = control_character_outputs(read(solution))
    assert not found, f"{solution.name} has control characters in its outputs: {found}"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_exercise_headings_match_the_numbers_of_the_student_stubs(solution):
    student = read(STUDENT / solution.name)
    headings = [
        int(number)
        for cell in student.cells
        if cell.cell_type == "markdown"
        for number in re.findall(r"^#+ Exercise (\d+)\b", cell.source, flags=re.MULTILINE)
    ]
    stubs = [
        int(number)
        for cell in student.cells
        if cell.cell_type == "code"
        for number in re.findall(r"^\s*# Exercise (\d+): your code here\.", cell.source, re.M)
    ]
    assert stubs == list(range(1, len(stubs) + 1)), f"{solution.name}: stubs numbered {stubs}"
    assert headings == sorted(set(headings)) and set(headings) <= set(stubs), (
        f"{solution.name}: the exercise headings {headings} do not match the stubs {stubs} "
        "a student's error message names"
    )


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_no_checked_output_holds_a_log_line(solution):
    """Log lines depend on the CPU's code path: nbval on another kind of machine would fail."""
    found = log_lines(read(solution))
    assert not found, (
        f"{solution.name}: checked outputs hold log lines, which differ from one CPU to the next "
        f"(keep them out of the notebook, see helpers.quiet_tensorflow): {found}"
    )
