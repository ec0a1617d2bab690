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
    python -m tools.cross_precision --emulated-budget 300

On a CPU without native bfloat16 (AVX2 only) the bfloat16 half is emulated, several times slower
than float32, and checking every lab would cost CI much of its time there. ``--emulated-budget``
bounds it on such a CPU only: labs run cheapest first, and once the budget is spent no further lab
starts; those are named as not checked here (a CPU with fast bfloat16 checks them all, and CI's
machine changes kind). Exit status 1 when a lab fails to run, a checked output differs, or one
holds a log line.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

import nbformat

from helpers.config import PRECISION_ENV, REPO
from helpers.machine import cpu_has_fast_bfloat16, cpu_kind
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

#: The labs, cheapest check first (measured at smoke settings on an Intel Xeon with AMX), so that
#: a budget spent on a slow CPU leaves out as few labs as possible.
CHEAPEST_FIRST = (
    "02_cats_dogs_baseline",
    "01_mnist_convnet",
    "03_data_augmentation",
    "05_transfer_learning",
    "04_chest_xray_lab",
)


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
    parser.add_argument(
        "--emulated-budget",
        type=float,
        default=0,
        metavar="SECONDS",
        help="on a CPU without native bfloat16, start no further lab once this many seconds are "
        "spent (0: no limit)",
    )
    return parser.parse_args(argv)


def cheapest_first(sources: list[Path]) -> list[Path]:
    """The labs in the order of ``CHEAPEST_FIRST``; labs it does not know come last."""
    rank = {stem: i for i, stem in enumerate(CHEAPEST_FIRST)}
    return sorted(sources, key=lambda src: (rank.get(src.stem, len(rank)), src.stem))


def main(argv: list[str] | None = None) -> int:
    """Check every chosen lab; print what differs; 1 if anything does."""
    args = parse_args(argv)
    problems = kernel_problems()
    if problems:
        print("\n".join(f"error: {problem}" for problem in problems), file=sys.stderr)
        return 1
    smoke = load_smoke_parameters(args.smoke_parameters)
    budget = 0 if cpu_has_fast_bfloat16() else args.emulated_budget
    emulated = "" if cpu_has_fast_bfloat16() else " (bfloat16 emulated: slow)"
    print(f"checked outputs in {' vs '.join(POLICIES)}, smoke settings, on {cpu_kind()}{emulated}")
    start = time.perf_counter()
    failed, unchecked = [], []
    for src in cheapest_first(select_solutions(args.names, args.solutions)):
        if budget and time.perf_counter() - start > budget:
            unchecked.append(src.stem)
            continue
        print(f"{src.stem}:", flush=True)
        found = check_lab(src, smoke.get(src.stem), args.build, args.cell_timeout or None)
        print("\n".join(f"  {problem}" for problem in found) or "  same checked outputs")
        if found:
            failed.append(src.stem)
    took = f"{time.perf_counter() - start:.0f} s"
    if unchecked:
        print(
            f"\nnot checked on this machine, the budget of {budget:g} s being spent: "
            f"{', '.join(unchecked)} (a CPU with fast bfloat16 checks every lab)"
        )
    if failed:
        print(f"\n{len(failed)} lab(s) differ between precisions: {', '.join(failed)} ({took})")
        return 1
    print(f"\nevery lab's checked outputs agree between precisions ({took})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
