"""A student's first steps in Lab 1, in a real JupyterLab driven by headless Chromium.

The test does what the README's "For students" section tells a student to do, and looks at what
the browser shows:

1. JupyterLab opens the student notebook of Lab 1 on the course's kernel "cnn-labs";
2. running the cells from the top up to the first exercise prints the data shapes and draws a
   figure (screenshot ``build/test-artifacts/browser/01_mnist_before_exercise.png``);
3. running the unfinished exercise stops with ``NotImplementedError: Exercise 1 is not done yet``
   (screenshot ``01_mnist_exercise_not_done.png``);
4. typing the solution into the exercise cell and running it and its checkpoint prints
   ``✅ PASS`` (screenshot ``01_mnist_checkpoint_passed.png``).

The server runs on 127.0.0.1 with a random token, on a temporary copy of ``notebooks/`` (the
repository is never modified), and is stopped with its kernels whatever happens. The browser is
Debian's Chromium (``apt-get install chromium``), never one downloaded by ``playwright install``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest

from tools.kernel import KERNEL_NAME, kernel_problems
from tools.notebook_io import serialise
from tools.notebooks import fill_in, make_student

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
LAB = "01_mnist_convnet"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "build" / "test-artifacts" / "browser"

#: Without the background-networking flags Chromium's start-up connections fail on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_INSTALL = (
    "install Debian's Chromium with `apt-get update && apt-get install -y chromium` "
    "(it must be /usr/bin/chromium; do not use `playwright install`)"
)

#: What the given cells before Exercise 1 print at the lab's own settings (55,000 training digits,
#: 5,000 kept for validation).
EXPECTED_BEFORE_EXERCISE = [
    "x_train (55000, 28, 28) uint8",
    "(55000, 28, 28, 1) (5000, 28, 28, 1) (10000, 28, 28, 1)",
]

#: Bounded waits, in seconds. Each step has its own limit, and all the steps in the browser
#: together at most BROWSER_BUDGET (a normal run takes 15-30 s in all).
SERVER_START = 60
BROWSER_BUDGET = 200
PAGE_LOAD = 60
KERNEL_START = 90
RUN_GIVEN_CELLS = 150  # the import of TensorFlow dominates on a busy 2-core machine
RUN_ONE_CELL = 60
SHUTDOWN = 15

#: The screenshots, in build/test-artifacts/browser.
SCREENSHOTS = [
    "01_mnist_before_exercise.png",
    "01_mnist_exercise_not_done.png",
    "01_mnist_checkpoint_passed.png",
    "01_mnist_failure.png",  # only when the test fails
]

#: A code cell whose execution raised: IPython's traceback header.
TRACEBACK = "Traceback (most recent call last)"


# --------------------------------------------------------------------------- the notebook


@dataclass(frozen=True)
class Lab:
    """Where the student notebook of Lab 1 is, and what the test needs to know about it."""

    root: Path  # the folder JupyterLab serves (a temporary copy of notebooks/)
    name: str  # the notebook's file name
    exercise: int  # index of the first exercise cell (the code cell with the Exercise 1 stub)
    checkpoint: int  # index of the code cell after it
    code_before: list[int]  # indices of the code cells before the exercise
    solution_source: str  # the exercise cell with the stub replaced by the solution


def first_exercise(student: nbformat.NotebookNode) -> int:
    """Index of the code cell holding the stub of Exercise 1 (not the markdown heading)."""
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code" and "# Exercise 1: your code here." in cell.source:
            return index
    raise AssertionError(f"the student notebook of {LAB} has no `# Exercise 1` stub")


def next_code_cell(nb: nbformat.NotebookNode, after: int) -> int:
    """Index of the first code cell after ``after``."""
    for index in range(after + 1, len(nb.cells)):
        if nb.cells[index].cell_type == "code":
            return index
    raise AssertionError(f"no checkpoint cell follows the exercise cell {after} of {LAB}")


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    """A temporary copy of notebooks/ with Lab 1's student notebook (generated if not there yet)."""
    root = tmp_path / "notebooks"
    shipped = REPO / "notebooks"
    if shipped.is_dir():
        shutil.copytree(shipped, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    root.mkdir(exist_ok=True)
    solution = nbformat.read(REPO / "solutions" / f"{LAB}.ipynb", as_version=4)
    target = root / f"{LAB}.ipynb"
    if not target.exists():
        print(f"notebooks/{target.name} does not exist (run `make notebooks`); generated a copy")
        target.write_text(serialise(make_student(solution)), encoding="utf-8")
    student = nbformat.read(target, as_version=4)
    exercise = first_exercise(student)
    return Lab(
        root=root,
        name=target.name,
        exercise=exercise,
        checkpoint=next_code_cell(student, exercise),
        code_before=[i for i, c in enumerate(student.cells[:exercise]) if c.cell_type == "code"],
        solution_source=fill_in(student, solution).cells[exercise].source,
    )


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class Server:
    """A running JupyterLab."""

    url: str  # http://127.0.0.1:PORT
    token: str
    log: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(log: Path, lines: int = 30) -> str:
    """The end of the server log, for failure messages."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def api(server: Server, path: str, method: str = "GET", timeout: float = 5):
    """Call the server's REST API; return the decoded JSON (None for an empty answer)."""
    request = urllib.request.Request(
        f"{server.url}{path}", method=method, headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body = answer.read()
    return json.loads(body) if body else None


def wait_until_up(server: Server, process: subprocess.Popen) -> None:
    """Wait until /api/status answers; fail with the log if the server exits or is too slow."""
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"JupyterLab exited with status {process.returncode} while starting; "
                f"the end of its log ({server.log}):\n{log_tail(server.log)}"
            )
        with contextlib.suppress(OSError, ValueError):
            api(server, "/api/status", timeout=2)
            return
        time.sleep(0.5)
    pytest.fail(
        f"JupyterLab did not answer {server.url}/api/status within {SERVER_START} s; "
        f"the end of its log ({server.log}):\n{log_tail(server.log)}"
    )


def stop(server: Server, process: subprocess.Popen) -> None:
    """Shut down the kernels, then the server; kill whatever of them is still alive."""
    with contextlib.suppress(Exception):
        for kernel in api(server, "/api/kernels"):
            api(server, f"/api/kernels/{kernel['id']}", method="DELETE", timeout=SHUTDOWN)
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN)
    for child in children:  # kernels run in their own session: terminate() does not reach them
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


@pytest.fixture
def jupyterlab(lab: Lab, tmp_path: Path) -> Iterator[Server]:
    """JupyterLab on 127.0.0.1 serving the lab folder, with the course kernel; always stopped."""
    problems = kernel_problems()
    if problems:
        pytest.fail("the course kernel is not usable: " + "; ".join(problems))
    home = tmp_path / "jupyter"
    settings = home / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    # No "fetch Jupyter news?" toast over the notebook (and no request to the internet).
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = dict(os.environ)
    # A student's shell has no MPLBACKEND, so the kernel picks matplotlib's inline backend. The test
    # session sets MPLBACKEND=Agg (conftest.py), which would silently suppress every figure.
    env.pop("MPLBACKEND", None)
    # Isolate from the user's own Jupyter configuration and runtime files; the kernel search path
    # (which finds "cnn-labs" in this environment's prefix) is left as a student has it.
    env["JUPYTER_CONFIG_DIR"] = str(home / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    server = Server(f"http://127.0.0.1:{free_port()}", secrets.token_urlsafe(24), home / "lab.log")
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={server.url.rsplit(':', 1)[1]}",
        "--port-retries=0",
        f"--IdentityProvider.token={server.token}",
        f"--ServerApp.root_dir={lab.root}",
        "--ServerApp.open_browser=False",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    with server.log.open("w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=lab.root, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(server, process)
        yield server
    finally:
        stop(server, process)


# --------------------------------------------------------------------------- the browser


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; skipped when absent on a workstation, a failure when absent in CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{CHROMIUM} is missing on this CI machine: {HOW_TO_INSTALL}")
    pytest.skip(f"no {CHROMIUM}: {HOW_TO_INSTALL}")


@pytest.fixture
def page(chromium: Path):
    """A page of a fresh headless Chromium profile, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="cnn-labs-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1600},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


#: The state of some cells of the open notebook: prompt, output text, images, kernel status.
CELLS_STATE_JS = """(indices) => {
  const cells = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell');
  const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return {
    kernel: indicator ? indicator.getAttribute('data-status') : null,
    count: cells.length,
    cells: indices.map((i) => {
      const cell = cells[i];
      if (!cell) return null;
      const prompt = cell.querySelector('.jp-InputArea-prompt');
      const outputs = Array.from(cell.querySelectorAll('.jp-OutputArea-output'));
      return {
        prompt: prompt ? prompt.textContent.trim() : '',
        text: outputs.map((o) => o.textContent).join('\\n'),
        images: cell.querySelectorAll('.jp-OutputArea-output img').length,
      };
    }),
  };
}"""

#: The text of a cell's editor, line by line, as CodeMirror shows it.
EDITOR_TEXT_JS = """(index) => {
  const cell = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')[index];
  return Array.from(cell.querySelectorAll('.cm-content .cm-line'))
    .map((line) => line.textContent).join('\\n');
}"""

PROMPT = re.compile(r"\[(\d+)\]:")


def execution_count(cell: dict) -> int:
    """The number in a cell's ``[n]:`` prompt; 0 while it is queued, running or never run."""
    match = PROMPT.fullmatch(cell["prompt"])
    return int(match[1]) if match else 0


def cells_state(page, indices: list[int]) -> dict:
    return page.evaluate(CELLS_STATE_JS, indices)


def wait_for_runs(
    page, indices: list[int], after: int, timeout: float, what: str, may_raise: bool = False
) -> dict:
    """Wait until the cells in ``indices`` have run (prompts above ``after``), the kernel idle.

    A cell that raises stops the run there: JupyterLab drops the cells queued after it. So the
    wait also ends, once the kernel is idle, when a cell that has run shows a traceback; that
    fails the test at once with the traceback, unless ``may_raise``.
    """
    deadline = time.monotonic() + timeout
    while True:
        state = cells_state(page, indices)
        ran = [execution_count(cell) > after for cell in state["cells"]]
        raised = [
            (index, cell["text"])
            for index, cell, has_run in zip(indices, state["cells"], ran, strict=True)
            if has_run and TRACEBACK in cell["text"]
        ]
        if raised and not may_raise:
            index, text = raised[0]
            pytest.fail(f"{what}: cell {index} raised:\n{text[-3000:]}")
        if state["kernel"] == "idle" and (all(ran) or raised):
            return state
        if time.monotonic() > deadline:
            prompts = {i: c["prompt"] for i, c in zip(indices, state["cells"], strict=True)}
            pytest.fail(
                f"{what}: not finished after {timeout:.0f} s (kernel {state['kernel']}, "
                f"prompts {prompts})"
            )
        time.sleep(0.5)


def last_count(page, lab: Lab) -> int:
    """The highest execution count shown in the notebook so far."""
    state = cells_state(page, list(range(lab.checkpoint + 1)))
    return max((execution_count(cell) for cell in state["cells"] if cell), default=0)


def cell(page, index: int):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def scroll_to(page, index: int) -> None:
    """Scroll the notebook so that a cell is at the top of the window."""
    cell(page, index).evaluate("(node) => node.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)  # let the windowed notebook paint the cells that came into view


def screenshot(page, name: str, record_property) -> Path:
    """Save a full-page screenshot under build/test-artifacts/browser and report where."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    record_property(f"screenshot {name}", str(path))
    print(f"screenshot: {path.relative_to(REPO)}")
    return path


# --------------------------------------------------------------------------- the test


def run_exercise_and_checkpoint(page, lab: Lab) -> None:
    """Shift+Enter from the exercise cell through its checkpoint (and any text cell between)."""
    for _ in range(lab.checkpoint - lab.exercise + 1):
        page.keyboard.press("Shift+Enter")


@pytest.mark.usefixtures("chromium")  # first: no server is started when there is no browser
def test_student_runs_lab_1_up_to_its_first_checkpoint(
    lab: Lab, jupyterlab: Server, page, record_property
):
    for name in SCREENSHOTS:  # none left over from an earlier run
        (ARTIFACTS / name).unlink(missing_ok=True)
    start = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - start - sum(timings.values()), 1)

    def limit(seconds: float) -> float:
        """A step's time limit, cut to what is left of the budget."""
        return max(1.0, min(seconds, BROWSER_BUDGET - (time.monotonic() - start)))

    try:
        page.goto(
            f"{jupyterlab.url}/lab/tree/{lab.name}?token={jupyterlab.token}",
            timeout=limit(PAGE_LOAD) * 1000,
        )
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(
            timeout=limit(PAGE_LOAD) * 1000
        )
        kernel_name = page.locator(".jp-NotebookPanel .jp-KernelName").first
        kernel_name.wait_for(timeout=limit(PAGE_LOAD) * 1000)
        # The kernel has started when the status bar says "Python 3 (cnn-labs) | Idle".
        page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).first.wait_for(
            timeout=limit(KERNEL_START) * 1000
        )
        assert "cnn-labs" in kernel_name.inner_text(), (
            f"the notebook opened on kernel {kernel_name.inner_text()!r}, not {KERNEL_NAME!r}"
        )
        lap("open notebook, start kernel")

        # A student clicks the first cell and presses Shift+Enter until the first exercise.
        cell(page, 0).locator(".jp-InputPrompt").click()
        for _ in range(lab.exercise):
            page.keyboard.press("Shift+Enter")
        state = wait_for_runs(page, lab.code_before, 0, limit(RUN_GIVEN_CELLS), "the given cells")
        text = "\n".join(c["text"] for c in state["cells"])
        for expected in EXPECTED_BEFORE_EXERCISE:
            assert expected in text, f"{expected!r} is not among the outputs:\n{text}"
        images = sum(c["images"] for c in state["cells"])
        assert images >= 1, "no figure was rendered before Exercise 1 (is MPLBACKEND set?)"
        data_cell = next(
            i
            for i, c in zip(lab.code_before, state["cells"], strict=True)
            if EXPECTED_BEFORE_EXERCISE[0] in c["text"]
        )
        scroll_to(page, data_cell)  # the data shapes, the figure, and the exercise below them
        screenshot(page, SCREENSHOTS[0], record_property)
        lap("run the given cells")

        # The unfinished exercise says so: the stub raises when the exercise cell runs, or, when
        # the stub is inside a function the student writes, when the checkpoint calls it.
        before = last_count(page, lab)
        cell(page, lab.exercise).locator(".jp-InputPrompt").click()
        run_exercise_and_checkpoint(page, lab)
        state = wait_for_runs(
            page,
            [lab.exercise, lab.checkpoint],
            before,
            limit(RUN_ONE_CELL),
            "the stub",
            may_raise=True,
        )
        text = "\n".join(c["text"] for c in state["cells"])
        assert "NotImplementedError" in text, f"no NotImplementedError from the stub:\n{text}"
        assert "Exercise 1 is not done yet" in text, f"no friendly message from the stub:\n{text}"
        assert "✅ PASS" not in text, f"the checkpoint passed without a solution:\n{text}"
        scroll_to(page, lab.exercise - 1)
        screenshot(page, SCREENSHOTS[1], record_property)
        lap("run the unfinished exercise and its checkpoint")

        # The student types the solution, runs it and the checkpoint.
        before = last_count(page, lab)
        cell(page, lab.exercise).locator(".cm-content").click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.insert_text(lab.solution_source)
        typed = page.evaluate(EDITOR_TEXT_JS, lab.exercise)
        assert typed == lab.solution_source, f"the editor holds\n{typed}\ninstead of the solution"
        run_exercise_and_checkpoint(page, lab)
        state = wait_for_runs(
            page, [lab.exercise, lab.checkpoint], before, limit(RUN_ONE_CELL), "the solution"
        )
        exercise, checkpoint = state["cells"]
        assert "✅ PASS" in checkpoint["text"], checkpoint["text"]
        assert "❌ FAIL" not in checkpoint["text"], checkpoint["text"]
        assert not exercise["text"].strip(), f"the solved exercise printed:\n{exercise['text']}"
        scroll_to(page, lab.exercise - 1)
        screenshot(page, SCREENSHOTS[2], record_property)
        lap("type the solution, run it and the checkpoint")
    except BaseException:
        with contextlib.suppress(Exception):
            screenshot(page, SCREENSHOTS[-1], record_property)
        raise
    finally:
        total = round(time.monotonic() - start, 1)
        record_property("seconds", total)
        print(f"browser test: {total} s in the browser; {timings}")
