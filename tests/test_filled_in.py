"""Student notebooks, run headless at smoke settings, the way a student would finish them.

For every lab in ``solutions/``:

* **answers fit** (fast) — ``tests/answers/<lab>.py`` answers every exercise stub of the lab's
  student notebook, and nothing else, and the filled-in cells are valid Python;
* **filled in** (slow) — the student notebook with every stub replaced by those answers runs from
  top to bottom, and every checkpoint prints ``✅ PASS`` (none ``❌ FAIL``). The answers were
  written from the student notebook's instructions only, with names of their own and other valid
  approaches than the solution's (see each file's docstring): this is what proves that a student
  who follows the instructions gets through every checkpoint, and that no later cell relies on
  a name only the solution defines. (Filling the stubs with the solution's own code would prove
  much less, and the solutions already run at full settings under nbval in ``make test``);
* **unfilled** (slow) — the student notebook as generated stops at the first exercise, with the
  stub's ``NotImplementedError`` that says "Exercise 1 is not done yet".

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

from tools.answers import fill_in_answers
from tools.kernel import KERNEL_NAME, kernel_problems
from tools.notebook_io import serialise
from tools.notebooks import make_student
from tools.run_solutions import BUILD_ENV, RESULTS_ENV, environment_variable, run_notebook
from tools.stubs import STUB_FIRST_LINE

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
SMOKE_PARAMETERS = REPO / "tools" / "smoke_parameters.json"
ANSWERS = REPO / "tests" / "answers"
FAILED_RUNS = REPO / "build" / "test-artifacts" / "filled_in"
LABS = sorted(SOLUTIONS.glob("*.ipynb"))

PASS = "✅ PASS"
FAIL = "❌ FAIL"


@pytest.fixture(scope="module")
def usable_kernel() -> None:
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


def stub_count(nb: nbformat.NotebookNode) -> int:
    """How many exercise stubs the code cells of a notebook hold."""
    return sum(
        bool(STUB_FIRST_LINE.fullmatch(line))
        for cell in nb.cells
        if cell.cell_type == "code"
        for line in cell.source.split("\n")
    )


def checkpoint_after(student: nbformat.NotebookNode, exercise: int) -> int:
    """The checkpoint of an exercise: the first code cell after it (README, "For students")."""
    for index in range(exercise + 1, len(student.cells)):
        if student.cells[index].cell_type == "code":
            return index
    pytest.fail(f"exercise cell {exercise} is the last code cell: it has no checkpoint after it")


def lab_id(path: Path) -> str:
    return path.stem


def answers_file(stem: str) -> Path:
    """The independent answers of a lab; fails the test when the lab has none."""
    path = ANSWERS / f"{stem}.py"
    if not path.is_file():
        pytest.fail(
            f"write {path.relative_to(REPO)}: an answer to every exercise of {stem}, from the "
            "student notebook only (see tools/answers.py for the format)"
        )
    return path


def filled_with_answers(solution_path: Path) -> nbformat.NotebookNode:
    """The lab's student notebook with every stub replaced by its independent answer."""
    student = make_student(nbformat.read(solution_path, as_version=4))
    path = answers_file(solution_path.stem)
    return fill_in_answers(student, path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))


@pytest.mark.parametrize("solution_path", LABS, ids=lab_id)
def test_answers_fill_every_stub_with_valid_python(solution_path: Path):
    student = make_student(nbformat.read(solution_path, as_version=4))
    assert exercise_cells(student), f"the student notebook of {solution_path.stem} has no stub"
    filled = filled_with_answers(solution_path)
    assert stub_count(filled) == 0, f"stubs left in {solution_path.stem}"
    for index, cell in enumerate(filled.cells):
        if cell.cell_type == "code":
            compile(cell.source, f"{solution_path.stem}, cell {index}", "exec")


@pytest.mark.slow
@pytest.mark.parametrize("solution_path", LABS, ids=lab_id)
def test_student_notebook_filled_with_independent_answers_passes_every_checkpoint(
    solution_path: Path, tmp_path: Path, usable_kernel: None
):
    parameters = smoke_parameters(solution_path.stem)
    student = make_student(nbformat.read(solution_path, as_version=4))
    exercises = stub_count(student)
    src = tmp_path / solution_path.name
    src.write_text(serialise(filled_with_answers(solution_path)), encoding="utf-8")
    out = tmp_path / "executed" / solution_path.name
    (FAILED_RUNS / solution_path.name).unlink(missing_ok=True)  # from an earlier failed run

    # A build folder of its own: the run never touches the repository's build/ (where a student's
    # or instructor's runs live), and no lab sees another lab's test run.
    result = run_notebook(src, out, parameters, build=tmp_path / "build")

    if not result.ok and out.exists():
        FAILED_RUNS.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, FAILED_RUNS / solution_path.name)
    assert result.ok, (
        f"the student notebook of {solution_path.stem}, filled with {ANSWERS.name}/"
        f"{solution_path.stem}.py, failed at smoke settings ({result.seconds:.0f} s): "
        f"{result.error}\nthe executed notebook is kept in {FAILED_RUNS / solution_path.name}"
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


@pytest.mark.slow
@pytest.mark.parametrize("solution_path", LABS, ids=lab_id)
def test_unfilled_student_notebook_stops_at_exercise_1(
    solution_path: Path, tmp_path: Path, usable_kernel: None
):
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
        environment_variable(BUILD_ENV, str(tmp_path / "build")),
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
