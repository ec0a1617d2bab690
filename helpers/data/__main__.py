"""The data command line: ``python -m helpers.data fetch NAME|all``, ``info`` and ``check DIR``.

Exit codes: 0 success, 1 ``check`` found unreadable images or layout problems, 2 a data problem
(the message on stderr says what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from helpers.config import DATA_ENV, MIRROR_ENV, data_dir, mirror_dir
from helpers.data.derive import KEEP_SOURCE_ENV
from helpers.data.errors import DataError
from helpers.data.fetch import cached_info, fetch
from helpers.data.folders import check_image_folder
from helpers.data.plan import format_plan, make_plan
from helpers.data.registry import ARTIFACTS
from helpers.data.store import human_size

__all__ = ["human_size", "main", "parser"]

DESCRIPTION = """\
Fetch, list and check the course's data. Files come from the offline mirror ($CNN_LABS_MIRROR,
verified against its SHA256SUMS), then the cache ($CNN_LABS_DATA, default <repo>/data), then the
internet; every file is checksum-verified and written atomically. The chest X-ray subset, which
has no download of its own, is derived from its public source (about 1.2 GB) when no mirror has it;
`info` shows the plan before anything is fetched."""


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print warnings as one plain ``warning:`` line, without the source location."""
    print(f"warning: {message}", file=sys.stderr)


def fetch_all(progress: bool, keep_source: bool | None = None) -> int:
    """Fetch every artifact the mirror, cache or internet can provide; returns the exit code."""
    # Decided up front, as the plan says: what one fetch brings along (a source archive kept
    # with --keep-source) does not make an optional artifact part of this run.
    steps = make_plan(list(ARTIFACTS.values()))
    if progress:
        print("Plan:")
        print(format_plan(steps), flush=True)
        print()
    failures = 0
    for step in steps:
        if step.action in ("skip", "unavailable"):
            print(f"skip {step.name}: {step.lines[0]}")
            continue
        try:
            path = fetch(ARTIFACTS[step.name], progress=progress, keep_source=keep_source)
            print(f"{step.name}: {path}")
        except DataError as error:
            print(f"error: {step.name}: {error}", file=sys.stderr)
            failures += 1
    return 2 if failures else 0


def run_fetch(args: argparse.Namespace) -> int:
    """``fetch NAME|all``: fetch and print the path produced."""
    progress = not args.quiet
    keep_source = True if args.keep_source else None
    if args.name == "all":
        return fetch_all(progress, keep_source)
    if progress:
        step = make_plan([ARTIFACTS[args.name]] if args.name in ARTIFACTS else [])
        if any(s.internet for s in step):
            print("Plan:")
            print(format_plan(step), flush=True)
    extract = False if args.no_extract else None
    path = fetch(args.name, extract=extract, progress=progress, keep_source=keep_source)
    print(path)
    return 0


def setting_line(label: str, env: str, path: Path | None, missing: str) -> str:
    """One line describing a folder setting, and ``missing`` when the folder does not exist."""
    if path is None:
        return f"{label}: not set ({env})"
    state = "" if path.is_dir() else f"  <- {missing}"
    return f"{label}: {path}  ({env}){state}"


def info_table(rows: list[dict]) -> list[str]:
    """The artifact table: name, where its file is, source, size, licence."""
    header = ("name", "file", "where", "size", "licence")
    cells = [header]
    for row in rows:
        cells.append(
            (row["name"], row["filename"], where(row), human_size(row["size"]), row["licence"])
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in cells
    ]


def where(row: dict) -> str:
    """Where an artifact is, for the info table: in the cache, in the mirror, or missing."""
    if row["source"] == "cache":
        return "cache (derived)" if row.get("derived") else "cache"
    if row["source"] == "mirror":
        return "mirror (not copied yet)"
    if row["downloadable"]:
        return "missing (downloadable)"
    return "missing (derivable)" if row.get("derivable") else "missing (mirror only)"


def run_info(args: argparse.Namespace) -> int:
    """``info``: the cache and mirror settings and a table of every artifact."""
    print(setting_line("cache ", DATA_ENV, data_dir(), "not created yet"))
    print(setting_line("mirror", MIRROR_ENV, mirror_dir(), "DOES NOT EXIST: fix or unset it"))
    print()
    rows = cached_info()
    for line in info_table(rows):
        print(line)
    extracted = [row for row in rows if row["extracted"]]
    if extracted:
        print()
        for row in extracted:
            print(f"extracted {row['name']}: {row['extracted']}")
    print()
    print("where: cache = a verified copy in the cache folder above; mirror = copied on fetch;")
    print("       missing = fetch downloads it, derives it from its public source (derivable),")
    print("       or (mirror only) needs the mirror setting.")
    print()
    print("Plan of `python -m helpers.data fetch all` (`make data`) with these settings:")
    print(format_plan(make_plan()))
    print()
    print("Fetch with: python -m helpers.data fetch NAME|all  (citations: data/README.md)")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """``check DIR``: print a FolderReport; exit 1 when images are unreadable."""
    report = check_image_folder(args.folder, verify=not args.no_verify)
    print(report.format())
    return 0 if report.ok else 1


def parser() -> argparse.ArgumentParser:
    """The argument parser with its three subcommands."""
    main = argparse.ArgumentParser(prog="python -m helpers.data", description=DESCRIPTION)
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch_cmd = commands.add_parser(
        "fetch",
        help="fetch an artifact (or all) and print its path",
        description="Fetch an artifact into the cache, verified, and print the path it produced "
        "(for zips, the extracted folder). 'all' fetches everything the mirror, cache or "
        "internet can provide and skips, with a note, what none of them has.",
    )
    fetch_cmd.add_argument("name", metavar="NAME", help="one of: " + ", ".join([*ARTIFACTS, "all"]))
    fetch_cmd.add_argument("--no-extract", action="store_true", help="keep zips unextracted")
    fetch_cmd.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    fetch_cmd.add_argument(
        "--keep-source",
        action="store_true",
        help="keep a source archive downloaded to derive an artifact (chest_xray: the 1.2 GB "
        f"ChestXRay2017.zip); default: delete it afterwards unless {KEEP_SOURCE_ENV}=1",
    )
    fetch_cmd.set_defaults(run=run_fetch)

    info_cmd = commands.add_parser(
        "info",
        help="list the artifacts, where they are, sizes, licences, and the plan of `fetch all`",
        description="Show the cache and mirror settings, a table of every artifact, and what "
        "`fetch all` would do: what comes from where, how big it is, what is derived.",
    )
    info_cmd.set_defaults(run=run_info)

    check_cmd = commands.add_parser(
        "check",
        help="check an image folder: counts, unreadable files, junk, modes",
        description="Scan DIR (a root/<class>/ tree, or a folder of such splits like train/ and "
        "validation/), decode every image and report counts, unreadable files, skipped "
        "non-images and image modes. Exit status 1 when something is unreadable.",
    )
    check_cmd.add_argument("folder", metavar="DIR", type=Path, help="the folder to check")
    check_cmd.add_argument(
        "--no-verify", action="store_true", help="only scan the layout, do not decode images"
    )
    check_cmd.set_defaults(run=run_check)
    return main


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    warnings.showwarning = show_warning
    try:
        return args.run(args)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: no file was left half-written under its final name (a partial "
            "download is kept, so running the command again resumes it).",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
