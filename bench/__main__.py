"""``python -m bench`` — the cnn-labs benchmark (``make bench``); ``--help`` lists the options.

python -m bench                      # everything, full settings (≤ 20 min on 2 cores)
python -m bench --quick              # tiny settings, for development (build/bench-quick/)
python -m bench --parts accuracy     # only some parts: pipeline, throughput, accuracy, course
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench.settings import FULL, PARTS, QUICK, Settings  # noqa: E402


def parse_args(argv: list[str] | None = None) -> Settings:
    """The Settings for a command line: a preset, then any overrides."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark cnn-labs against the classic cats-vs-dogs tutorial on this machine.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny settings for development (not results)"
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        help=f"run only these parts (default: all, in the order {', '.join(PARTS)})",
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (default: bench/, quick: build/bench-quick/)"
    )
    parser.add_argument("--repeats", type=int, help="time-to-accuracy repetitions of each pipeline")
    parser.add_argument("--classic-cap-epochs", type=int, help="most epochs of a classic run")
    parser.add_argument("--classic-cap-seconds", type=float, help="most seconds of a classic run")
    parser.add_argument(
        "--thresholds", type=float, nargs="+", help="validation accuracies to time (e.g. 0.7 0.75)"
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    overrides = {
        "parts": tuple(p for p in PARTS if p in args.parts) if args.parts else None,
        "out_dir": args.out,
        "repeats": args.repeats,
        "classic_cap_epochs": args.classic_cap_epochs,
        "classic_cap_seconds": args.classic_cap_seconds,
        "thresholds": tuple(sorted(args.thresholds)) if args.thresholds else None,
    }
    return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    from bench.runner import run

    run(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
