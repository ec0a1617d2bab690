"""``python -m bench`` — the race and the course table; ``--help`` lists the options.

python -m bench            # 2 × (classic, course) on every photo: 15-20 min on 2 quiet cores
python -m bench --quick    # 1 × each on 200 photos, 2 epochs: checks the code path only

The full run's length is set by the classic pipeline: if it never reaches the highest threshold
(80 %) it runs to its cap each time, 360 s plus the epoch under way, twice; the course's modern
convnet runs at most its 30 epochs, twice.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from helpers.config import REPO


@dataclass(frozen=True)
class Settings:
    """Every knob of one benchmark run (the full preset; ``QUICK`` below shrinks it)."""

    out: Path = REPO / "bench"
    quick: bool = False
    repeats: int = 2
    thresholds: tuple[float, ...] = (0.70, 0.75, 0.80)
    classic_cap_epochs: int = 25
    classic_cap_seconds: float = 360.0
    course_cap_epochs: int | None = None  # None: Lab 3's own EPOCHS
    train_size: int | None = None  # None: all 2,000 training photos


FULL = Settings()
QUICK = replace(
    FULL,
    out=REPO / "build" / "bench-quick",
    quick=True,
    repeats=1,
    classic_cap_epochs=2,
    classic_cap_seconds=60.0,
    course_cap_epochs=2,
    train_size=200,
)


def parse_args(argv: list[str] | None = None) -> Settings:
    """The Settings for a command line: a preset, then any overrides."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings, not results")
    parser.add_argument("--out", type=Path, help="output folder (default: bench/)")
    parser.add_argument("--repeats", type=int, help="repetitions of each pipeline")
    parser.add_argument("--thresholds", type=float, nargs="+", help="accuracies to time")
    parser.add_argument("--classic-cap-seconds", type=float, help="most seconds of a classic run")
    args = parser.parse_args(argv)
    overrides = {
        "out": args.out,
        "repeats": args.repeats,
        "thresholds": tuple(sorted(args.thresholds)) if args.thresholds else None,
        "classic_cap_seconds": args.classic_cap_seconds,
    }
    preset = QUICK if args.quick else FULL
    return replace(preset, **{k: v for k, v in overrides.items() if v is not None})


def main(argv: list[str] | None = None) -> int:
    """Race, then write the results; returns the exit status."""
    settings = parse_args(argv)
    from bench import course, race, report
    from helpers.machine import machine_info

    recipe = course.read_recipe()
    start = time.perf_counter()
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    print(f"bench: {'QUICK' if settings.quick else 'full'} run, Lab 3 recipe {recipe}", flush=True)
    results = {
        "settings": {**asdict(settings), "out": str(settings.out)},
        "machine": {**machine_info(), "load_at_start": load},
        "race": race.race(settings, recipe),
    }
    results["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()] if load else None
    results["run"] = {
        "quick": settings.quick,
        "command": " ".join(["python -m bench", shlex.join(sys.argv[1:])]).strip(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - start, 1),
        "python": platform.python_version(),
    }
    for path in report.write(results, settings.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
