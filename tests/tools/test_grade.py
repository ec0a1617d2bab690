"""tools.grade: answers taken out of a submission, isolated runs, and a whole class graded.

The class is built at test time from ``tests/answers/`` (an independent student's answers, which
pass every checkpoint) and damaged copies of it. The fast tests need no kernel; the slow one
grades a class of seven students on Lab 1 (the fastest lab) at smoke settings.
"""

from __future__ import annotations

import copy
import csv
import importlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from tools.answers import fill_in_answers
from tools.grade import cli
from tools.grade.course import checkpoint_numbers, checkpoint_of, stub_spans
from tools.grade.extract import extract, graded_notebook, read_submission
from tools.grade.gradebook import COLUMNS
from tools.grade.isolate import TOKEN_ENV, Run, kill_run
from tools.grade.outcome import grade_run
from tools.notebook_io import serialise

REPO = Path(__file__).resolve().parents[2]
LAB1 = "01_mnist_convnet"
LAB_STEMS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))


def pristine(stem: str = LAB1) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)


def answered(stem: str = LAB1) -> nbformat.NotebookNode:
    """The student notebook as the independent student hands it in: every exercise answered."""
    text = (REPO / "tests" / "answers" / f"{stem}.py").read_text(encoding="utf-8")
    return fill_in_answers(pristine(stem), text, stem)


def exercise_cell(nb: nbformat.NotebookNode, exercise: int) -> int:
    marker = f"# Exercise {exercise}: your code here."
    return next(i for i, c in enumerate(nb.cells) if marker in c.source)


def checkpoint_cell(nb: nbformat.NotebookNode, number: int) -> int:
    return next(i for i, c in enumerate(nb.cells) if checkpoint_of(c) == number)


def with_answer(nb: nbformat.NotebookNode, exercise: int, lines: list[str] | None):
    """``nb`` with the answer to one exercise replaced (None: the stub left as it is)."""
    original = pristine()
    index = exercise_cell(original, exercise)
    lines_ = original.cells[index].source.split("\n")
    (_, start, end), *_ = stub_spans(lines_)
    if lines is not None:
        lines_[start:end] = lines
    nb = copy.deepcopy(nb)
    nb.cells[index].source = "\n".join(lines_)
    return nb


FORGED_CHECKPOINT = 'print("✅ PASS — the model has the layers asked for")'
WRONG_MODEL = [
    "    return keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),",
    '                             keras.layers.Dense(10, activation="softmax")])',
]


def build_class(root: Path) -> Path:
    """A class on Lab 1: one student per case of the issue (and a crash), in grading order."""
    good = answered()
    forged = with_answer(good, 2, WRONG_MODEL)
    forged.cells[checkpoint_cell(forged, 2)].source = FORGED_CHECKPOINT
    notebooks = {
        "alice_correct": good,
        "bob_never_returns": with_answer(good, 1, ["    while True:", "        pass"]),
        "carol_stub": with_answer(good, 2, None),
        "dave_syntax": with_answer(good, 3, ["    model.compile(optimizer=(", "    return model"]),
        "frank_forged": forged,
        "heidi_crash": with_answer(good, 1, ["    import os", "    os._exit(1)"]),
    }
    for student, nb in notebooks.items():
        (root / student).mkdir(parents=True)
        (root / student / f"{LAB1}.ipynb").write_text(serialise(nb), encoding="utf-8")
    (root / "erin_not_a_notebook").mkdir()
    (root / "erin_not_a_notebook" / f"{LAB1}.ipynb").write_text("I could not finish, sorry")
    (root / "grace_missing").mkdir()
    (root / "grace_missing" / "notes.txt").write_text("my notebook is on my other laptop")
    return root


# --- Taking the answers out ------------------------------------------------------------------


@pytest.mark.parametrize("stem", LAB_STEMS)
def test_answers_taken_out_and_put_back_give_the_students_notebook(stem: str):
    submission = answered(stem)
    found = extract(pristine(stem), submission)
    assert found.edits == {}
    rebuilt = graded_notebook(pristine(stem), found.answers)
    assert [c.source for c in rebuilt.cells] == [c.source for c in submission.cells]


@pytest.mark.parametrize("stem", LAB_STEMS)
def test_cells_without_their_ids_are_matched_by_their_text(stem: str):
    submission = answered(stem)
    for cell in submission.cells:
        cell.id = uuid.uuid4().hex[:8]
    found = extract(pristine(stem), submission)
    assert found.edits == {}
    rebuilt = graded_notebook(pristine(stem), found.answers)
    assert [c.source for c in rebuilt.cells] == [c.source for c in answered(stem).cells]


def test_edits_to_given_and_checkpoint_cells_are_reported_and_undone():
    original = pristine()
    submission = with_answer(answered(), 2, WRONG_MODEL)
    submission.cells[checkpoint_cell(submission, 2)].source = FORGED_CHECKPOINT
    index = exercise_cell(original, 3)  # a given line of an exercise cell
    submission.cells[index].source = submission.cells[index].source.replace("1e-3", "1e-1")
    del submission.cells[checkpoint_cell(submission, 4)]
    submission.cells.append(nbformat.v4.new_code_cell('print("✅ PASS")'))

    found = extract(original, submission)
    notes = {n: " ".join(texts) for n, texts in found.edits.items()}
    assert f"cell {checkpoint_cell(original, 2)} (Checkpoint 2) was edited" in notes[2]
    assert f"the given code of cell {index} (Exercise 3) was edited" in notes[3]
    assert f"cell {checkpoint_cell(original, 4)} (Checkpoint 4) was deleted" in notes[4]
    assert "1 added code cell(s) not run" in notes[None]
    graded = graded_notebook(original, found.answers)
    assert len(graded.cells) == len(original.cells)
    assert graded.cells[checkpoint_cell(original, 2)].source == (
        original.cells[checkpoint_cell(original, 2)].source
    )
    assert "1e-3" in graded.cells[index].source  # the original given line runs
    assert "keras.layers.Flatten()," in graded.cells[exercise_cell(original, 2)].source


def test_an_answer_that_repeats_the_given_line_after_the_stub_is_no_edit():
    original = pristine()
    answer = ["    model.compile(optimizer='rmsprop', loss='mse')", "    return model"]
    found = extract(original, with_answer(answered(), 3, answer))
    assert found.edits == {}
    assert found.answers[3] == answer


@pytest.mark.parametrize(
    "line",
    ['    print("✅ PASS — the model is right")', "    h.check = lambda *args, **kwargs: None"],
)
def test_an_answer_that_prints_a_verdict_or_replaces_a_helper_is_pointed_out(line: str):
    answer = [line, "    return keras.Sequential([keras.Input(shape=(28, 28, 1))])"]
    found = extract(pristine(), with_answer(answered(), 2, answer))
    assert "the answer to Exercise 2 prints a verdict or replaces a helper" in found.edits[2][0]
    assert extract(pristine(), answered()).edits == {}  # `h.check(` calls are no such thing


def test_a_stub_left_as_it_is_stays_a_stub():
    found = extract(pristine(), with_answer(answered(), 2, None))
    graded = graded_notebook(pristine(), found.answers)
    assert "# Exercise 2: your code here." in graded.cells[exercise_cell(pristine(), 2)].source
    assert found.edits == {}


@pytest.mark.parametrize(
    "content, why",
    [
        (b"I could not finish", "not JSON"),
        (b'{"metadata": {}}', "no list of cells"),
        (b"\x89PNG\r\n\x1a\n\x00\xff", "not text"),
    ],
)
def test_a_file_that_is_not_a_notebook_says_why(tmp_path: Path, content: bytes, why: str):
    path = tmp_path / f"{LAB1}.ipynb"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"not a notebook: .*{why}"):
        read_submission(path)


# --- Reading an executed notebook ------------------------------------------------------------


def executed(nb: nbformat.NotebookNode, outcomes: dict[int, tuple]) -> nbformat.NotebookNode:
    """A fake executed notebook: cell -> ("completed", text) | ("failed", text, ename) | ...."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        state = outcomes.get(index, ("pending",))
        cell.metadata["papermill"] = {
            "status": state[0],
            "exception": state[0] == "failed",
            "start_time": None if state[0] == "pending" else "2026-12-06T00:00:00",
        }
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        if len(state) > 1 and state[1]:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=state[1]))
        if state[0] == "failed":
            cell.outputs.append(nbformat.v4.new_output("error", ename=state[2], evalue="boom"))
    return nb


def code_cells_up_to(nb: nbformat.NotebookNode, last: int) -> dict[int, tuple]:
    return {i: ("completed", "") for i, c in enumerate(nb.cells[: last + 1])}


def test_statuses_of_an_executed_notebook():
    nb = pristine()
    c1, c2, c3 = (checkpoint_cell(nb, n) for n in (1, 2, 3))
    outcomes = code_cells_up_to(nb, c3)
    outcomes[c1] = ("completed", "✅ PASS — one\n✅ PASS — two\n")
    outcomes[c2] = ("completed", "✅ PASS — one\n")
    outcomes[c3] = ("failed", "✅ PASS — one\n❌ FAIL — the loss\n   Hint: sparse\n", "Checkpoint")
    grades = grade_run(nb, Run(1.0, executed=executed(nb, outcomes)))
    assert grades[1] == grades[2] == ("pass", "")
    assert grades[3] == ("fail", "❌ FAIL — the loss Hint: sparse")
    assert grades[4][0] == "not-run"


def test_an_error_before_a_checkpoint_is_its_error_and_a_timeout_its_timeout():
    nb = pristine()
    c1, ex2 = checkpoint_cell(nb, 1), exercise_cell(nb, 2)
    outcomes = code_cells_up_to(nb, ex2)
    outcomes[c1] = ("completed", "✅ PASS — one\n")
    outcomes[ex2] = ("failed", "", "NameError")
    grades = grade_run(nb, Run(1.0, executed=executed(nb, outcomes)))
    assert grades[1] == ("pass", "")
    assert grades[2] == ("error", f"cell {ex2} (Exercise 2) raised NameError: boom")
    assert [grades[n][0] for n in (3, 4)] == ["not-run", "not-run"]

    outcomes[ex2] = ("running",)
    grades = grade_run(nb, Run(9.0, "timeout", executed=executed(nb, outcomes)))
    assert grades[2] == ("timeout", f"cell {ex2} (Exercise 2) was still running at the time-out")


def test_a_dead_kernel_is_the_error_of_the_last_cell_that_started():
    nb = pristine()
    c1 = checkpoint_cell(nb, 1)
    outcomes = code_cells_up_to(nb, c1)
    outcomes[c1] = ("completed", "")  # papermill marks the cell (and all others) completed
    run = Run(5.0, error="the kernel died in cell 13: digit = … (out of memory?)")
    grades = grade_run(nb, Run(**{**run.__dict__, "executed": executed(nb, outcomes)}))
    assert grades[1] == (
        "error",
        f"cell {c1} (Checkpoint 1): the kernel died (a crash, an exit or out of memory)",
    )
    assert [grades[n][0] for n in (2, 3, 4)] == ["not-run"] * 3


def test_a_continued_checkpoint_belongs_to_its_checkpoint():
    nb = pristine("05_transfer_learning")
    cells = [i for i, c in enumerate(nb.cells) if checkpoint_of(c) == 3]
    assert len(cells) == 2  # "# Checkpoint 3" and "# Checkpoint 3, continued…"
    outcomes = code_cells_up_to(nb, cells[1])
    for number in (1, 2):
        outcomes[checkpoint_cell(nb, number)] = ("completed", "✅ PASS — fine\n")
    outcomes[cells[0]] = ("completed", "✅ PASS — validation\n")
    outcomes[cells[1]] = ("completed", "❌ FAIL — the test set\n")
    grades = grade_run(nb, Run(1.0, executed=executed(nb, outcomes)))
    assert grades[3] == ("fail", "❌ FAIL — the test set")
    assert checkpoint_numbers(nb) == [1, 2, 3, 4, 5]


# --- Isolation -------------------------------------------------------------------------------

SPAWNER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         start_new_session=True)  # as Jupyter starts a kernel
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(600)
"""


def test_killing_a_run_kills_its_processes_in_other_sessions_too(tmp_path: Path):
    token = uuid.uuid4().hex
    pid_file = tmp_path / "child.pid"
    env = {**os.environ, TOKEN_ENV: token}
    parent = subprocess.Popen(
        [sys.executable, "-c", SPAWNER, str(pid_file)], env=env, start_new_session=True
    )
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.1)
    child = int(pid_file.read_text())
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        assert kill_run(token, parent.pid) == 2
        parent.wait(timeout=10)
        assert not psutil.pid_exists(child) or psutil.Process(child).status() == "zombie"
        assert other.poll() is None  # a process without the token is left alone
    finally:
        other.kill()
        other.wait()


def test_grading_stops_before_running_when_the_data_is_missing(tmp_path, monkeypatch, capsys):
    build_class(tmp_path / "class")
    monkeypatch.setattr(cli, "data_problems", lambda: ["mnist (mnist.npz) would be downloaded"])
    assert cli.main([str(tmp_path / "class"), "--labs", LAB1]) == 2
    assert "grading never downloads: mnist" in capsys.readouterr().err
    assert not (tmp_path / "class" / "gradebook.csv").exists()


def test_no_such_folder_or_lab_stops_grading(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nowhere")]) == 2
    (tmp_path / "class").mkdir()
    assert cli.main([str(tmp_path / "class"), "--labs", "06_gans"]) == 2
    assert "no lab 06_gans" in capsys.readouterr().err


# --- A whole class ---------------------------------------------------------------------------

#: What each student of build_class gets: status (and a piece of the detail) per checkpoint.
EXPECTED = {
    "alice_correct": [("pass", ""), ("pass", ""), ("pass", ""), ("pass", "")],
    "bob_never_returns": [
        ("timeout", "(Checkpoint 1) was still running at the time-out"),
        ("not-run", ""),
        ("not-run", ""),
        ("not-run", ""),
    ],
    "carol_stub": [
        ("pass", ""),
        ("error", "NotImplementedError: Exercise 2 is not done yet"),
        ("not-run", ""),
        ("not-run", ""),
    ],
    "dave_syntax": [
        ("pass", ""),
        ("pass", ""),
        ("error", "(Exercise 3) raised SyntaxError"),
        ("not-run", ""),
    ],
    "erin_not_a_notebook": [("error", "not a notebook: the file is not JSON")] * 4,
    "frank_forged": [
        ("pass", ""),
        ("fail", "(Checkpoint 2) was edited (graded with the original)"),
        ("not-run", ""),
        ("not-run", ""),
    ],
    "heidi_crash": [
        ("error", "(Checkpoint 1): the kernel died"),
        ("not-run", ""),
        ("not-run", ""),
        ("not-run", ""),
    ],
    "grace_missing": [("missing", f"no {LAB1}.ipynb in grace_missing/")] * 4,
}


@pytest.mark.slow
def test_a_class_is_graded_into_a_gradebook(tmp_path: Path, course_kernel, capsys):
    submissions = build_class(tmp_path / "class")
    status = cli.main(
        [str(submissions), "--labs", LAB1, "--timeout", "90", "--build", str(tmp_path / "build")]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    with open(submissions / "gradebook.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(COLUMNS)
    got = [(r["student"], r["lab"], int(r["checkpoint"])) for r in rows]
    assert got == [(s, LAB1, n) for s in sorted(EXPECTED) for n in (1, 2, 3, 4)]
    for row in rows:
        status_, piece = EXPECTED[row["student"]][int(row["checkpoint"]) - 1]
        assert row["status"] == status_, row
        assert piece in row["detail"], row
    forged = next(r for r in rows if r["student"] == "frank_forged" and r["checkpoint"] == "2")
    assert forged["detail"].startswith("❌ FAIL — "), forged  # the original checkpoint's FAIL
    syntax = next(r for r in rows if r["student"] == "dave_syntax" and r["checkpoint"] == "3")
    assert "edited" not in syntax["detail"], syntax  # `return model` in the answer is no edit
    assert "grace_missing/notes.txt: not a lab of the course" in out
    assert "carol_stub" in out and "1/4 pass" in out and "grace_missing  " not in out
    page = (submissions / "gradebook.html").read_text(encoding="utf-8")
    assert page.count('<td class="pass"') == 4 + 1 + 2 + 1  # alice, carol, dave, frank
    assert json.dumps(sorted(p.name for p in submissions.iterdir())) == json.dumps(
        sorted([*EXPECTED, "gradebook.csv", "gradebook.html"])
    )
    leftover = [p for p in psutil.process_iter() if _has_token(p)]
    assert not leftover, f"processes of a run outlived it: {leftover}"


def _has_token(process) -> bool:
    try:
        return TOKEN_ENV in process.environ()
    except (psutil.Error, OSError):
        return False


def test_data_problems_say_in_words_what_fetching_would_do(monkeypatch):
    fetch_module = importlib.import_module("helpers.data.fetch")
    where = {"mnist": "download", "chest_xray": "derive", "cats_and_dogs": "missing"}
    monkeypatch.setattr(fetch_module, "source_of", lambda a: where.get(a.name, "cache"))
    assert cli.data_problems() == [
        "mnist (mnist.npz) would be downloaded",
        "cats_and_dogs (cats_and_dogs_filtered.zip) is in no mirror and has no public download",
        "chest_xray (chest_xray_small.zip) would be derived from its public source "
        "(a 1.2 GB download)",
    ]
