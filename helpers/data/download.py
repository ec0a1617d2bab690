"""Resumable downloads into the cache, checked by size and sha256 before they are moved into place.

The bytes go to ``<file>.partial``, beside a record of the URL, the server's validator (ETag or
Last-Modified) and the total. A dropped connection is resumed with an HTTP Range request guarded by
``If-Range``, so a file that changed on the server starts over; an interrupted run leaves the
partial file for the next run to resume. A ``filelock.FileLock`` keeps a second process waiting
until the first is done.
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
from helpers.data.store import bar, install_file, say, sha256_of, verified_cache_hash, write_text

__all__ = ["download", "partial_of"]

#: Bytes read at a time.
CHUNK = 1 << 20
#: Seconds before a download stalls out.
TIMEOUT = 60
#: Times a download that stopped half-way is resumed within one fetch before giving up.
RESUME_ATTEMPTS = 3
size_of = tqdm.format_sizeof


def partial_of(target: Path) -> Path:
    """Where the download of ``target`` is written until it is complete and verified."""
    return target.with_name(target.name + ".partial")


def discard(partial: Path) -> None:
    """Delete a partial download and its record."""
    partial.unlink(missing_ok=True)
    Path(f"{partial}.json").unlink(missing_ok=True)


def kept_note(partial: Path) -> str:
    """A sentence saying where the bytes downloaded so far are kept (empty when there are none)."""
    size = partial.stat().st_size if partial.is_file() else 0
    if not size:
        return ""
    return (
        f" The {size_of(size, 'B')} downloaded so far are kept in {partial}: running the command "
        "again resumes the download from there."
    )


def read_resume(artifact: Artifact, partial: Path, progress: bool) -> tuple[int, str | None, int]:
    """(bytes on disk, validator, total) of the partial download; a stale one is deleted."""
    offset = partial.stat().st_size if partial.is_file() else 0
    try:
        record = json.loads(Path(f"{partial}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    expected = artifact.size if artifact.size is not None else record.get("total")
    problem = ""
    if offset and record.get("url") != artifact.url:
        problem = "is from another download"
    elif offset and expected is not None and offset > expected:
        problem = f"has {offset:,} bytes, more than the {expected:,} expected"
    if problem:
        say(f"{artifact.name}: {partial.name} {problem}; starting over", progress)
    if problem or not offset:
        discard(partial)
        return 0, None, None
    return offset, record.get("validator"), record.get("total")


def content_range(headers) -> tuple[int | None, int | None]:
    """(first byte, total length) from a Content-Range header such as ``bytes 100-199/200``."""
    found = re.fullmatch(
        r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", headers.get("Content-Range", "")
    )
    if not found:
        return None, None
    start, total = found.groups()
    return (int(start) if start else None), (int(total) if total != "*" else None)


def request_rest(artifact: Artifact, partial: Path, progress: bool) -> tuple[int, int | None, int]:
    """One request for the rest of the file, appended to ``partial``: (size, total, new bytes)."""
    offset, validator, total = read_resume(artifact, partial, progress)
    if offset and offset == total:
        return offset, total, 0  # complete: the last run stopped before verifying
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
            resumed = offset and response.status == 206
            problem = "the server resumed at the wrong place" if resumed and start != offset else ""
            if not resumed:
                if offset:  # no Range support, or the file changed (If-Range): take it whole
                    say(
                        f"{artifact.name}: the server sent the whole file again; starting over",
                        progress,
                    )
                offset, total = 0, length
            elif total is None and length:
                total = offset + length
            if not problem:
                etag = response.headers.get("ETag") or ""
                validator = etag if etag and not etag.startswith("W/") else None
                validator = validator or response.headers.get("Last-Modified")
                record = {"url": artifact.url, "validator": validator, "total": total}
                write_text(Path(f"{partial}.json"), json.dumps(record) + "\n")
                return append(artifact, response, partial, offset, total, progress)
    say(f"{artifact.name}: {problem}; starting over", progress)
    discard(partial)
    return request_rest(artifact, partial, progress)


def append(
    artifact: Artifact, response, partial: Path, offset: int, total: int | None, progress: bool
) -> tuple[int, int | None, int]:
    """Write the body after the first ``offset`` bytes of ``partial``: (size, total, new bytes).

    A connection that drops half-way just ends the body early: the bytes that arrived stay.
    """
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
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException):
                break  # the connection dropped: keep what arrived, the caller resumes
            if not chunk:
                break
            out.write(chunk)
            written += len(chunk)
            shown.update(len(chunk))
    return offset + written, total, written


def download_into(artifact: Artifact, partial: Path, progress: bool) -> None:
    """Download into ``partial`` until complete, resuming after dropped connections."""
    for attempt in range(RESUME_ATTEMPTS + 1):
        try:
            size, total, written = request_rest(artifact, partial, progress)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            raise DataError(
                f"downloading {artifact.url} failed: {error}.{kept_note(partial)} Check the "
                f"internet connection and try again, or set {MIRROR_ENV} to a folder that holds "
                f"{artifact.filename} and its SHA256SUMS line (e.g. ../shared/data beside the "
                "repository)."
            ) from error
        expected = total if total is not None else artifact.size
        if expected is None or size >= expected:
            return
        if not written:
            break
        if attempt < RESUME_ATTEMPTS:
            say(
                f"{artifact.name}: the connection dropped after {size_of(size, 'B')} of "
                f"{size_of(expected, 'B')}; resuming",
                progress,
            )
    raise DataError(
        f"the download of {artifact.url} stopped after {size:,} of {expected:,} bytes (tried "
        f"{attempt + 1} time(s)).{kept_note(partial)} Check the internet connection, or set "
        f"{MIRROR_ENV} to a folder that holds {artifact.filename}."
    )


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
    partial = partial_of(target)
    lock = FileLock(f"{target}.lock")
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
        download_into(artifact, partial, progress)
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
    checked = (
        "verified"
        if artifact.sha256
        else "size checked (no published sha256)"
        if artifact.size
        else "saved (no published size or sha256)"
    )
    say(f"{artifact.name}: downloaded and {checked} (sha256 {digest[:8]}...)", progress)
    return digest
