"""Running one notebook isolated: a worker process, a build folder, the time-out, the kill."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.config import REPO
from tools.notebook_io import serialise

#: Seconds one notebook may run (all its cells together) before its kernel is killed.
DEFAULT_TIMEOUT = 600.0
#: An executed notebook larger than this (a student's endless printing) is stopped as an error.
MAX_OUTPUT_BYTES = 50_000_000
#: The environment variable that marks every process of one notebook's run.
TOKEN_ENV = "CNN_LABS_GRADE_RUN"
#: Proxy settings that make any download fail at once: grading never downloads.
NO_NETWORK = {
    name: "http://127.0.0.1:9"
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
} | {"no_proxy": "", "NO_PROXY": ""}
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
