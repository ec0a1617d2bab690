"""Student notebooks, run headless at smoke settings, the way a student would finish them.

For every lab in ``solutions/``:

* **filled in** — the student notebook with every exercise stub replaced by its solution code
  runs from top to bottom, and every checkpoint prints ``✅ PASS`` (none ``❌ FAIL``). This is what
  proves that the exercises, as generated for students, can be solved by exactly the code the
  solution contains, and that the checkpoints accept it;
* **unfilled** — the student notebook as generated stops at the first exercise, with the stub's
  ``NotImplementedError`` that says "Exercise 1 is not done yet".

Runs use papermill on the course's kernel "cnn-labs", with the lab's entry of
``tools/smoke_parameters.json``, in a temporary folder. A failed filled-in run is kept in
``build/test-artifacts/filled_in/`` for inspection.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from tools.kernel import KERNEL_NAME, kernel_problems
from tools.notebooks import STUB_FIRST_LINE, fill_in, make_student, serialise, solution_regions
from tools.run_solutions import RESULTS_ENV, environment_variable, run_notebook

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
SMOKE_PARAMETERS = REPO / "tools" / "smoke_parameters.json"
FAILED_RUNS = REPO / "build" / "test-artifacts" / "filled_in"
LABS = sorted(SOLUTIONS.glob("*.ipynb"))

PASS = "✅ PASS"
FAIL = "❌ FAIL"


@pytest.fixture(scope="module", autouse=True)
def course_kernel() -> None:
    """The "cnn-labs" kernel must start this environment's Python, or every run is meaningless."""
    problems = kernel_problems()
    if problems:
        pytest.fail("the course kernel is not usable: " + "; ".join(problems))


def smoke_parameters(stem: str) -> dict:
    """The lab's smoke settings; fails the test when the lab has none."""
    entries = json.loads(SMOKE_PARAMETERS.read_text()) if SMOKE_PARAMETERS.exists() else {}
    if stem not in entries:
        pytest.fail(f"add smoke parameters for {stem} to tools/smoke_parameters.json")
    return entries[stem]


def stream_text(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed (stdout and stderr)."""
    return "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.output_type == "stream"
    )


def without_injected_parameters(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells of an executed notebook minus papermill's injected one, so indices match."""
    return [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]


def exercise_cells(student: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells of a student notebook that hold at least one exercise stub."""
    return [
        index
        for index, cell in enumerate(student.cells)
        if cell.cell_type == "code"
        and any(STUB_FIRST_LINE.fullmatch(line) for line in cell.source.split("\n"))
    ]


def checkpoint_after(student: nbformat.NotebookNode, exercise: int) -> int:
    """The checkpoint of an exercise: the first code cell after it (README, "For students")."""
    for index in range(exercise + 1, len(student.cells)):
        if student.cells[index].cell_type == "code":
            return index
    pytest.fail(f"exercise cell {exercise} is the last code cell: it has no checkpoint after it")


def lab_id(path: Path) -> str:
    return path.stem


@pytest.mark.parametrize("solution_path", LABS, ids=lab_id)
def test_filled_in_student_notebook_passes_every_checkpoint(solution_path: Path, tmp_path: Path):
    parameters = smoke_parameters(solution_path.stem)
    solution = nbformat.read(solution_path, as_version=4)
    student = make_student(solution)
    exercises = len(solution_regions(solution))
    assert exercises, f"{solution_path.name} has no exercise (no `### BEGIN SOLUTION` region)"
    src = tmp_path / solution_path.name
    src.write_text(serialise(fill_in(student, solution)), encoding="utf-8")
    out = tmp_path / "executed" / solution_path.name
    (FAILED_RUNS / solution_path.name).unlink(missing_ok=True)  # from an earlier failed run

    result = run_notebook(src, out, parameters)

    if not result.ok and out.exists():
        FAILED_RUNS.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, FAILED_RUNS / solution_path.name)
    assert result.ok, (
        f"the filled-in student notebook of {solution_path.stem} failed at smoke settings "
        f"({result.seconds:.0f} s): {result.error}\n"
        f"the executed notebook is kept in {FAILED_RUNS / solution_path.name}"
    )
    cells = without_injected_parameters(nbformat.read(out, as_version=4))
    printed = [stream_text(cell) if cell.cell_type == "code" else "" for cell in cells]
    lines = [line.strip() for text in printed for line in text.splitlines()]
    failed = [line for line in lines if line.startswith(FAIL)]
    passed = [line for line in lines if line.startswith(PASS)]
    assert not failed, f"checkpoints failed in {solution_path.stem}: {failed}"
    assert len(passed) >= exercises, (
        f"{solution_path.stem} has {exercises} exercises but its checkpoints printed only "
        f"{len(passed)} PASS lines: {passed}"
    )
    checkpoints = [checkpoint_after(student, exercise) for exercise in exercise_cells(student)]
    silent = [checkpoint for checkpoint in checkpoints if PASS not in printed[checkpoint]]
    assert not silent, (
        f"in {solution_path.stem} the checkpoint cells {silent} (the code cells right after an "
        f"exercise) printed no {PASS} line"
    )
    print(
        f"{solution_path.stem}: {len(passed)} PASS lines, {exercises} exercises, "
        f"{result.seconds:.1f} s"
    )


@pytest.mark.parametrize("solution_path", LABS, ids=lab_id)
def test_unfilled_student_notebook_stops_at_exercise_1(solution_path: Path, tmp_path: Path):
    parameters = smoke_parameters(solution_path.stem)
    student = make_student(nbformat.read(solution_path, as_version=4))
    exercises = exercise_cells(student)
    assert exercises, f"the student notebook of {solution_path.stem} has no exercise stub"
    first = exercises[0]
    assert re.search(r"# Exercise 1: your code here\.", student.cells[first].source), (
        f"the first exercise stub of {solution_path.stem} is not Exercise 1"
    )
    # The stub raises where it is run: in the exercise cell itself, or, when it is the body of a
    # function the student writes, in the checkpoint that calls that function.
    allowed = {first, checkpoint_after(student, first)}
    src = tmp_path / solution_path.name
    src.write_text(serialise(student), encoding="utf-8")
    out = tmp_path / "executed" / solution_path.name
    out.parent.mkdir()

    with (
        environment_variable(RESULTS_ENV, str(tmp_path / "results.json")),
        pytest.raises(PapermillExecutionError) as raised,
    ):
        papermill.execute_notebook(
            str(src),
            str(out),
            kernel_name=KERNEL_NAME,
            language="python",
            parameters=parameters,
            cwd=str(tmp_path),
            progress_bar=False,
            log_output=False,
        )

    error = raised.value
    assert error.ename == "NotImplementedError", (
        f"the unfilled notebook of {solution_path.stem} stopped with {error.ename}: {error.evalue}"
    )
    assert "Exercise 1 is not done yet" in error.evalue, error.evalue
    executed = nbformat.read(out, as_version=4)
    failing_cell = executed.cells[error.cell_index]
    cells = without_injected_parameters(executed)
    where = next(i for i, cell in enumerate(cells) if cell is failing_cell)
    assert where in allowed, (
        f"the unfilled notebook of {solution_path.stem} stopped at cell {where}, not at "
        f"Exercise 1 (cell {first}) or its checkpoint (cell {checkpoint_after(student, first)})"
    )
