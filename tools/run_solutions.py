"""Run the solution notebooks headless with papermill, on the course's kernel "cnn-labs".

Full runs (the default) use each notebook's own settings. A successful run replaces the stored
solution (outputs included) and records its metrics in ``solutions/results.json`` and
``solutions/RESULTS.md``; a failed run leaves the solution untouched and is kept in
``build/failed/`` for inspection. Smoke runs (``--smoke``) use the tiny settings of
``tools/smoke_parameters.json``, write to ``build/smoke/`` and change nothing else.

Usage::

    python -m tools.run_solutions                      # every solution, full settings
    python -m tools.run_solutions 01_mnist_convnet     # some of them (stems or paths)
    python -m tools.run_solutions --smoke              # every solution, tiny settings
    python -m tools.run_solutions --cell-timeout 1800  # allow slow machines 30 min per cell

While a notebook runs, each code cell is announced as it starts and everything it prints (the
one-line-per-epoch logs of training) is shown as it comes. A cell that runs longer than the cell
time-out fails its lab (the kernel is shut down, the solution is kept as it was) and the next
lab runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import nbformat
import papermill
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from helpers.config import BUILD_ENV, REPO, RESULTS_ENV
from helpers.machine import cpu_kind, machine_info, speed_flags
from tools.checked_outputs import log_lines
from tools.kernel import KERNEL_NAME, kernel_problems
from tools.notebook_io import serialise, shown, write_atomic

#: Seconds one cell may run before its lab fails (the longest takes about 12 minutes on a slow CPU).
DEFAULT_CELL_TIMEOUT = 1800


#: The first columns of RESULTS.md, with their headings; any other metrics follow them.
COLUMNS = {
    "test_accuracy": "Test accuracy (%)",
    "seconds": "Seconds",
    "peak_rss_mb": "Peak memory (MB)",
    "compute_policies": "Computed in",
    "cpu_kind": "CPU kind",
}

#: Columns of words, aligned left (the others are numbers).
TEXT_COLUMNS = {"compute_policies", "cpu_kind"}

#: Bookkeeping in results.json that is not a metric.
NOT_METRICS = {"finished", "cpu_flags"}


@dataclass(frozen=True)
class RunResult:
    """How one papermill run went."""

    ok: bool
    seconds: float
    error: str = ""  # which cell failed and why; empty when ok
    metrics: dict = field(default_factory=dict)  # what the notebook recorded


@contextlib.contextmanager
def environment_variable(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the duration of a block (the kernel inherits it)."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def first_line(source: str, width: int = 76) -> str:
    """The first line of a cell that is not blank or a comment, shortened to ``width``."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    line = next((line for line in lines if not line.startswith("#")), lines[0] if lines else "")
    return line if len(line) <= width else line[: width - 1] + "…"


class CellWatch:
    """Knows which cell is running; with a stream, shows each cell and its output as they come.

    An nbclient hook (``on_cell_execute``) and papermill's ``stdout_file``/``stderr_file`` at once.
    """

    INDENT = " " * 10

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream
        self.cell: tuple[int, str] | None = None  # index and first line of the running cell
        self.start = time.perf_counter()
        self._line_start = True

    def on_cell_execute(self, cell, cell_index: int, **_) -> None:
        self.cell = (cell_index, first_line(cell.source))
        if self.stream:
            seconds = time.perf_counter() - self.start
            self.finish_line()
            self.stream.write(f"  [{seconds:5.0f} s] cell {cell_index:>2} · {self.cell[1]}\n")
            self.stream.flush()

    def write(self, text: str) -> None:
        """Show what a cell printed, indented under its cell line."""
        if not self.stream:
            return
        for piece in text.splitlines(keepends=True):
            self.stream.write((self.INDENT if self._line_start else "") + piece)
            self._line_start = piece.endswith("\n")
        self.stream.flush()

    def flush(self) -> None:
        if self.stream:
            self.stream.flush()

    def finish_line(self) -> None:
        """End a half-written output line, so the next announcement starts on its own line."""
        if self.stream and not self._line_start:
            self.stream.write("\n")
            self._line_start = True


def describe_failure(error: Exception, watch: CellWatch | None = None, timeout=None) -> str:
    """One line saying which cell failed and how."""
    if isinstance(error, PapermillExecutionError):
        where = f"cell {error.cell_index} (In [{error.exec_count}]) raised {error.ename}"
        message = error.evalue
    elif isinstance(error, CellTimeoutError) and watch and watch.cell:
        index, line = watch.cell
        where = f"cell {index} did not finish within the cell time-out of {timeout:g} s"
        message = f"{line} (a slow machine? raise it with --cell-timeout SECONDS)"
    elif isinstance(error, DeadKernelError) and watch and watch.cell:
        where = f"the kernel died in cell {watch.cell[0]}"
        message = f"{watch.cell[1]} (out of memory?)"
    else:
        where, message = type(error).__name__, str(error)
    return f"{where}: {' '.join(message.split())}"


def run_notebook(
    src: Path,
    out: Path,
    parameters: dict | None = None,
    *,
    build: Path | None = None,
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT,
    echo: TextIO | None = None,
) -> RunResult:
    """Execute ``src`` into ``out`` on the course's kernel, in the folder of ``src``.

    ``build`` is where the lab keeps its models and run records (``$CNN_LABS_BUILD``); by default
    the repository's ``build/``, which full runs share so that later labs see earlier ones.
    A cell running longer than ``cell_timeout`` seconds (None: no limit) fails the run. With
    ``echo`` (e.g. ``sys.stdout``), each cell is announced as it starts and its printed output
    is shown as it comes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    watch = CellWatch(echo)
    with tempfile.TemporaryDirectory() as tmp:
        metrics_file = Path(tmp, "results.json")
        start = time.perf_counter()
        try:
            with (
                environment_variable(RESULTS_ENV, str(metrics_file)),
                environment_variable(BUILD_ENV, str(build) if build else ""),
            ):
                papermill.execute_notebook(
                    str(src),
                    str(out),
                    kernel_name=KERNEL_NAME,
                    language="python",  # for the parameters cell, whatever the metadata says
                    parameters=parameters,
                    cwd=str(src.parent),
                    progress_bar=False,
                    log_output=False,
                    stdout_file=watch,
                    stderr_file=watch,
                    execution_timeout=cell_timeout,
                    on_cell_execute=watch.on_cell_execute,
                    shutdown_kernel="immediate",  # a hung kernel cannot answer a request
                )
            error = ""
        except Exception as exc:  # any failure of one notebook must not stop the others
            error = describe_failure(exc, watch, cell_timeout)
        watch.finish_line()
        seconds = time.perf_counter() - start
        has_metrics = metrics_file.exists() and metrics_file.stat().st_size
        metrics = json.loads(metrics_file.read_text()) if has_metrics else {}
    return RunResult(not error, seconds, error, metrics)


def strip_run_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove papermill's bookkeeping (timings, status) from a run notebook; keep the outputs."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return nb


def update_results(results_path: Path, stem: str, metrics: dict, seconds: float) -> dict:
    """Record one lab's run in results.json (other labs' entries kept); return the new content.

    Each lab's entry names the kind of CPU it ran on and the flags that decide it, since labs
    re-run one at a time may come from different machines; ``machine`` is the latest run's.
    """
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.setdefault("labs", {})[stem] = {
        **metrics,
        "seconds": round(seconds, 1),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_kind": cpu_kind(),
        "cpu_flags": speed_flags(),
    }
    results["machine"] = machine_info()
    write_atomic(results_path, json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def format_value(key: str, value) -> str:
    """One table cell: accuracy in percent, seconds and memory to one decimal."""
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if key == "test_accuracy":
        return f"{100 * value:.2f}"
    if key in ("seconds", "peak_rss_mb"):
        return f"{value:.1f}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def other_metrics(lab: dict) -> str:
    """A lab's metrics beyond the fixed columns, as `name value` pairs in name order."""
    extra = sorted(set(lab) - set(COLUMNS) - NOT_METRICS)
    return " · ".join(f"{key} {format_value(key, lab[key])}" for key in extra) or "–"


def render_results_table(results: dict) -> str:
    """The markdown table of RESULTS.md: one row per lab, its other metrics, and the total time."""
    labs = results.get("labs", {})
    rows = [
        "| Lab | " + " | ".join(COLUMNS.values()) + " | Other metrics |",
        "|---|" + "".join("---|" if key in TEXT_COLUMNS else "--:|" for key in COLUMNS) + "---|",
    ]
    for stem, lab in sorted(labs.items()):
        cells = [format_value(key, lab.get(key)) for key in COLUMNS] + [other_metrics(lab)]
        rows.append(f"| {stem} | " + " | ".join(cells) + " |")
    total = sum(lab.get("seconds", 0) for lab in labs.values())
    total_cells = [f"**{total:.1f}**" if key == "seconds" else "" for key in COLUMNS] + [""]
    rows.append("| **Total** | " + " | ".join(total_cells) + " |")
    kinds = sorted({lab["cpu_kind"] for lab in labs.values() if "cpu_kind" in lab})
    if len(kinds) > 1:
        rows.append(
            f"\nThese runs come from {len(kinds)} kinds of CPU ({'; '.join(kinds)}): "
            "their seconds are not comparable."
        )
    return "\n".join(rows) + "\n"


def render_results_markdown(results: dict) -> str:
    """The whole of RESULTS.md: heading, table, and the machine the numbers come from."""
    machine = results.get("machine", {})
    return (
        "# Results of the last full runs\n\n"
        "Written by `make solutions` (`tools/run_solutions.py`) from `results.json`; "
        "do not edit by hand.\n\n"
        + render_results_table(results)
        + f"\nMachine of the latest run: {machine.get('processor')} "
        f"({machine.get('cpu_kind', 'unknown')}: {' '.join(machine.get('cpu_flags', []))}), "
        f"{machine.get('cpu_count')} CPUs, "
        f"{machine.get('platform')}; Python {machine.get('python')}, "
        f"TensorFlow {machine.get('tensorflow')}, Keras {machine.get('keras')}.\n"
    )


def run_full(src: Path, build: Path, **run_options) -> RunResult:
    """Run a solution at full settings; keep it and its metrics only if the run succeeded.

    A run whose checked outputs hold a log line (``tools.checked_outputs``) counts as failed.

    ``run_options`` go to ``run_notebook`` (``cell_timeout``, ``echo``).
    """
    out = build / "runs" / src.name
    failed = build / "failed" / src.name
    failed.unlink(missing_ok=True)
    result = run_notebook(src, out, **run_options)
    if result.ok:
        logged = log_lines(nbformat.read(out, as_version=4))
        if logged:  # stored, it would fail nbval on another kind of CPU
            error = f"a checked output holds {len(logged)} log line(s), first {logged[0]}"
            result = RunResult(False, result.seconds, error, result.metrics)
    if not result.ok:
        if out.exists():
            failed.parent.mkdir(parents=True, exist_ok=True)
            os.replace(out, failed)
        return result
    executed = strip_run_metadata(nbformat.read(out, as_version=4))
    write_atomic(src, serialise(executed))
    out.unlink()
    results = update_results(src.parent / "results.json", src.stem, result.metrics, result.seconds)
    write_atomic(src.parent / "RESULTS.md", render_results_markdown(results))
    return result


def load_smoke_parameters(path: Path) -> dict[str, dict]:
    """The smoke settings of every lab, ``{stem: {NAME: value}}``."""
    if not path.exists():
        sys.exit(f"error: there is no {shown(path)}; create it, e.g. as {{}}")
    return json.loads(path.read_text())


def select_solutions(names: list[str], solutions: Path) -> list[Path]:
    """The solution notebooks to run: all of them, or those named by stem or path."""
    available = sorted(solutions.glob("*.ipynb"))
    if not names:
        return available
    chosen = [solutions / f"{Path(name).stem}.ipynb" for name in names]
    for path in chosen:
        if not path.exists():
            stems = ", ".join(p.stem for p in available) or "none"
            sys.exit(f"error: there is no {shown(path)}; the solutions are: {stems}")
    return chosen


def summary_table(outcomes: list[tuple[str, RunResult]]) -> str:
    """The final overview: one line per notebook."""
    width = max(len(stem) for stem, _ in outcomes)
    lines = [f"{'notebook':<{width}}  result  seconds"]
    for stem, result in outcomes:
        status = "OK" if result.ok else "FAILED"
        line = f"{stem:<{width}}  {status:<6}  {result.seconds:7.1f}"
        lines.append(f"{line}  {result.error}" if result.error else line)
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: which notebooks, which mode, which folders."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.run_solutions",
        description="Run the solution notebooks with papermill on the kernel 'cnn-labs'. Full runs "
        "replace each solution that ran successfully and record its metrics; smoke runs use tiny "
        "settings and only write to the build folder.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="solution stems or paths (default: all)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny settings from --smoke-parameters, output to "
        "BUILD/smoke/; solutions and results are not touched",
    )
    parser.add_argument(
        "--solutions", type=Path, default=REPO / "solutions", help="default: %(default)s"
    )
    parser.add_argument("--build", type=Path, default=REPO / "build", help="default: %(default)s")
    parser.add_argument(
        "--smoke-parameters",
        type=Path,
        default=REPO / "tools" / "smoke_parameters.json",
        help="default: %(default)s",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT,
        metavar="SECONDS",
        help="a cell running longer fails its lab (0: no limit; default: %(default)s)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="do not show the cells and their output"
    )
    return parser.parse_args(argv)


def run_one(src: Path, args: argparse.Namespace, smoke_parameters: dict) -> RunResult:
    """Run one solution in the mode the command line asks for, printing where things went."""
    echo = None if args.quiet else sys.stdout
    options = {"cell_timeout": args.cell_timeout or None, "echo": echo}
    if not args.smoke:
        result = run_full(src, args.build, **options)
        failed = args.build / "failed" / src.name
        if not result.ok and failed.exists():
            print(f"  the failed run is kept in {shown(failed)}")
        return result
    if src.stem not in smoke_parameters:
        print(
            f"  warning: {shown(args.smoke_parameters)} has no entry for {src.stem!r}; "
            "running it with its full settings",
            file=sys.stderr,
        )
    out = args.build / "smoke" / src.name
    result = run_notebook(
        src, out, smoke_parameters.get(src.stem), build=args.build / "smoke", **options
    )
    if not result.ok and out.exists():
        print(f"  the failed run is kept in {shown(out)}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the chosen solutions; return 1 if any of them failed."""
    args = parse_args(argv)
    problems = kernel_problems()
    if problems:
        print("\n".join(f"error: {problem}" for problem in problems), file=sys.stderr)
        return 1
    sources = select_solutions(args.names, args.solutions)
    if not sources:
        print(f"no solution notebooks in {shown(args.solutions)}")
        return 0
    smoke_parameters = load_smoke_parameters(args.smoke_parameters) if args.smoke else {}
    mode = "smoke" if args.smoke else "full"
    limit = f"at most {args.cell_timeout:g} s per cell" if args.cell_timeout else "no cell time-out"
    outcomes = []
    for src in sources:
        print(f"{src.stem}: running ({mode}, {limit}) ...", flush=True)
        result = run_one(src, args, smoke_parameters)
        verdict = "OK" if result.ok else f"FAILED: {result.error}"
        print(f"{src.stem}: {verdict} ({result.seconds:.1f} s)", flush=True)
        outcomes.append((src.stem, result))
    print("\n" + summary_table(outcomes))
    failures = [stem for stem, result in outcomes if not result.ok]
    if failures:
        print(f"\n{len(failures)} failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
