"""How much a lab's results vary: run it over several seeds and precisions, record min/median/max.

A seeded run repeats exactly on one kind of machine, but another CPU, or another precision, rounds
differently and lands a point or two elsewhere. A checkpoint bar must hold for all of them, so
every bar in the labs is set from spreads measured with this tool, and stored in
``solutions/spreads.json`` (``tests/test_bars.py`` checks the bars against it).

Each run is the real lab, executed by papermill on the course's kernel with ``SEED`` (and any
``--set NAME=VALUE``) injected, and ``CNN_LABS_PRECISION`` set to the precision; its metrics are
what the lab records with ``h.record_results``. Runs are appended to the output file as they
finish, so an interrupted measurement resumes where it stopped.

Usage::

    python -m tools.spread 02_cats_dogs_baseline --seeds 1 2 3 4 5 --precisions auto float32
    python -m tools.spread 02_cats_dogs_baseline --report     # the table, from what is stored
    python -m tools.spread --from-solutions 02_cats_dogs_baseline  # add `make solutions`' run

The instructor's run is a measured run too: ``--from-solutions`` stores the lab's entry in
``solutions/results.json`` (its default ``SEED``, the precision ``CNN_LABS_PRECISION`` chooses
here) instead of training the same seed a second time. Use it on the machine that made the run.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

from helpers.config import PRECISION_ENV, REPO
from helpers.machine import cpu_kind, cpu_model, machine_info, speed_flags
from helpers.spreads import SPREADS, parameter_defaults, recipe, where
from tools.notebook_io import shown, write_atomic
from tools.run_solutions import (
    DEFAULT_CELL_TIMEOUT,
    environment_variable,
    run_notebook,
    select_solutions,
)


def parse_setting(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE a Python literal (``EPOCHS=20``, ``TRAIN_SIZE=None``)."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"{value!r} is not a Python literal") from None


def load(path: Path) -> dict:
    """The stored spreads: ``{stem: {"runs": [...]}}``."""
    return json.loads(path.read_text()) if path.exists() else {}


def this_machine() -> dict:
    """How a run names the machine it ran on: the CPU's name, kind and speed flags."""
    return {"cpu": cpu_model(), "cpu_kind": cpu_kind(), "cpu_flags": speed_flags()}


def run_key(run: dict) -> tuple:
    """What makes two runs the same experiment: recipe, seed, precision, CPU kind (bars aside)."""
    recipe_text = json.dumps(run.get("recipe"), sort_keys=True)
    return (recipe_text, run["seed"], run["precision"], where(run))


def store_run(path: Path, stem: str, run: dict) -> dict:
    """Store ``run`` in place of any run of the same experiment; write the file atomically."""
    stored = load(path)
    runs = stored.setdefault(stem, {}).setdefault("runs", [])
    runs[:] = [old for old in runs if run_key(old) != run_key(run)]
    runs.append(run)
    stored[stem]["machine"] = machine_info()
    write_atomic(path, json.dumps(stored, indent=1, sort_keys=True) + "\n")
    return run


def effective_precision(precision: str) -> str:
    """The policy a lab computes in on this machine when CNN_LABS_PRECISION is ``precision``."""
    if precision != "auto":
        return precision
    from helpers.training import choose_precision

    with environment_variable(PRECISION_ENV, "auto"):
        return choose_precision()[0]


def measure(
    src: Path,
    seeds: list[int],
    precisions: list[str],
    settings: dict,
    path: Path,
    build: Path,
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT,
) -> list[dict]:
    """Run the lab for every seed × precision not yet stored; store each run as it finishes.

    ``auto`` is stored as the policy it means here (e.g. float32 on a CPU without bfloat16), so
    that the same experiment is never run twice under two names.
    """
    machine = this_machine()
    precisions = list(dict.fromkeys(effective_precision(p) for p in precisions))
    done = {run_key(run) for run in load(path).get(src.stem, {}).get("runs", []) if run["ok"]}
    new = []
    for precision in precisions:
        for seed in seeds:
            run = {"seed": seed, "precision": precision, "settings": settings, **machine}
            run["recipe"] = recipe(src, settings)
            if run_key(run) in done:
                print(f"{src.stem} seed {seed} {precision}: already measured", flush=True)
                continue
            out = build / "spread" / src.stem / f"seed{seed}-{precision}.ipynb"
            # One build folder per seed and precision: a later lab sees the earlier lab's run
            # with the same seed and precision (Lab 3 compares with Lab 2), never the instructor's.
            lab_build = build / "spread" / "build" / f"seed{seed}-{precision}"
            with environment_variable(PRECISION_ENV, precision):
                parameters = {**settings, "SEED": seed}
                result = run_notebook(
                    src, out, parameters, build=lab_build, cell_timeout=cell_timeout
                )
            run |= {
                "ok": result.ok,
                "error": result.error,
                "seconds": round(result.seconds, 1),
                "metrics": result.metrics,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            store_run(path, src.stem, run)  # replaces a failed earlier try
            status = "ok" if result.ok else f"FAILED: {result.error}"
            metrics = " · ".join(
                f"{k} {v:.4g}" for k, v in sorted(result.metrics.items()) if isinstance(v, float)
            )
            took = f"{result.seconds:.0f} s"
            print(f"{src.stem} seed {seed} {precision}: {status} ({took}) {metrics}", flush=True)
            new.append(run)
    return new


def record_solution_run(src: Path, path: Path) -> dict:
    """Store the lab's last ``make solutions`` run (``solutions/results.json``) as a spread run.

    It replaces a stored run of the same recipe, seed, precision and CPU: the same experiment.
    """
    results_path = src.parent / "results.json"
    results = json.loads(results_path.read_text())
    entry = results["labs"].get(src.stem)
    if entry is None:
        raise SystemExit(f"{src.stem}: no run in {shown(results_path)}: run `make solutions` first")
    machine = this_machine()
    # Older results name only the processor; newer ones the kind of CPU each lab ran on.
    made_on = entry.get("cpu_kind") or results["machine"].get("processor")
    if made_on not in (machine["cpu_kind"], machine["cpu"]):
        raise SystemExit(
            f"{src.stem}: {shown(results_path)} was made on {made_on!r}, not on this kind of "
            f"machine ({machine['cpu_kind']!r}): record it on the machine that made it"
        )
    run = {
        "seed": parameter_defaults(src)["SEED"],
        "precision": effective_precision(os.environ.get(PRECISION_ENV, "auto")),
        "settings": {},
        **machine,
        "recipe": recipe(src, {}),
        "ok": True,
        "error": "",
        "seconds": entry["seconds"],
        "metrics": {
            k: v
            for k, v in entry.items()
            if k not in ("seconds", "finished", "cpu_kind", "cpu_flags")
        },
        "finished": entry["finished"],
        "source": "make solutions",
    }

    return store_run(path, src.stem, run)


def summary(runs: list[dict]) -> dict[str, dict[str, float]]:
    """min / median / max / n of every numeric metric over the successful runs."""
    values: dict[str, list[float]] = {}
    for run in runs:
        if not run["ok"]:
            continue
        for key, value in run["metrics"].items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                values.setdefault(key, []).append(float(value))
    return {
        key: {"min": min(v), "median": statistics.median(v), "max": max(v), "n": len(v)}
        for key, v in sorted(values.items())
    }


def report(stem: str, runs: list[dict], current: dict | None = None) -> str:
    """A text table per recipe × precision × CPU kind: min / median / max of each metric.

    With ``current`` (the lab's recipe today), other recipes are labelled by how they differ.
    """
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        key = (json.dumps(run.get("recipe"), sort_keys=True), run["precision"], where(run))
        groups.setdefault(key, []).append(run)
    lines = []
    for (recipe_text, precision, cpu), group in groups.items():
        seeds = sorted(run["seed"] for run in group)
        failed = [run["seed"] for run in group if not run["ok"]]
        differs = {
            name: value
            for name, value in (json.loads(recipe_text) or {}).items()
            if current is not None and current.get(name) != value
        }
        which = "today's recipe" if not differs else f"an older recipe ({differs})"
        lines.append(f"{stem} · {which} · {precision} · {cpu} · seeds {seeds}")
        if failed:
            lines.append(f"  failed runs (seeds): {failed}")
        for key, s in summary(group).items():
            lines.append(
                f"  {key:<34} min {s['min']:>10.4g}  median {s['median']:>10.4g}  "
                f"max {s['max']:>10.4g}  (n={s['n']})"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    description = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m tools.spread", description=description)
    parser.add_argument("names", nargs="+", metavar="NAME", help="solution stems or paths")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["auto", "float32"],
        choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"],
        help="values of CNN_LABS_PRECISION (auto: the lab's own choice on this machine)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        type=parse_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter of the lab for every run",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT,
        metavar="SECONDS",
        help="most seconds one cell may run (0: no limit; default: %(default)s)",
    )
    parser.add_argument("--report", action="store_true", help="only print what is stored")
    parser.add_argument(
        "--from-solutions",
        action="store_true",
        help="store the labs' last `make solutions` runs (solutions/results.json) as runs",
    )
    parser.add_argument("--out", type=Path, default=SPREADS, help="default: %(default)s")
    parser.add_argument("--build", type=Path, default=REPO / "build", help="default: %(default)s")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure (unless --report), then print the table of every named lab."""
    args = parse_args(argv)
    sources = select_solutions(args.names, args.solutions)
    if args.from_solutions:
        for src in sources:
            run = record_solution_run(src, args.out)
            print(f"{src.stem}: stored the solution's run (seed {run['seed']}, {run['precision']})")
    elif not args.report:
        for src in sources:
            measure(
                src,
                args.seeds,
                args.precisions,
                dict(args.settings),
                args.out,
                args.build,
                cell_timeout=args.cell_timeout or None,
            )
    stored = load(args.out)
    for src in sources:
        runs = stored.get(src.stem, {}).get("runs", [])
        table = report(src.stem, runs, recipe(src, {})) if runs else None
        print(table or f"{src.stem}: nothing in {shown(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
