"""Resumable downloads into the cache, checked by size and sha256 before they are moved into place.

The registry URL is downloaded into ``<file>.partial`` next to the target, with its size announced
first and a progress bar. A dropped connection is resumed with an HTTP Range request
(``If-Range`` guards against a file that changed on the server); an interrupted run leaves the
partial file for the next run to resume. A lock beside it, refreshed while bytes flow, keeps two
processes from writing to one partial file. The size and sha256 are checked when the registry
knows them, and only then is the file moved into place; a mismatch discards the download.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tqdm import tqdm

from helpers.config import MIRROR_ENV
from helpers.data.errors import DataError
from helpers.data.registry import Artifact
from helpers.data.store import human_size, install_file, say, sha256_of, short, temporary_file

__all__ = ["download", "partial_of"]

#: Bytes read at a time.
CHUNK = 1 << 20
#: Seconds before a download stalls out.
TIMEOUT = 60
#: Suffix of a download in progress. It is kept when a download stops, so the next run resumes it.
PARTIAL_SUFFIX = ".partial"
#: Suffix of the record beside a partial download: its URL, the server's validator, the total.
RESUME_SUFFIX = ".json"
#: Suffix of the lock that keeps two processes from writing to one partial download.
LOCK_SUFFIX = ".lock"
#: A lock not refreshed for this many seconds belongs to a download that died.
LOCK_STALE_AFTER = 180
#: Seconds between refreshes of the lock while a download runs.
HEARTBEAT = 5
#: Times a download that stopped half-way is resumed within one fetch before giving up.
RESUME_ATTEMPTS = 3


def partial_of(target: Path) -> Path:
    """Where the download of ``target`` is written until it is complete and verified."""
    return target.with_name(target.name + PARTIAL_SUFFIX)


def resume_record_of(partial: Path) -> Path:
    """The record of what a partial download is a part of."""
    return partial.with_name(partial.name + RESUME_SUFFIX)


def discard_partial(partial: Path) -> None:
    """Delete a partial download and its record."""
    partial.unlink(missing_ok=True)
    resume_record_of(partial).unlink(missing_ok=True)


def no_download_message(artifact: Artifact, target: Path) -> str:
    """Why a file without a public URL cannot be fetched, and how to point at a mirror."""
    unverified = f" ({target} exists but was never verified.)" if target.exists() else ""
    return (
        f"{artifact.filename} ({artifact.name}) has no public download and is not in the data "
        f"mirror.{unverified} Set {MIRROR_ENV} to a folder that has it and its SHA256SUMS line, "
        f"e.g. `export {MIRROR_ENV}=$PWD/../shared/data` (or `make data MIRROR=...`), then run "
        f"`python -m helpers.data fetch {artifact.name}` again."
    )


def kept_partial_note(partial: Path) -> str:
    """A sentence saying where the bytes downloaded so far are kept (empty when there are none)."""
    size = partial.stat().st_size if partial.is_file() else 0
    if not size:
        return ""
    return (
        f" The {human_size(size)} downloaded so far are kept in {partial}: running the command "
        "again resumes the download from there."
    )


def network_message(artifact: Artifact, error: object, partial: Path | None = None) -> str:
    """What to do when the download of an artifact failed."""
    kept = kept_partial_note(partial) if partial is not None else ""
    return (
        f"downloading {artifact.url} failed: {error}.{kept} Check the internet connection and try "
        f"again, or set {MIRROR_ENV} to a folder that holds {artifact.filename} and its "
        "SHA256SUMS line (e.g. ../shared/data beside the repository)."
    )


@contextmanager
def download_lock(partial: Path) -> Iterator[Path]:
    """Hold the lock of a partial download; a DataError when another live download holds it."""
    lock = partial.with_name(partial.name + LOCK_SUFFIX)
    for attempt in range(2):
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue
            if attempt or age < LOCK_STALE_AFTER:
                raise DataError(
                    f"another download of {partial.name.removesuffix(PARTIAL_SUFFIX)} is under "
                    f"way: its lock {lock} was refreshed {age:.0f} s ago. Wait for it to finish; "
                    f"if no other download is running, delete {lock.name} and run again."
                ) from None
            lock.unlink(missing_ok=True)  # left by a download that died
    else:
        raise DataError(f"cannot create the download lock {lock}; run the command again.")
    os.write(descriptor, f"{os.getpid()}\n".encode())
    os.close(descriptor)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def read_resume(
    artifact: Artifact, partial: Path, progress: bool
) -> tuple[int, str | None, int | None]:
    """(bytes on disk, the server's validator, the total) of the partial download to resume.

    A part of another URL, or bigger than expected, is deleted: the download starts over.
    """
    offset = partial.stat().st_size if partial.is_file() else 0
    try:
        record = json.loads(resume_record_of(partial).read_text(encoding="utf-8"))
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
        discard_partial(partial)
        return 0, None, None
    return offset, record.get("validator"), record.get("total")


def write_resume(partial: Path, url: str, validator: str | None, total: int | None) -> None:
    """Record what a partial download is a part of (so a later run can resume it safely)."""
    record = resume_record_of(partial)
    with temporary_file(record) as temporary:
        text = json.dumps({"url": url, "validator": validator, "total": total})
        temporary.write_text(text + "\n", encoding="utf-8")
        os.replace(temporary, record)


def content_range(header: str | None) -> tuple[int | None, int | None]:
    """(first byte, total length) from a Content-Range header such as ``bytes 100-199/200``."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", header or "")
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total and total != "*" else None)


def validator_of(headers) -> str | None:
    """The response's strong ETag (or Last-Modified), for a safe ``If-Range`` when resuming."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")


def announce(artifact: Artifact, total: int | None, offset: int, progress: bool) -> None:
    """Say how big the download is (and where it resumes) before the bytes start to flow."""
    if total is not None:
        size = human_size(total)
    elif artifact.approx_size is not None:
        size = f"size not announced, about {human_size(artifact.approx_size)}"
    else:
        size = "size not announced"
    resuming = f", resuming after {human_size(offset)}" if offset else ""
    say(f"{artifact.name}: downloading {artifact.filename} ({size}{resuming})", progress)


def download_once(artifact: Artifact, partial: Path, progress: bool) -> tuple[int, int | None, int]:
    """One request, appended to the partial download: (bytes on disk, expected total, new bytes).

    The request asks for the rest of the file (``Range``, guarded by ``If-Range``). A server that
    sends the whole file, resumes at the wrong place or cannot resume makes it start over.
    """
    offset, validator, total = read_resume(artifact, partial, progress)
    if offset and offset == total:
        return offset, total, 0  # complete; the last run stopped before verifying
    headers = {"User-Agent": "cnn-labs"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator  # the file changed: the server sends it whole
    request = urllib.request.Request(str(artifact.url), headers=headers)
    written = None
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not offset:
            raise
        if content_range(error.headers.get("Content-Range"))[1] == offset:
            return offset, offset, 0
        problem = f"the server cannot resume {partial.name}"
    else:
        with response:
            start, total = content_range(response.headers.get("Content-Range"))
            length = response.headers.get("Content-Length")
            length = int(length) if length and length.isdigit() else None
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
                write_resume(partial, str(artifact.url), validator_of(response.headers), total)
                announce(artifact, total, offset, progress)
                written = append_response(artifact, response, partial, offset, total, progress)
    if written is None:
        say(f"{artifact.name}: {problem}; starting over", progress)
        discard_partial(partial)
        return download_once(artifact, partial, progress)
    return partial.stat().st_size, total, written


def append_response(
    artifact: Artifact, response, partial: Path, offset: int, total: int | None, progress: bool
) -> int:
    """Write the response body after the first ``offset`` bytes of ``partial``; returns its size.

    A progress bar runs. A connection that drops half-way ends the body early (the caller
    resumes); the bytes that arrived stay on disk.
    """
    lock = partial.with_name(partial.name + LOCK_SUFFIX)
    beat = time.monotonic()
    written = 0
    bar_total = total if total is not None else artifact.size
    with (
        open(partial, "r+b" if offset else "wb") as out,
        tqdm(
            total=bar_total,
            initial=offset,
            unit="B",
            unit_scale=True,
            desc=artifact.filename,
            disable=not progress,
        ) as bar,
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
            bar.update(len(chunk))
            if time.monotonic() - beat > HEARTBEAT:
                beat = time.monotonic()
                with suppress(OSError):
                    os.utime(lock)
    return written


def download_until_complete(
    artifact: Artifact, partial: Path, progress: bool
) -> tuple[int, int | None]:
    """Download into ``partial``, resuming after dropped connections; returns (size, total)."""
    attempts = 0
    while True:
        try:
            received, total, written = download_once(artifact, partial, progress)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            raise DataError(network_message(artifact, error, partial)) from error
        expected = total if total is not None else artifact.size
        if expected is None or received >= expected:
            return received, total
        attempts += 1
        if attempts > RESUME_ATTEMPTS or not written:
            raise DataError(
                f"the download of {artifact.url} stopped after {received:,} of {expected:,} "
                f"bytes (tried {attempts} time(s)).{kept_partial_note(partial)} Check the "
                f"internet connection, or set {MIRROR_ENV} to a folder that holds "
                f"{artifact.filename}."
            )
        say(
            f"{artifact.name}: the connection dropped after {human_size(received)} of "
            f"{human_size(expected)}; resuming",
            progress,
        )


def verify_download(artifact: Artifact, partial: Path) -> str:
    """Check a complete download's size and sha256; returns its sha256 or raises DataError."""
    size = partial.stat().st_size
    if artifact.size is not None and size != artifact.size:
        discard_partial(partial)
        raise DataError(
            f"the download of {artifact.url} has {size:,} bytes but {artifact.filename} should "
            f"have {artifact.size:,}; it was discarded. Try again, or use the mirror "
            f"({MIRROR_ENV})."
        )
    digest = sha256_of(partial)
    if artifact.sha256 is None or digest == artifact.sha256:
        return digest
    discard_partial(partial)
    raise DataError(
        f"the download of {artifact.url} has sha256 {digest}, but {artifact.filename} "
        f"should have {artifact.sha256}; it was discarded. Try again, or use the mirror "
        f"({MIRROR_ENV})."
    )


def download(artifact: Artifact, target: Path, progress: bool) -> str:
    """Download an artifact into the cache (resumable), check size and sha256; returns its sha256.

    The bytes go to ``<file>.partial``; if the connection drops, the download resumes with an
    HTTP Range request (here, up to RESUME_ATTEMPTS times, or on the next run). A server that
    ignores Range, a file that changed on the server (``If-Range``) or a partial file bigger than
    expected makes it start over cleanly.
    """
    if artifact.url is None:
        raise DataError(no_download_message(artifact, target))
    partial = partial_of(target)
    say(f"{artifact.name}: from {artifact.url}", progress)
    with download_lock(partial):
        download_until_complete(artifact, partial, progress)
        say(f"{artifact.name}: checking the download", progress)
        digest = verify_download(artifact, partial)
        install_file(partial, target, digest)
        discard_partial(partial)
    checked = (
        "verified"
        if artifact.sha256
        else "size checked (no published sha256)"
        if artifact.size
        else "saved (no published size or sha256)"
    )
    say(f"{artifact.name}: downloaded and {checked} (sha256 {short(digest)})", progress)
    return digest
