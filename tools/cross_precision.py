"""Checked outputs must not depend on the precision: every lab at smoke settings, in each policy.

nbval compares the checked outputs stored on one machine with a re-run on CI's machine, whose CPU
may take another code path: a CPU with fast bfloat16 computes the labs in ``mixed_bfloat16`` (and
runs extra comparisons), one without computes in float32. This check catches, on any one
machine, a checked output that would differ between the two: it runs every lab at the smoke
settings of ``tools/smoke_parameters.json`` once with ``CNN_LABS_PRECISION=float32`` and once with
``mixed_bfloat16`` (emulated, and slower, on a CPU without bfloat16 — smoke runs are small), then
compares the checked cells' outputs as nbval would (sanitized) and looks for log lines in them.

Usage::

    python -m tools.cross_precision                    # every lab
    python -m tools.cross_precision 05_transfer_learning

Exit status 1 when a lab fails to run, a checked output differs, or one holds a log line.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

import nbformat

from helpers.config import PRECISION_ENV, REPO
from helpers.machine import cpu_kind
from tools.checked_outputs import checked_outputs, log_lines
from tools.kernel import kernel_problems
from tools.run_solutions import (
    DEFAULT_CELL_TIMEOUT,
    environment_variable,
    load_smoke_parameters,
    run_notebook,
    select_solutions,
)

#: The policies the course can choose on a CPU (``helpers.training.choose_precision``).
POLICIES = ("float32", "mixed_bfloat16")


def differences(first: nbformat.NotebookNode, second: nbformat.NotebookNode) -> list[str]:
    """Where two runs of one lab differ in a checked output (sanitized as nbval does it)."""
    a = {c.cell: c.text for c in checked_outputs(first, sanitize=True)}
    b = {c.cell: c.text for c in checked_outputs(second, sanitize=True)}
    found = []
    for cell in sorted(a.keys() | b.keys()):
        if a.get(cell) != b.get(cell):
            diff = difflib.unified_diff(
                (a.get(cell) or "").splitlines(),
                (b.get(cell) or "").splitlines(),
                POLICIES[0],
                POLICIES[1],
                lineterm="",
                n=0,
            )
            found.append(f"cell {cell}:\n" + "\n".join(f"    {line}" for line in diff))
    return found


def check_lab(src: Path, parameters: dict | None, build: Path, cell_timeout) -> list[str]:
    """Run one lab in each policy; return its problems (empty when the checked outputs agree)."""
    runs = {}
    problems = []
    for policy in POLICIES:
        out = build / policy / src.name
        start = time.perf_counter()
        with environment_variable(PRECISION_ENV, policy):
            result = run_notebook(
                src, out, parameters, build=build / policy / "build", cell_timeout=cell_timeout
            )
        print(f"  {policy:<15} {time.perf_counter() - start:6.1f} s", flush=True)
        if not result.ok:
            problems.append(f"the {policy} run failed: {result.error} (kept in {out})")
            continue
        runs[policy] = nbformat.read(out, as_version=4)
        problems += [f"{policy}: log line in {line}" for line in log_lines(runs[policy])]
    if len(runs) == len(POLICIES):
        problems += differences(*runs.values())
    return problems


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.cross_precision", description=__doc__.split("\n")[0]
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="solution stems (default: all)")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions")
    parser.add_argument(
        "--build",
        type=Path,
        default=REPO / "build" / "cross-precision",
        help="default: %(default)s",
    )
    parser.add_argument(
        "--smoke-parameters", type=Path, default=REPO / "tools" / "smoke_parameters.json"
    )
    parser.add_argument(
        "--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT, metavar="SECONDS"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Check every chosen lab; print what differs; 1 if anything does."""
    args = parse_args(argv)
    problems = kernel_problems()
    if problems:
        print("\n".join(f"error: {problem}" for problem in problems), file=sys.stderr)
        return 1
    smoke = load_smoke_parameters(args.smoke_parameters)
    print(f"checked outputs in {' vs '.join(POLICIES)}, smoke settings, on {cpu_kind()}")
    start = time.perf_counter()
    failed = []
    for src in select_solutions(args.names, args.solutions):
        print(f"{src.stem}:", flush=True)
        found = check_lab(src, smoke.get(src.stem), args.build, args.cell_timeout or None)
        print("\n".join(f"  {problem}" for problem in found) or "  same checked outputs")
        if found:
            failed.append(src.stem)
    took = f"{time.perf_counter() - start:.0f} s"
    if failed:
        print(f"\n{len(failed)} lab(s) differ between precisions: {', '.join(failed)} ({took})")
        return 1
    print(f"\nevery lab's checked outputs agree between precisions ({took})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
