"""Resumable downloads, checked by size and sha256 before they are moved into place.

Bytes go to ``<file>.partial`` beside a record of the URL, the server's validator and the total;
a dropped or interrupted download resumes with HTTP Range (``If-Range``: a changed file starts
over). A ``filelock.FileLock`` makes a second process wait for the first.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

from filelock import FileLock, Timeout
from tqdm import tqdm

from helpers.config import MIRROR_ENV
from helpers.data.errors import DataError
from helpers.data.registry import Artifact
from helpers.data.store import (
    CHUNK,
    bar,
    install_file,
    say,
    sha256_of,
    verified_cache_hash,
    write_text,
)

__all__ = ["download"]

#: Seconds before a download stalls out.
TIMEOUT = 60
#: Times a download that stopped half-way is resumed within one fetch before giving up.
RESUME_ATTEMPTS = 3
size_of = tqdm.format_sizeof


def discard(partial: Path) -> None:
    """Delete a partial download and its record."""
    partial.unlink(missing_ok=True)
    Path(f"{partial}.json").unlink(missing_ok=True)


def kept_note(partial: Path) -> str:
    """A sentence saying where the bytes downloaded so far are kept (empty when there are none)."""
    if not (size := partial.stat().st_size if partial.is_file() else 0):
        return ""
    return (
        f" The {size_of(size, 'B')} so far are kept in {partial}: run the command again to resume."
    )


def content_range(headers) -> tuple[int | None, int | None]:
    """(first byte, total length) from a Content-Range header such as ``bytes 100-199/200``."""
    found = re.fullmatch(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)", headers.get("Content-Range", ""))
    start, total = found.groups() if found else (None, None)
    return (int(start) if start else None), (int(total) if total and total != "*" else None)


def request_rest(artifact: Artifact, partial: Path, progress: bool) -> tuple[int, int | None, int]:
    """Append the rest of the file to ``partial`` with one request: (size, total, new bytes).

    A partial file of another URL or bigger than expected, a server that cannot resume (416) or
    resumes at the wrong place makes it start over; one that sends the whole file is taken whole.
    """
    offset = partial.stat().st_size if partial.is_file() else 0
    try:
        record = json.loads(Path(f"{partial}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    validator, total = record.get("validator"), record.get("total")
    expected = artifact.size if artifact.size is not None else total
    if offset and record.get("url") != artifact.url:
        problem = f"{partial.name} is from another download"
    elif offset and expected is not None and offset > expected:
        problem = f"{partial.name} has {offset:,} bytes, more than the {expected:,} expected"
    elif offset and offset == total:
        return offset, total, 0  # complete: the last run stopped before verifying
    else:
        headers = {"User-Agent": "cnn-labs"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if validator:
                headers["If-Range"] = validator  # the file changed: the server sends it whole
        try:
            request = urllib.request.Request(str(artifact.url), headers=headers)
            response = urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as error:
            if error.code != 416 or not offset:
                raise
            if content_range(error.headers)[1] == offset:
                return offset, offset, 0
            problem = f"the server cannot resume {partial.name}"
        else:
            with response:
                start, total = content_range(response.headers)
                length = response.headers.get("Content-Length", "")
                length = int(length) if length.isdigit() else None
                wrong = offset and start != offset
                problem = "the server resumed at the wrong place" if wrong else ""
                if offset and response.status != 206:  # no Range support, or a changed file
                    message = "the server sent the whole file again; starting over"
                    say(f"{artifact.name}: {message}", progress)
                if response.status != 206:
                    offset, total, problem = 0, length, ""
                elif total is None and length:
                    total = offset + length
                if not problem:
                    etag = response.headers.get("ETag", "")
                    validator = etag if etag and not etag.startswith("W/") else None
                    validator = validator or response.headers.get("Last-Modified")
                    record = {"url": artifact.url, "validator": validator, "total": total}
                    write_text(Path(f"{partial}.json"), json.dumps(record) + "\n")
                    return append(artifact, response, partial, offset, total, progress)
    say(f"{artifact.name}: {problem}; starting over", progress)
    discard(partial)
    return request_rest(artifact, partial, progress)


def append(artifact: Artifact, response, partial: Path, offset: int, total, progress: bool):
    """Write the body after the first ``offset`` bytes of ``partial``: (size, total, new bytes)."""
    if total is not None:
        size = size_of(total, "B")
    elif artifact.approx_size is not None:
        size = f"size not announced, about {size_of(artifact.approx_size, 'B')}"
    else:
        size = "size not announced"
    resuming = f", resuming after {size_of(offset, 'B')}" if offset else ""
    say(f"{artifact.name}: downloading {artifact.filename} ({size}{resuming})", progress)
    written = 0
    with (
        open(partial, "r+b" if offset else "wb") as out,
        bar(progress, artifact.filename, total or artifact.size, offset) as shown,
    ):
        out.seek(offset)
        out.truncate()
        with suppress(OSError, http.client.HTTPException):  # a drop: keep what arrived
            while chunk := response.read(CHUNK):
                out.write(chunk)
                written += len(chunk)
                shown.update(len(chunk))
    return offset + written, total, written


def download(artifact: Artifact, target: Path, progress: bool) -> str:
    """Download into the cache (resumable), check the size and sha256; returns the sha256."""
    if artifact.url is None:
        unverified = f" ({target} exists but was never verified.)" if target.exists() else ""
        raise DataError(
            f"{artifact.filename} ({artifact.name}) has no public download and is not in the "
            f"data mirror.{unverified} Set {MIRROR_ENV} to a folder that has it and its "
            f"SHA256SUMS line, e.g. `export {MIRROR_ENV}=$PWD/../shared/data` (or `make data "
            f"MIRROR=...`), then run `python -m helpers.data fetch {artifact.name}` again."
        )
    partial, lock = target.with_name(target.name + ".partial"), FileLock(f"{target}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"{artifact.name}: another process is downloading {target.name}; waiting", progress)
        lock.acquire()
    try:
        digest = verified_cache_hash(target)  # the process we waited for may have finished it
        if digest is not None:
            return digest
        say(f"{artifact.name}: from {artifact.url}", progress)
        for attempt in range(RESUME_ATTEMPTS + 1):
            try:
                size, total, written = request_rest(artifact, partial, progress)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
                raise DataError(
                    f"downloading {artifact.url} failed: {e}.{kept_note(partial)} Check the "
                    f"internet connection and try again, or set {MIRROR_ENV} to a folder that "
                    f"holds {artifact.filename} and its SHA256SUMS line (e.g. ../shared/data "
                    "beside the repository)."
                ) from e
            expected = total if total is not None else artifact.size
            if expected is None or size >= expected:
                break
            if not written or attempt == RESUME_ATTEMPTS:
                raise DataError(
                    f"the download of {artifact.url} stopped after {size:,} of {expected:,} "
                    f"bytes (tried {attempt + 1} time(s)).{kept_note(partial)} Check the internet "
                    f"connection, or set {MIRROR_ENV} to a folder that holds {artifact.filename}."
                )
            dropped = f"{size_of(size, 'B')} of {size_of(expected, 'B')}"
            say(f"{artifact.name}: the connection dropped after {dropped}; resuming", progress)
        size, digest = partial.stat().st_size, sha256_of(partial)
        problem = ""
        if artifact.size is not None and size != artifact.size:
            problem = f"has {size:,} bytes but {artifact.filename} should have {artifact.size:,}"
        elif artifact.sha256 and digest != artifact.sha256:
            problem = f"has sha256 {digest}, but {artifact.filename} should have {artifact.sha256}"
        if problem:
            discard(partial)
            raise DataError(
                f"the download of {artifact.url} {problem}; it was discarded. Try again, or use "
                f"the mirror ({MIRROR_ENV})."
            )
        install_file(partial, target, digest)
        discard(partial)
        with suppress(OSError):  # done: a waiting process finds the file (Windows keeps the lock)
            Path(lock.lock_file).unlink()
    finally:
        lock.release()
    checked = "verified" if artifact.sha256 else "size checked" if artifact.size else "saved"
    unchecked = "" if artifact.sha256 else " (no published sha256)"
    say(f"{artifact.name}: downloaded and {checked}{unchecked} (sha256 {digest[:8]}...)", progress)
    return digest
