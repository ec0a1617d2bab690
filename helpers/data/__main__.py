"""The data command line: ``python -m helpers.data fetch NAME|all`` and ``info``.

Exit codes: 0 success, 2 a data problem (the message on stderr says what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from tqdm import tqdm

from helpers.config import DATA_ENV, MIRROR_ENV, data_dir, mirror_dir
from helpers.data.errors import DataError
from helpers.data.fetch import fetch, locate
from helpers.data.registry import ARTIFACTS, Artifact, get_artifact

DESCRIPTION = """Fetch and list the course's data: from the offline mirror ($CNN_LABS_MIRROR,
checked against its SHA256SUMS), the cache ($CNN_LABS_DATA, default <repo>/data) or the internet
(the chest X-ray subset is derived from its 1.2 GB public source), always verified."""


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print warnings as one plain ``warning:`` line, without the source location."""
    print(f"warning: {message}", file=sys.stderr)


def where_and_size(artifact: Artifact) -> tuple[str, int | None, str]:
    """Where ``locate`` says an artifact would come from, its size in bytes, and "about " or ""."""
    source = locate(artifact)
    if source.kind == "derived":
        return "cache", sum(p.stat().st_size for p in source.path.rglob("*") if p.is_file()), ""
    if source.kind in ("cache", "mirror"):
        return source.kind, source.path.stat().st_size, ""
    if source.kind == "derive":  # the size of the public download it is made from, if needed
        origin = get_artifact(str(artifact.derived_from))
        needed = locate(origin).kind not in ("cache", "mirror")
        return f"derived from {origin.name}", needed and origin.approx_size or None, "about "
    if source.kind == "download":
        size = artifact.size or artifact.approx_size
        return "download", size, "" if artifact.size else "about "
    return "unavailable", None, ""


def run_info(args: argparse.Namespace) -> int:
    """``info``: the settings, then each artifact: where it would come from, size, licence."""
    mirror = mirror_dir() or "not set"
    broken = "  <- DOES NOT EXIST: fix or unset it" if mirror_dir() and not mirror.is_dir() else ""
    print(f"cache : {data_dir()}  ({DATA_ENV})\nmirror: {mirror}  ({MIRROR_ENV}){broken}\n")
    rows = [("name", "from", "size", "licence")]
    for artifact in ARTIFACTS.values():
        try:
            where, size, about = where_and_size(artifact)
        except DataError:  # a mirror setting that points nowhere: said above
            where, size, about = "unknown (mirror setting)", None, ""
        size_text = about + tqdm.format_sizeof(size, "B") if size else "-"
        rows.append((artifact.name, where, size_text, artifact.licence))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[3]]))
    print("\nfrom: where fetch takes it now (a derived artifact's size: its source's download)")
    return 0


def fetch_all(progress: bool) -> int:
    """Fetch every artifact the mirror, cache or internet can provide; returns the exit code."""
    # Decided up front: a source archive one fetch keeps does not add an optional artifact.
    decided = [(artifact, locate(artifact).kind) for artifact in ARTIFACTS.values()]
    failures = 0
    for artifact, kind in decided:
        if artifact.optional and kind not in ("cache", "derived", "mirror"):
            how = "a download" if artifact.url else "only in the course mirror"
            print(f"skip {artifact.name}: optional ({how}); fetch it by name to get it")
        elif kind == "missing":
            print(
                f"skip {artifact.name}: {artifact.filename} has no public download and is not in "
                f"the mirror; set {MIRROR_ENV} to a folder that has it"
            )
        else:
            try:
                print(f"{artifact.name}: {fetch(artifact, progress=progress)}", flush=True)
            except DataError as error:
                print(f"error: {artifact.name}: {error}", file=sys.stderr)
                failures += 1
    return 2 if failures else 0


def run_fetch(args: argparse.Namespace) -> int:
    """``fetch NAME|all``: fetch and print the path produced."""
    if args.name == "all":
        return fetch_all(not args.quiet)
    print(fetch(args.name, progress=not args.quiet))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fetch_command = commands.add_parser("fetch", help="fetch NAME or all; print the paths")
    fetch_command.add_argument("name", metavar="NAME", help=", ".join([*ARTIFACTS, "all"]))
    fetch_command.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    fetch_command.set_defaults(run=run_fetch)
    info = commands.add_parser("info", help="where each artifact comes from, size, licence")
    info.set_defaults(run=run_info)
    args = parser.parse_args(argv)
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
