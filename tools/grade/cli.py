"""The command line: arguments, the checks that grading can run, the gradebook written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpers.config import REPO
from tools.grade import GradingError
from tools.grade.classroom import grade_class
from tools.grade.course import course_labs
from tools.grade.gradebook import render_html, summary, write_csv
from tools.grade.isolate import DEFAULT_TIMEOUT, worker


def data_problems() -> list[str]:
    """The course's data sets that are neither in the cache nor in the mirror (would download)."""
    from helpers.data.fetch import source_of
    from helpers.data.registry import ARTIFACTS

    says = {
        "download": "would be downloaded",
        "derive": "would be derived from its public source (a 1.2 GB download)",
        "missing": "is in no mirror and has no public download",
    }
    found = {artifact: source_of(artifact) for artifact in ARTIFACTS.values()}
    return [
        f"{artifact.name} ({artifact.filename}) {says[where]}"
        for artifact, where in found.items()
        if not artifact.optional and where not in ("cache", "mirror")
    ]


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
