"""Grade a class's submitted notebooks into a gradebook, with no server and nothing to set up.

Input: ``DIR/<student>/<lab>.ipynb``, one folder per student, labs under the course's names.
Output: ``DIR/gradebook.csv`` (``student,lab,checkpoint,status,detail``), ``DIR/gradebook.html``
and a per-lab summary on stdout. Usage::

    python -m tools.grade DIR                      # smoke settings, 600 s per notebook
    python -m tools.grade DIR --settings full --timeout 3600
    python -m tools.grade DIR --labs 01_mnist_convnet

How a submission is graded:

* **The course's own checks, always.** The student's answers are taken out of their notebook and
  put into the course's pristine student notebook (``notebooks/<lab>.ipynb``) in place of the
  exercise stubs; that notebook is what runs. Cells are matched by their cell id (Jupyter keeps
  it), else by their text. In an exercise cell, the lines of the original around each stub are
  anchors: whatever the student wrote between them is the answer. Any change to a given cell, a
  checkpoint cell or the given lines of an exercise cell, a deleted cell, or an added code cell is
  reported in ``detail`` and otherwise ignored: the original runs, added cells do not.
* **Isolation.** Each notebook runs in a process of its own (``python -m tools.grade --worker``,
  which runs papermill on the kernel "cnn-labs"), in a build folder of its own
  (``build/grade/<student>/<lab>/``: the run's models, results, temporary files and the executed
  notebook). Every process of the run carries a token in its environment; on the time-out, or when
  the executed notebook grows beyond ``MAX_OUTPUT_BYTES``, every process carrying it (the worker,
  the kernel, which Jupyter starts in a session of its own, and the kernel's children) is killed.
  Downloads are refused (the proxy variables point nowhere) and the data must be present first.
* **Statuses**, per checkpoint (``# Checkpoint N`` and its ``continued`` cells): ``pass`` (every
  check printed PASS), ``fail`` (a check printed FAIL), ``error`` (its cell, or a cell after the
  previous checkpoint, raised), ``timeout``, ``not-run`` (the run stopped before it), ``missing``
  (no notebook for the lab). Like "Run All", a run stops at the first error or failed checkpoint.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.config import REPO
from tools.notebooks import STUB_LENGTH, replace_stubs, serialise, stub_at

#: Seconds one notebook may run (all its cells together) before its kernel is killed.
DEFAULT_TIMEOUT = 600.0
#: An executed notebook larger than this (a student's endless printing) is stopped as an error.
MAX_OUTPUT_BYTES = 50_000_000
#: The environment variable that marks every process of one notebook's run.
TOKEN_ENV = "CNN_LABS_GRADE_RUN"
STATUSES = ("pass", "fail", "error", "timeout", "not-run", "missing")
COLUMNS = ("student", "lab", "checkpoint", "status", "detail")
CHECKPOINT_LINE = re.compile(r"#\s*Checkpoint\s+(\d+)\b")
PASS = "✅ PASS"
FAIL = "❌ FAIL"
#: An answer that prints a verdict itself or replaces a course helper (``h.check = ...``): the
#: checks still decide, but an instructor should look at it.
SUSPICIOUS = re.compile(
    r"✅|❌|PASS —|FAIL —|\b(h|helpers|checks)(\.\w+)+\s*=[^=]|setattr\(\s*(h|helpers|checks)\b"
)
#: Cells papermill adds to an executed notebook.
ADDED_TAGS = {"injected-parameters", "papermill-error-cell-tag"}
#: Proxy settings that make any download fail at once: grading never downloads.
NO_NETWORK = {
    name: "http://127.0.0.1:9"
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
} | {"no_proxy": "", "NO_PROXY": ""}
OUTPUT_FILES = ("gradebook.csv", "gradebook.html")
#: Where a run's temporary files and the caches of its kernel go, under its build folder's tmp/.
HOME_FOLDERS = {
    "TMPDIR": ".",
    "MPLCONFIGDIR": "matplotlib",
    "IPYTHONDIR": "ipython",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "KERAS_HOME": "keras",
}
#: A worker (papermill, which holds every output of the notebook) larger than this is stopped:
#: a student's endless printing fills its memory long before the executed notebook is saved.
MAX_WORKER_BYTES = 1_500_000_000


class GradingError(RuntimeError):
    """Grading itself cannot run (no data, no kernel, no such folder)."""


# --- The course's notebooks ------------------------------------------------------------------


def lines_of(source: str) -> list[str]:
    return source.split("\n")


def stub_spans(lines: list[str]) -> list[tuple[int, int, int]]:
    """(exercise, first line, end line) of every stub in a cell's lines."""
    spans = []
    for number in range(len(lines)):
        exercise = stub_at(lines, number)
        if exercise is not None:
            spans.append((exercise, number, number + STUB_LENGTH))
    return spans


def checkpoint_of(cell: nbformat.NotebookNode) -> int | None:
    """N when a code cell starts with ``# Checkpoint N`` (``continued`` cells included)."""
    if cell.cell_type != "code":
        return None
    match = CHECKPOINT_LINE.match(cell.source.lstrip())
    return int(match[1]) if match else None


def checkpoint_numbers(nb: nbformat.NotebookNode) -> list[int]:
    """The checkpoints of a notebook, in order, each once."""
    return list(dict.fromkeys(n for cell in nb.cells if (n := checkpoint_of(cell)) is not None))


def cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    """How a message names a cell: ``cell 12 (Exercise 2)``, ``(Checkpoint 2)`` or ``(given)``."""
    cell = nb.cells[index]
    exercises = (
        [e for e, _, _ in stub_spans(lines_of(cell.source))] if cell.cell_type == "code" else []
    )
    if exercises:
        what = "Exercise " + ", ".join(map(str, exercises))
    elif (number := checkpoint_of(cell)) is not None:
        what = f"Checkpoint {number}"
    else:
        what = "given code"
    return f"cell {index} ({what})"


def owning_checkpoint(nb: nbformat.NotebookNode, index: int) -> int | None:
    """The checkpoint a cell counts towards: its own, else the first one after it."""
    for cell in nb.cells[index:]:
        if (number := checkpoint_of(cell)) is not None:
            return number
    return None


# --- Taking the answers out of a submission --------------------------------------------------


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


# --- Running one notebook, isolated ----------------------------------------------------------


def processes_of(token: str, root: int | None = None) -> list:
    """Every process carrying the run's token in its environment, and the root's descendants."""
    import psutil

    found = {}
    if root is not None:
        try:
            parent = psutil.Process(root)
            found[parent.pid] = parent
            for child in parent.children(recursive=True):
                found[child.pid] = child
        except psutil.NoSuchProcess:
            pass
    for process in psutil.process_iter():
        try:
            if process.environ().get(TOKEN_ENV) == token:
                found[process.pid] = process
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    found.pop(os.getpid(), None)
    return list(found.values())


def kill_run(token: str, root: int | None = None) -> int:
    """Kill every process of a run (worker, kernel and their children); how many there were."""
    import psutil

    processes = processes_of(token, root)
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)
    return len(processes)


@dataclass
class Run:
    """How the isolated run of one notebook ended."""

    seconds: float
    stopped: str = ""  # "timeout", "output" or "" (the worker ended by itself)
    error: str = ""  # the worker's one-line description of a failed run
    executed: nbformat.NotebookNode | None = None
    unreadable: str = ""  # why the executed notebook could not be read


def run_isolated(
    notebook: nbformat.NotebookNode, build: Path, parameters: dict, timeout: float
) -> Run:
    """Run a notebook in a worker process in ``build``; kill all of it at the time-out."""
    if build.exists():
        shutil.rmtree(build)
    for folder in HOME_FOLDERS.values():
        (build / "tmp" / folder).mkdir(parents=True, exist_ok=True)
    src, out, result = build / "graded.ipynb", build / "executed.ipynb", build / "run.json"
    src.write_text(serialise(notebook), encoding="utf-8")
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        **NO_NETWORK,
        TOKEN_ENV: token,
        # Everything a run writes goes to its build folder, its home folders included.
        **{name: str(build / "tmp" / folder) for name, folder in HOME_FOLDERS.items()},
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "tools.grade", "--worker", str(src), str(out), str(result)]
    command.append(json.dumps(parameters))
    start = time.perf_counter()
    stopped = ""
    with open(build / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        while worker.poll() is None:
            if time.perf_counter() - start > timeout:
                stopped = "timeout"
            elif too_much_output(worker.pid, out):
                stopped = "output"
            if stopped:
                break
            time.sleep(0.2)
    kill_run(token, worker.pid)  # also what outlived a worker that ended by itself
    worker.wait()
    seconds = time.perf_counter() - start
    run = Run(seconds, stopped)
    if result.exists():
        run.error = json.loads(result.read_text()).get("error", "")
    elif not stopped:
        run.error = (
            f"the grading worker ended with status {worker.returncode} (see {build / 'worker.log'})"
        )
    try:
        run.executed = nbformat.read(out, as_version=4)
    except Exception as error:
        run.unreadable = f"the executed notebook could not be read ({type(error).__name__})"
    return run


def too_much_output(pid: int, out: Path) -> bool:
    """Has a run printed too much: an executed notebook or a worker beyond its limit?"""
    import psutil

    try:
        memory = psutil.Process(pid).memory_info().rss
    except psutil.Error:
        memory = 0
    return memory > MAX_WORKER_BYTES or (out.exists() and out.stat().st_size > MAX_OUTPUT_BYTES)


def worker(src: str, out: str, result: str, parameters: str) -> int:
    """Inside the worker process: run the notebook with papermill, record how it went."""
    from tools.run_solutions import run_notebook

    build = Path(src).parent
    outcome = run_notebook(
        Path(src), Path(out), json.loads(parameters), build=build, cell_timeout=None
    )
    Path(result).write_text(json.dumps({"ok": outcome.ok, "error": outcome.error}))
    return 0


# --- Reading the outcome ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    student: str
    lab: str
    checkpoint: int
    status: str
    detail: str = ""


def printed(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def raised(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    """(ename, evalue) when an executed cell raised."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return output.get("ename", "Error"), output.get("evalue", "")
    if cell.get("metadata", {}).get("papermill", {}).get("exception"):
        return "Error", ""
    return None


def status_of(cell: nbformat.NotebookNode) -> str:
    """papermill's status of a cell; "pending" when it never started (whatever papermill says:
    after a dead kernel it marks every cell completed)."""
    record = cell.get("metadata", {}).get("papermill", {})
    return record.get("status", "pending") if record.get("start_time") else "pending"


def stop_reason(label: str, run: Run) -> tuple[str, str]:
    """(status, detail) of the cell that was running when a run stopped without an exception."""
    if run.stopped == "timeout":
        return "timeout", f"{label} was still running at the time-out"
    if run.stopped == "output":
        return "error", f"{label} printed too much (stopped)"
    if "kernel died" in run.error:
        return "error", f"{label}: the kernel died (a crash, an exit or out of memory)"
    return "error", one_line(f"{label}: {run.error or 'the run ended'}")


def one_line(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def fail_text(text: str) -> str:
    """The FAIL lines of a checkpoint's output, with their hints."""
    lines = text.splitlines()
    kept = []
    for number, line in enumerate(lines):
        if line.strip().startswith(FAIL):
            kept.append(line.strip())
            hint = lines[number + 1].strip() if number + 1 < len(lines) else ""
            if hint.startswith("Hint:"):
                kept.append(hint)
    return one_line(" ".join(kept))


def grade_run(pristine: nbformat.NotebookNode, run: Run) -> dict[int, tuple[str, str]]:
    """Checkpoint -> (status, detail) of one executed notebook."""
    numbers = checkpoint_numbers(pristine)
    if run.executed is None:
        status = "timeout" if run.stopped == "timeout" else "error"
        detail = run.unreadable + (f"; {run.error}" if run.error else "")
        return {n: (status, one_line(detail)) for n in numbers}
    cells = [c for c in run.executed.cells if not ADDED_TAGS & set(c.metadata.get("tags", []))]
    if len(cells) != len(pristine.cells):
        return {
            n: ("error", "the executed notebook does not match the graded one") for n in numbers
        }
    grades: dict[int, tuple[str, str]] = {}
    outputs: dict[int, str] = {}
    started = [
        i for i, c in enumerate(cells) if c.cell_type == "code" and status_of(c) != "pending"
    ]
    culprit = None  # the cell running when a run stopped, or died, without an exception
    if (run.stopped or run.error) and not any(raised(cells[i]) for i in started):
        culprit = (
            started[-1]
            if started
            else next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
        )
    stopped_at: str | None = None  # where the run stopped, once it has
    for index, cell in enumerate(cells):
        number = owning_checkpoint(pristine, index)
        if number is None or number in grades or cell.cell_type != "code":
            continue
        if stopped_at:
            grades[number] = ("not-run", f"the run stopped before it ({stopped_at})")
            continue
        error = raised(cell)
        text = printed(cell)
        if checkpoint_of(cell) == number:
            outputs[number] = outputs.get(number, "") + text
        label = cell_label(pristine, index)
        if error is not None:
            if checkpoint_of(cell) == number and FAIL in text:
                grades[number] = ("fail", fail_text(outputs[number]))
            else:
                grades[number] = ("error", one_line(f"{label} raised {error[0]}: {error[1]}"))
        elif index == culprit:
            grades[number] = stop_reason(label, run)
        elif status_of(cell) == "pending":
            grades[number] = ("not-run", "the run ended before it")
        else:
            continue
        stopped_at = f"Checkpoint {number}"
    for index, cell in enumerate(cells):  # every checkpoint that ran to its end
        number = checkpoint_of(cell)
        if number is None or number in grades:
            continue
        next_cell = owning_checkpoint(pristine, index + 1) if index + 1 < len(cells) else None
        if next_cell == number:
            continue  # a "continued" cell follows: decide on the last cell of the checkpoint
        text = outputs.get(number, "")
        if FAIL in text:
            grades[number] = ("fail", fail_text(text))
        elif PASS in text:
            grades[number] = ("pass", "")
        else:
            grades[number] = ("error", "the checkpoint printed no PASS line")
    return {n: grades.get(n, ("not-run", "")) for n in numbers}


# --- The class -------------------------------------------------------------------------------


@dataclass
class Lab:
    stem: str
    pristine: nbformat.NotebookNode
    parameters: dict

    @property
    def checkpoints(self) -> list[int]:
        return checkpoint_numbers(self.pristine)


def course_labs(names: list[str] | None, settings: str) -> list[Lab]:
    """The labs graded: the course's student notebooks (all, or those named)."""
    available = {p.stem: p for p in sorted((REPO / "notebooks").glob("*.ipynb"))}
    chosen = [Path(name).stem for name in names] if names else list(available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise GradingError(f"no lab {', '.join(unknown)}; the labs are: {', '.join(available)}")
    smoke = json.loads((REPO / "tools" / "smoke_parameters.json").read_text())
    return [
        Lab(
            stem,
            nbformat.read(available[stem], as_version=4),
            smoke.get(stem, {}) if settings == "smoke" else {},
        )
        for stem in chosen
    ]


def data_problems() -> list[str]:
    """The course's data sets that are neither in the cache nor in the mirror (would download)."""
    from helpers.data.fetch import source_of
    from helpers.data.registry import ARTIFACTS

    return [
        f"{artifact.name} ({artifact.filename}) would be {source_of(artifact)}ed"
        for artifact in ARTIFACTS.values()
        if not artifact.optional and source_of(artifact) not in ("cache", "mirror")
    ]


def students_in(submissions: Path, labs: list[Lab]) -> tuple[list[str], list[str]]:
    """The student folders, and notes about everything else found."""
    names = {f"{lab.stem}.ipynb" for lab in labs}
    all_labs = {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
    students, notes = [], []
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in OUTPUT_FILES:
            continue
        if not entry.is_dir():
            notes.append(f"{entry.name}: not a student folder, ignored")
            continue
        students.append(entry.name)
        for item in sorted(entry.iterdir()):
            if (
                item.name not in names
                and item.name not in all_labs
                and not item.name.startswith(".")
            ):
                notes.append(f"{entry.name}/{item.name}: not a lab of the course, ignored")
    return students, notes


def format_seconds(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def grade_notebook(
    path: Path, lab: Lab, build: Path, timeout: float, ran: list[float]
) -> dict[int, tuple[str, str]]:
    """Checkpoint -> (status, detail) of one submitted notebook; its run's seconds go to ran."""
    try:
        submission = read_submission(path)
    except ValueError as error:
        return {n: ("error", str(error)) for n in lab.checkpoints}
    found = extract(lab.pristine, submission)
    notebook = graded_notebook(lab.pristine, found.answers)
    run = run_isolated(notebook, build / lab.stem, lab.parameters, timeout)
    ran.append(run.seconds)
    grades = grade_run(lab.pristine, run)
    for number, texts in found.edits.items():
        key = number if number in grades else lab.checkpoints[0]
        status, detail = grades[key]
        grades[key] = (status, "; ".join(filter(None, [detail, *texts])))
    return grades


def grade_class(
    submissions: Path,
    labs: list[Lab],
    build: Path,
    timeout: float,
    stream=None,
) -> tuple[list[Row], list[str]]:
    """Grade every student's labs; the gradebook's rows and notes on what was ignored.

    Progress goes to ``stream`` (default: the standard output of the moment).
    """
    stream = stream or sys.stdout
    students, notes = students_in(submissions, labs)
    rows: list[Row] = []
    jobs = [(s, lab) for s in students for lab in labs]
    handed_in = [(s, lab) for s, lab in jobs if (submissions / s / f"{lab.stem}.ipynb").is_file()]
    to_run = len(handed_in)
    ran: list[float] = []
    start = time.perf_counter()
    width = max((len(s) for s in students), default=7)
    for student, lab in jobs:
        if (student, lab) not in handed_in:
            rows += [
                Row(student, lab.stem, n, "missing", f"no {lab.stem}.ipynb in {student}/")
                for n in lab.checkpoints
            ]
            continue
        began = time.perf_counter()
        try:
            grades = grade_notebook(
                submissions / student / f"{lab.stem}.ipynb", lab, build / student, timeout, ran
            )
        except Exception as error:  # a notebook nobody foresaw costs that notebook only
            detail = one_line(f"grading failed: {type(error).__name__}: {error}")
            grades = {n: ("error", detail) for n in lab.checkpoints}
        rows += [Row(student, lab.stem, n, *grades[n]) for n in lab.checkpoints]
        to_run -= 1
        passes = sum(status == "pass" for status, _ in grades.values())
        seconds = time.perf_counter() - began
        left = to_run * (sum(ran) / len(ran) if ran else 0)
        tail = f"  (about {format_seconds(left)} left)" if to_run and ran else ""
        score = f"{passes}/{len(grades)} pass"
        print(
            f"{student:<{width}}  {lab.stem:<22} {score}  {seconds:6.1f} s{tail}",
            file=stream,
            flush=True,
        )
    print(
        f"graded {len(handed_in)} notebooks of {len(students)} students "
        f"in {format_seconds(time.perf_counter() - start)}",
        file=stream,
    )
    return rows, notes


def write_csv(rows: list[Row], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: (r.student, r.lab, r.checkpoint)):
        writer.writerow([row.student, row.lab, row.checkpoint, row.status, row.detail])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def summary(rows: list[Row], labs: list[Lab]) -> str:
    """Per lab and checkpoint: how many students got each status."""
    lines = []
    for lab in labs:
        lines.append(lab.stem)
        for number in lab.checkpoints:
            counts = Counter(r.status for r in rows if r.lab == lab.stem and r.checkpoint == number)
            listed = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
            lines.append(f"  Checkpoint {number}: {listed}")
    return "\n".join(lines)


COLOURS = {
    "pass": "#c8e6c9",
    "fail": "#ffcdd2",
    "error": "#ffab91",
    "timeout": "#e1bee7",
    "not-run": "#eeeeee",
    "missing": "#ffffff",
}


def render_html(rows: list[Row], labs: list[Lab], notes: list[str]) -> str:
    """A self-contained page: one row per student, a coloured cell per checkpoint, the details."""
    e = html.escape
    students = sorted({r.student for r in rows})
    grade = {(r.student, r.lab, r.checkpoint): r for r in rows}
    head = "".join(f'<th colspan="{len(lab.checkpoints)}">{e(lab.stem)}</th>' for lab in labs)
    numbers = "".join(f"<th>{n}</th>" for lab in labs for n in lab.checkpoints)
    body, details = [], []
    for student in students:
        cells = []
        for lab in labs:
            for n in lab.checkpoints:
                row = grade[(student, lab.stem, n)]
                cells.append(
                    f'<td class="{row.status}" title="{e(row.detail)}">{e(row.status)}</td>'
                )
                if row.detail and row.status not in ("missing", "not-run"):  # on hover
                    details.append(
                        f"<li><b>{e(student)}</b> · {e(lab.stem)} · Checkpoint {n} · "
                        f"{e(row.status)}: {e(row.detail)}</li>"
                    )
        passes = sum(
            grade[(student, lab.stem, n)].status == "pass" for lab in labs for n in lab.checkpoints
        )
        total = sum(len(lab.checkpoints) for lab in labs)
        body.append(f"<tr><th>{e(student)}</th>{''.join(cells)}<td>{passes}/{total}</td></tr>")
    style = "".join(f"td.{s}{{background:{c}}}" for s, c in COLOURS.items())
    legend = " ".join(
        f'<span class="{s}" style="background:{c};padding:2px 6px">{s}</span>'
        for s, c in COLOURS.items()
    )
    notes_html = "".join(f"<li>{e(n)}</li>" for n in notes)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Gradebook</title><style>'
        "body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:3px 6px;text-align:center}" + style + "</style>"
        "</head><body><h1>Gradebook</h1><p>" + legend + "</p><table>"
        f"<tr><th rowspan=2>student</th>{head}<th rowspan=2>passed</th></tr><tr>{numbers}</tr>"
        + "".join(body)
        + "</table><h2>Details</h2><ul>"
        + "".join(details)
        + "</ul>"
        + (f"<h2>Ignored</h2><ul>{notes_html}</ul>" if notes else "")
        + "</body></html>\n"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.grade",
        description="Grade DIR/<student>/<lab>.ipynb into DIR/gradebook.csv and gradebook.html.",
    )
    parser.add_argument("submissions", type=Path, metavar="DIR")
    parser.add_argument(
        "--settings", choices=("smoke", "full"), default="smoke", help="default: %(default)s"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="seconds one notebook may run (default: %(default)g)",
    )
    parser.add_argument("--labs", nargs="+", metavar="LAB", help="grade only these labs")
    parser.add_argument(
        "--build",
        type=Path,
        default=REPO / "build" / "grade",
        help="where the runs happen (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(*argv[1:])
    args = parse_args(argv)
    try:
        if not args.submissions.is_dir():
            raise GradingError(f"there is no folder {args.submissions}")
        labs = course_labs(args.labs, args.settings)
        missing = data_problems()
        if missing:
            raise GradingError(
                "the course's data is not all here, and grading never downloads: "
                + "; ".join(missing)
                + ". Run `make data` first (or set CNN_LABS_MIRROR to a folder that has it)."
            )
        from tools.kernel import kernel_problems

        problems = kernel_problems()
        if problems:
            raise GradingError("the kernel 'cnn-labs' is not usable: " + "; ".join(problems))
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows, notes = grade_class(args.submissions.resolve(), labs, args.build.resolve(), args.timeout)
    for note in notes:
        print(f"note: {note}")
    write_csv(rows, args.submissions / "gradebook.csv")
    (args.submissions / "gradebook.html").write_text(
        render_html(rows, labs, notes), encoding="utf-8"
    )
    print(summary(rows, labs))
    print(f"wrote {args.submissions / 'gradebook.csv'} and {args.submissions / 'gradebook.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
