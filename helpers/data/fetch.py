"""Verified, atomic fetching: every file comes from the offline mirror, the cache, or the internet.

For each artifact ``fetch`` looks, in order, at

1. **the mirror** (``$CNN_LABS_MIRROR``): a folder of artifacts plus a ``SHA256SUMS`` file. A
   mirror file counts only when ``SHA256SUMS`` lists it; its bytes are hashed while they are copied
   into the cache and must match that line. When the cache already holds exactly those verified
   bytes, the mirror copy is not read again (a mirror on a USB stick stays fast).
2. **the cache** (``$CNN_LABS_DATA``, default ``<repo>/data``): a file is trusted when its sha256
   matches the sidecar ``<file>.sha256`` written when it was verified. A cache copy that no longer
   matches its sidecar is corrupted: it is deleted (with a warning) and fetched again.
3. **the internet**: the registry URL is downloaded into ``<file>.partial`` next to the target,
   with its size announced first and a progress bar. A dropped connection is resumed with an HTTP
   Range request (``If-Range`` guards against a file that changed on the server); an interrupted
   run leaves the partial file for the next run to resume. The size and sha256 are checked when
   the registry knows them, and only then is the file moved into place. A mismatch with a pinned
   but *unconfirmed* sha256 (cats-and-dogs) keeps the download aside as ``<file>.unverified`` and
   says how to accept it (``accept_sha256``); a mismatch with a confirmed one discards it.

An artifact without a public download of its own (the chest X-ray subset) is derived from its
public source when neither the mirror nor the cache has it: see ``helpers.data.derive``.

Every write goes to a temporary name first and is moved into place with ``os.replace``, so an
interrupted run never leaves a half-written file or folder under its final name, and the next run
starts over cleanly (leftover temporaries older than an hour are removed; a partial download is
kept on purpose). Zips are tested, checked for unsafe paths, extracted into a temporary folder and
moved into place; a marker file inside the folder records which zip it came from, so a changed
zip is extracted afresh.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tqdm import tqdm

from helpers.config import DATA_ENV, MIRROR_ENV, data_dir, mirror_dir
from helpers.data.registry import ARTIFACTS, Artifact, DataError, get_artifact

__all__ = [
    "DataError",
    "cached_info",
    "fetch",
    "read_sha256sums",
    "sha256_of",
    "source_of",
]

#: Bytes read at a time while hashing, copying and downloading.
CHUNK = 1 << 20
#: The checksum list every mirror folder holds (``sha256sum`` format).
SUMS_FILE = "SHA256SUMS"
#: Suffix of the sidecar that records a cached file's verified sha256.
SIDECAR_SUFFIX = ".sha256"
#: File inside an extracted folder naming the zip (and its sha256) it was extracted from.
MARKER = ".cnn-labs-extracted"
#: Seconds before a download stalls out.
TIMEOUT = 60
#: Leftover temporaries older than this (seconds) belong to a run that died and are removed.
STALE_AFTER = 3600
#: Zip members that are never wanted: macOS resource forks and desktop junk.
JUNK_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}


# --- small tools ------------------------------------------------------------------------------


def say(message: str, progress: bool) -> None:
    """Print a progress line when progress output is on."""
    if progress:
        print(message, flush=True)


def sha256_of(path: Path | str) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def short(digest: str) -> str:
    """The first 8 hex digits of a hash, for progress lines."""
    return digest[:8] + "..."


def resolve(name: str | Artifact) -> Artifact:
    """An Artifact from its registry name (or the Artifact itself)."""
    return name if isinstance(name, Artifact) else get_artifact(name)


def remove_path(path: Path) -> None:
    """Delete a file, symlink or folder tree if it exists."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def copy_hashing(source: BinaryIO, target: Path, total: int | None, desc: str, progress: bool):
    """Copy a stream into ``target`` while hashing it; returns (sha256, bytes copied)."""
    digest = hashlib.sha256()
    copied = 0
    with (
        open(target, "wb") as out,
        tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=not progress) as bar,
    ):
        while chunk := source.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            copied += len(chunk)
            bar.update(len(chunk))
    return digest.hexdigest(), copied


def temporary_name(target: Path, suffix: str) -> Path:
    """A unique hidden name beside ``target``, e.g. ``.mnist.npz.1f2e3d4c.part``."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}{suffix}")


@contextmanager
def temporary_file(target: Path) -> Iterator[Path]:
    """A fresh temporary file beside ``target``, deleted afterwards unless moved into place."""
    temporary = temporary_name(target, ".part")
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def temporary_folder(target: Path) -> Iterator[Path]:
    """A fresh temporary folder beside ``target``, deleted afterwards unless moved into place."""
    temporary = temporary_name(target, ".tmp")
    temporary.mkdir()
    try:
        yield temporary
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def remove_stale_temporaries(folder: Path, stem: str) -> None:
    """Delete temporaries of ``stem`` left behind by runs that died more than an hour ago."""
    cutoff = time.time() - STALE_AFTER
    for leftover in folder.glob(f".{glob_escape(stem)}.*"):
        if leftover.suffix in (".part", ".tmp", ".old") and leftover.lstat().st_mtime < cutoff:
            remove_path(leftover)


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


# --- the cache --------------------------------------------------------------------------------


def cache_folder() -> Path:
    """The cache folder, created if needed."""
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(
            f"cannot create the data cache folder {folder} ({error.strerror}); "
            f"point {DATA_ENV} at a writable folder."
        ) from error
    return folder


def sidecar_of(path: Path) -> Path:
    """The sidecar file recording ``path``'s verified sha256."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> str | None:
    """The verified sha256 recorded for ``path``, or None when there is no readable record."""
    try:
        words = sidecar_of(path).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    return words[0].lower() if words and re.fullmatch(r"[0-9a-fA-F]{64}", words[0]) else None


def write_sidecar(path: Path, digest: str) -> None:
    """Record ``path``'s verified sha256 (in ``sha256sum -c`` format), atomically."""
    sidecar = sidecar_of(path)
    with temporary_file(sidecar) as temporary:
        temporary.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
        os.replace(temporary, sidecar)


def install_file(temporary: Path, target: Path, digest: str) -> None:
    """Move a verified temporary file into place and record its hash."""
    sidecar_of(target).unlink(missing_ok=True)
    os.replace(temporary, target)
    write_sidecar(target, digest)
    unverified_of(target).unlink(missing_ok=True)  # superseded by a verified copy


def verified_cache_hash(target: Path) -> str | None:
    """The sha256 of the cached file when it matches its sidecar; a corrupted copy is deleted."""
    recorded = read_sidecar(target)
    if recorded is None or not target.is_file():
        return None
    actual = sha256_of(target)
    if actual == recorded:
        return actual
    warnings.warn(
        f"cache copy corrupted: {target} has sha256 {actual} but {sidecar_of(target).name} "
        f"recorded {recorded} when it was verified; deleting it and fetching it again.",
        stacklevel=3,
    )
    target.unlink(missing_ok=True)
    sidecar_of(target).unlink(missing_ok=True)
    return None


def adopt_unrecorded(artifact: Artifact, target: Path) -> str | None:
    """Accept a cached file without a sidecar if it has the registry's canonical sha256."""
    if artifact.sha256 is None or not target.is_file() or read_sidecar(target) is not None:
        return None
    if sha256_of(target) != artifact.sha256:
        return None
    write_sidecar(target, artifact.sha256)
    return artifact.sha256


# --- the mirror -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MirrorCopy:
    """A file in the mirror together with the sha256 its SHA256SUMS promises."""

    path: Path
    sha256: str
    sums: Path


def read_sha256sums(path: Path) -> dict[str, str]:
    """File name -> sha256 from a ``sha256sum`` listing (``HASH  name`` or ``HASH *name``)."""
    sums: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\s*([0-9a-fA-F]{64})\s+\*?(.+?)\s*", line)
        if match:
            sums[match.group(2).removeprefix("./")] = match.group(1).lower()
    return sums


def mirror_folder() -> Path | None:
    """The mirror folder when ``$CNN_LABS_MIRROR`` is set; a DataError if it does not exist."""
    folder = mirror_dir()
    if folder is not None and not folder.is_dir():
        raise DataError(
            f"the data mirror {folder} (set by {MIRROR_ENV}) does not exist or is not a folder. "
            f"Point {MIRROR_ENV} at the folder holding the course files and SHA256SUMS "
            f"(e.g. ../shared/data beside the repository), or unset it to download instead."
        )
    return folder


def find_in_mirror(artifact: Artifact) -> MirrorCopy | None:
    """The mirror's copy of an artifact if SHA256SUMS lists it and it is present."""
    folder = mirror_folder()
    if folder is None:
        return None
    candidate = folder / artifact.filename
    sums_path = folder / SUMS_FILE
    try:
        sums = read_sha256sums(sums_path) if sums_path.is_file() else {}
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read the mirror's checksum list {sums_path}: {error}") from error
    if artifact.filename in sums:
        if not candidate.is_file():
            return None
        return MirrorCopy(candidate, sums[artifact.filename], sums_path)
    if candidate.exists():
        absent = "" if sums_path.is_file() else " (which does not exist)"
        warnings.warn(
            f"{candidate} is in the mirror but not listed in {sums_path}{absent}, so it cannot be "
            f"verified; ignoring it. If you trust it, add its line: "
            f"`sha256sum {artifact.filename} >> {SUMS_FILE}`.",
            stacklevel=3,
        )
    return None


def copy_from_mirror(artifact: Artifact, copy: MirrorCopy, target: Path, progress: bool) -> str:
    """Copy a mirror file into the cache, verifying it against SHA256SUMS; returns its sha256."""
    say(f"{artifact.name}: copying {copy.path}", progress)
    with temporary_file(target) as temporary:
        try:
            with open(copy.path, "rb") as source:
                size = copy.path.stat().st_size
                digest, _ = copy_hashing(source, temporary, size, artifact.filename, progress)
        except OSError as error:
            raise DataError(
                f"copying {copy.path} into {target.parent} failed: {error}. "
                "Check the mirror is readable and the disk has space, then run again."
            ) from error
        if digest != copy.sha256:
            raise DataError(
                f"the mirror copy {copy.path} is damaged: its sha256 is {digest}, but "
                f"{copy.sums} expects {copy.sha256}. Replace the file with a good copy (or fix "
                f"{MIRROR_ENV}); nothing was copied into the cache."
            )
        install_file(temporary, target, digest)
    note = ""
    if artifact.sha256 and digest != artifact.sha256:
        note = " (a faithful rebuild: its bytes differ from the canonical download, see notes)"
    say(f"{artifact.name}: verified against {copy.sums} (sha256 {short(digest)}){note}", progress)
    return digest


# --- downloading ------------------------------------------------------------------------------

#: Suffix of a download in progress. It is kept when a download stops, so the next run resumes it.
PARTIAL_SUFFIX = ".partial"
#: Suffix of the record beside a partial download: its URL, the server's validator, the total.
RESUME_SUFFIX = ".json"
#: Suffix of the lock that keeps two processes from writing to one partial download.
LOCK_SUFFIX = ".lock"
#: Suffix of a download kept aside because its sha256 differs from an *unconfirmed* pinned value.
UNVERIFIED_SUFFIX = ".unverified"
#: Suffix of the note beside a source archive downloaded only to derive another artifact: the
#: archive is deleted once the derivation succeeds (unless the user keeps it).
DERIVE_ONLY_SUFFIX = ".delete-after-deriving"
#: A lock not refreshed for this many seconds belongs to a download that died.
LOCK_STALE_AFTER = 180
#: Seconds between refreshes of the lock while a download runs.
HEARTBEAT = 5
#: Times a download that stopped half-way is resumed within one fetch before giving up.
RESUME_ATTEMPTS = 3


def human_size(size: int | None) -> str:
    """Bytes as a short human-readable size: 11490519 -> "11.5 MB"."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def partial_of(target: Path) -> Path:
    """Where the download of ``target`` is written until it is complete and verified."""
    return target.with_name(target.name + PARTIAL_SUFFIX)


def unverified_of(target: Path) -> Path:
    """Where a download that failed an unconfirmed sha256 is kept for the user to accept."""
    return target.with_name(target.name + UNVERIFIED_SUFFIX)


def derive_only_note(target: Path) -> Path:
    """The note saying ``target`` was downloaded only to derive another artifact from it."""
    return target.with_name(target.name + DERIVE_ONLY_SUFFIX)


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


@dataclass(frozen=True)
class Resume:
    """A partial download to continue: its bytes on disk, the server's validator, the total."""

    offset: int = 0
    validator: str | None = None
    total: int | None = None


def read_resume(artifact: Artifact, partial: Path, progress: bool) -> Resume:
    """The partial download to resume, or a fresh start (a stale or oversized part is deleted)."""
    offset = partial.stat().st_size if partial.is_file() else 0
    try:
        record = json.loads(resume_record_of(partial).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if not offset:
        discard_partial(partial)
        return Resume()
    if record.get("url") != artifact.url:
        say(f"{artifact.name}: {partial.name} is from another download; starting over", progress)
        discard_partial(partial)
        return Resume()
    total = record.get("total")
    expected = artifact.size if artifact.size is not None else total
    if expected is not None and offset > expected:
        say(
            f"{artifact.name}: {partial.name} has {offset:,} bytes, more than the {expected:,} "
            "expected; starting over",
            progress,
        )
        discard_partial(partial)
        return Resume()
    return Resume(offset, record.get("validator"), total)


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


def open_download(artifact: Artifact, resume: Resume):
    """The HTTP response for the rest of the file (``Range``), or the whole file."""
    headers = {"User-Agent": "cnn-labs"}
    if resume.offset:
        headers["Range"] = f"bytes={resume.offset}-"
        if resume.validator:
            headers["If-Range"] = resume.validator  # the file changed: the server sends it whole
    request = urllib.request.Request(str(artifact.url), headers=headers)
    return urllib.request.urlopen(request, timeout=TIMEOUT)


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
    """One request, appended to the partial download: (bytes on disk, expected total, new bytes)."""
    resume = read_resume(artifact, partial, progress)
    if resume.offset and resume.offset == resume.total:
        return resume.offset, resume.total, 0  # complete; the last run stopped before verifying
    try:
        response = open_download(artifact, resume)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not resume.offset:
            raise
        _, total = content_range(error.headers.get("Content-Range"))
        if total == resume.offset:
            return resume.offset, total, 0
        say(f"{artifact.name}: the server cannot resume {partial.name}; starting over", progress)
        discard_partial(partial)
        return download_once(artifact, partial, progress)
    with response:
        offset = resume.offset
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        if offset and response.status == 206:
            start, total = content_range(response.headers.get("Content-Range"))
            if start != offset:
                restart = "the server resumed at the wrong place"
            else:
                restart = ""
                total = total if total is not None else (offset + length if length else None)
        else:
            restart = ""
            if offset:  # no Range support, or the file changed (If-Range): take it whole
                say(
                    f"{artifact.name}: the server sent the whole file again; starting over",
                    progress,
                )
            offset, total = 0, length
        if restart:
            say(f"{artifact.name}: {restart}; starting over", progress)
            discard_partial(partial)
            offset, total = 0, None
        else:
            write_resume(partial, str(artifact.url), validator_of(response.headers), total)
            announce(artifact, total, offset, progress)
            written = append_response(artifact, response, partial, offset, total, progress)
    if restart:
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


def unconfirmed_message(artifact: Artifact, digest: str, size: int, kept: Path) -> str:
    """A sha256 mismatch against an unconfirmed value: both values, why, and how to accept."""
    return (
        f"the download of {artifact.url} has sha256 {digest}, but the course expects "
        f"{artifact.sha256} for {artifact.filename}. That expected value is UNCONFIRMED: "
        f"{artifact.sha256_unconfirmed}. So the file may well be fine (it has {size:,} bytes"
        f"{', as expected' if size == artifact.size else ''}). It was kept, unused, as {kept}. "
        f"If you trust it (it came over HTTPS from the official URL), accept it and it is "
        f"verified against that hash from then on:\n"
        f"    python -m helpers.data fetch {artifact.name} --accept-sha256 {digest}\n"
        f'(in Python: helpers.data.fetch("{artifact.name}", accept_sha256="{digest}")). '
        f"Otherwise delete {kept.name} and use the course mirror ({MIRROR_ENV})."
    )


def verify_download(
    artifact: Artifact, target: Path, partial: Path, accept_sha256: str | None
) -> str:
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
    if artifact.sha256 is None or digest == artifact.sha256 or digest == accept_sha256:
        return digest
    if artifact.sha256_unconfirmed:
        kept = unverified_of(target)
        os.replace(partial, kept)
        discard_partial(partial)
        raise DataError(unconfirmed_message(artifact, digest, size, kept))
    discard_partial(partial)
    raise DataError(
        f"the download of {artifact.url} has sha256 {digest}, but {artifact.filename} "
        f"should have {artifact.sha256}; it was discarded. Try again, or use the mirror "
        f"({MIRROR_ENV})."
    )


def checked_acceptance(artifact: Artifact, accept_sha256: str | None) -> str | None:
    """``accept_sha256`` in lower case, or a DataError when there is nothing it could accept."""
    if accept_sha256 is None:
        return None
    accept = accept_sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", accept):
        raise DataError(f"--accept-sha256 needs a sha256 (64 hex digits), got {accept_sha256!r}.")
    if not artifact.sha256_unconfirmed:
        state = "confirmed" if artifact.sha256 else "not pinned"
        raise DataError(
            f"the sha256 of {artifact.filename} is {state}, so there is no unconfirmed value to "
            "accept another file in place of; fetch it without --accept-sha256."
        )
    return accept


def accept_kept_download(artifact: Artifact, target: Path, accept: str, progress: bool) -> str:
    """Install the download kept aside earlier, once its sha256 is the one the user accepts."""
    kept = unverified_of(target)
    digest = sha256_of(kept)
    if digest != accept:
        raise DataError(
            f"{kept} has sha256 {digest}, not the {accept} you accept; nothing was changed. "
            f"Accept {digest} if you trust the file, or delete {kept.name} to download it again."
        )
    install_file(kept, target, digest)
    say(f"{artifact.name}: accepted {kept.name} with sha256 {short(digest)} as you asked", progress)
    return digest


def download(
    artifact: Artifact, target: Path, progress: bool, accept_sha256: str | None = None
) -> str:
    """Download an artifact into the cache (resumable), check size and sha256; returns its sha256.

    The bytes go to ``<file>.partial``; if the connection drops, the download resumes with an
    HTTP Range request (here, up to RESUME_ATTEMPTS times, or on the next run). A server that
    ignores Range, a file that changed on the server (``If-Range``) or a partial file bigger than
    expected makes it start over cleanly.
    """
    if artifact.url is None:
        raise DataError(no_download_message(artifact, target))
    accept = checked_acceptance(artifact, accept_sha256)
    if accept is not None and unverified_of(target).is_file():
        return accept_kept_download(artifact, target, accept, progress)
    partial = partial_of(target)
    say(f"{artifact.name}: from {artifact.url}", progress)
    with download_lock(partial):
        download_until_complete(artifact, partial, progress)
        say(f"{artifact.name}: checking the download", progress)
        digest = verify_download(artifact, target, partial, accept)
        install_file(partial, target, digest)
        discard_partial(partial)
    checked = (
        "verified"
        if artifact.sha256
        else "size checked (no published sha256)"
        if artifact.size
        else "saved (no published size or sha256)"
    )
    if accept is not None and digest == accept and digest != artifact.sha256:
        checked = "accepted with the sha256 you gave"
    say(f"{artifact.name}: downloaded and {checked} (sha256 {short(digest)})", progress)
    return digest


# --- extracting zips ----------------------------------------------------------------------------


def damaged_archive(artifact: Artifact, archive: Path, problem: str) -> DataError:
    """Delete a damaged cached zip and explain how to get it again."""
    archive.unlink(missing_ok=True)
    sidecar_of(archive).unlink(missing_ok=True)
    return DataError(
        f"{archive} {problem}; it has been deleted. Run `python -m helpers.data fetch "
        f"{artifact.name}` to fetch it again (if this repeats, the source copy is damaged)."
    )


def check_zip(artifact: Artifact, archive: Path) -> None:
    """Make sure ``archive`` is a complete zip whose members all pass their CRC check."""
    if not zipfile.is_zipfile(archive):
        raise damaged_archive(artifact, archive, "is not a complete zip archive (truncated?)")
    try:
        with zipfile.ZipFile(archive) as zipped:
            bad_member = zipped.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as error:
        raise damaged_archive(artifact, archive, f"cannot be read as a zip ({error})") from error
    if bad_member is not None:
        raise damaged_archive(artifact, archive, f"has a damaged member {bad_member}")


def is_junk_member(name: str) -> bool:
    """True for zip members nobody wants: ``__MACOSX/`` forks, ``.DS_Store`` and friends."""
    return any(part in JUNK_NAMES for part in PurePosixPath(name).parts)


def check_member_path(artifact: Artifact, archive: Path, name: str) -> None:
    """Refuse (and delete) a zip with a member that would land outside the extraction folder."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        problem = f"contains the unsafe path {name!r}, outside the extraction folder"
        raise damaged_archive(artifact, archive, problem)


def unpack(artifact: Artifact, archive: Path, folder: Path, progress: bool) -> Path:
    """Extract ``archive`` into ``folder``; returns the folder holding the content."""
    with zipfile.ZipFile(archive) as zipped:
        members = [info for info in zipped.infolist() if not is_junk_member(info.filename)]
        for info in members:
            check_member_path(artifact, archive, info.filename)
        try:
            desc = f"extracting {archive.name}"
            for info in tqdm(members, unit="file", desc=desc, disable=not progress):
                zipped.extract(info, folder)
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise damaged_archive(artifact, archive, f"failed to extract ({error})") from error
        except OSError as error:
            raise DataError(
                f"extracting {archive} into {folder.parent} failed: {error}. "
                "Check the disk has space, then run again."
            ) from error
    return unwrap_single_folder(folder)


def unwrap_single_folder(folder: Path) -> Path:
    """The zip's top-level folder if it has just one (the usual layout), else ``folder``."""
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder


def marker_text(artifact: Artifact, archive: Path, digest: str) -> str:
    """The marker text of an extracted folder: the zip's hash and name (and prepare step)."""
    text = f"{digest}  {archive.name}\n"
    if artifact.prepare is not None:
        text += f"prepare: {getattr(artifact.prepare, '__qualname__', repr(artifact.prepare))}\n"
    return text


def read_marker(folder: Path) -> str | None:
    """The marker text of an extracted folder, or None when it has none."""
    try:
        return (folder / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def install_folder(content: Path, final: Path, marker: str) -> None:
    """Move a fully extracted folder into place, replacing any older one."""
    aside = temporary_name(final, ".old")
    if final.exists() or final.is_symlink():
        os.replace(final, aside)
    try:
        os.replace(content, final)
    except OSError:
        if read_marker(final) != marker:  # another process did not just install the same thing
            raise
    remove_path(aside)


def extract_archive(artifact: Artifact, archive: Path, digest: str, progress: bool) -> Path:
    """The extracted folder for a verified zip, extracting it when missing or out of date."""
    final = archive.parent / str(artifact.extract_to)
    marker = marker_text(artifact, archive, digest)
    current = read_marker(final)
    if current == marker:
        return final
    if final.exists() and current is None:
        say(f"{artifact.name}: {final} has no extraction marker (an interrupted run?)", progress)
    check_zip(artifact, archive)
    with temporary_folder(final) as folder:
        content = unpack(artifact, archive, folder, progress)
        if artifact.prepare is not None:
            artifact.prepare(content)
        (content / MARKER).write_text(marker, encoding="utf-8")
        install_folder(content, final, marker)
    say(f"{artifact.name}: extracted {archive.name} into {final}", progress)
    return final


# --- the public API -----------------------------------------------------------------------------


def fetch_file(
    artifact: Artifact, progress: bool = True, accept_sha256: str | None = None
) -> tuple[Path, str]:
    """The verified cached file of an artifact and its sha256 (from where ``locate`` says)."""
    folder = cache_folder()
    for stem in filter(None, (artifact.filename, artifact.extract_to)):
        remove_stale_temporaries(folder, stem)
    target = folder / artifact.filename
    source = locate(artifact)
    if source.kind == "cache":
        digest = verified_cache_hash(target)
        if digest is not None:
            return target, digest
        source = locate(artifact)  # the corrupted copy is gone: decide again
    if source.mirror is not None:
        return target, copy_from_mirror(artifact, source.mirror, target, progress)
    return target, download(artifact, target, progress, accept_sha256)


def fetch(
    name: str | Artifact,
    *,
    extract: bool | None = None,
    progress: bool = True,
    accept_sha256: str | None = None,
    keep_source: bool | None = None,
) -> Path:
    """The verified local path of an artifact: the file, or for zips the extracted folder.

    ``name`` is a registry name (see ``ARTIFACTS``) or an Artifact. Zips are extracted unless
    ``extract=False``; the returned folder holds the zip's content (e.g. ``train/``).

    An artifact with no public download of its own (``chest_xray``) is derived from its public
    source when neither the mirror nor the cache has its file (see ``helpers.data.derive``);
    ``keep_source`` keeps the downloaded source archive afterwards (default:
    ``$CNN_LABS_KEEP_SOURCE``). ``accept_sha256`` accepts a download whose sha256 differs from
    an *unconfirmed* pinned value (the error of such a mismatch prints the command).
    """
    artifact = resolve(name)
    if extract and not artifact.is_archive:
        raise DataError(f"{artifact.filename} is not a zip archive: there is nothing to extract.")
    if locate(artifact).kind in ("derive", "derived"):
        if extract is False:
            raise DataError(
                f"{artifact.filename} has no public download and is not in the mirror or cache: "
                f"the course derives the folder {artifact.extract_to}/ instead. Fetch "
                f"{artifact.name} without --no-extract (extract=False)."
            )
        from helpers.data.derive import fetch_derived  # derive builds on this module

        return fetch_derived(artifact, progress, keep_source)
    path, digest = fetch_file(artifact, progress, accept_sha256)
    derive_only_note(path).unlink(missing_ok=True)  # asked for by name: no longer derive-only
    if artifact.is_archive and extract is not False:
        return extract_archive(artifact, path, digest, progress)
    return path


def derived_folder(artifact: Artifact) -> Path | None:
    """The cache folder of a derived artifact when it is there and current, else None."""
    if artifact.derivation is None or artifact.extract_to is None:
        return None
    from helpers.data.derive import derived_marker, load_manifest

    folder = data_dir() / artifact.extract_to
    marker = read_marker(folder)
    if marker is None or not marker.startswith("derived"):
        return None
    return folder if marker == derived_marker(load_manifest(artifact.derivation.manifest)) else None


@dataclass(frozen=True)
class Source:
    """Where an artifact comes from now: the one answer ``fetch``, ``plan`` and ``info`` share."""

    #: "cache", "derived" (a derived folder in the cache), "mirror", "download", "derive" (from
    #: its public source) or "missing".
    kind: str
    #: The cached file, the derived folder or the mirror's file; None when nothing is local.
    path: Path | None = None
    mirror: MirrorCopy | None = None


def locate(artifact: Artifact) -> Source:
    """Decide where ``artifact`` comes from, without copying or downloading anything.

    A cached file recorded as verified wins unless the mirror lists other bytes under its name
    (then the mirror's copy replaces it, as ``fetch`` does: e.g. the mirror's rebuilt MNIST over
    a downloaded canonical one). A cached file without a record is adopted when it has the
    registry's sha256. Recorded hashes are trusted here; ``fetch`` re-hashes before using them.
    """
    target = data_dir() / artifact.filename
    copy = find_in_mirror(artifact)
    recorded = read_sidecar(target) if target.is_file() else None
    recorded = recorded or adopt_unrecorded(artifact, target)
    if recorded is not None and (copy is None or recorded == copy.sha256):
        return Source("cache", target)
    if copy is not None:
        return Source("mirror", copy.path, copy)
    if artifact.derivation is not None:
        folder = derived_folder(artifact)
        return Source("derived", folder) if folder is not None else Source("derive")
    return Source("download" if artifact.url else "missing")


def source_of(artifact: str | Artifact) -> str:
    """Where an artifact would come from now: "cache", "mirror", "download", "derive", "missing".

    "derive": no mirror or cache has its file, and it is made from its public source (a derived
    folder already in the cache counts as "cache").
    """
    kind = locate(resolve(artifact)).kind
    return "cache" if kind == "derived" else kind


def folder_size(folder: Path) -> int:
    """Total bytes of the files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def cached_info() -> list[dict]:
    """One dict per artifact: name, filename, path, size, licence, source, extracted, ..."""
    rows = []
    for artifact in ARTIFACTS.values():
        target = data_dir() / artifact.filename
        cached = target.is_file() and read_sidecar(target) is not None
        extracted = data_dir() / artifact.extract_to if artifact.extract_to else None
        try:
            source = source_of(artifact)
            derived = None if cached else derived_folder(artifact)
        except DataError:  # a mirror setting that points nowhere: report, don't fail
            source = "cache" if cached else ("download" if artifact.url else "missing")
            derived = None
        path = target if cached else derived
        rows.append(
            {
                "name": artifact.name,
                "filename": artifact.filename,
                "path": path,
                "size": target.stat().st_size if cached else (derived and folder_size(derived)),
                "licence": artifact.licence,
                "source": "missing" if source in ("download", "derive") else source,
                "downloadable": artifact.url is not None,
                "derivable": artifact.derivation is not None,
                "derived": derived,
                "extracted": extracted if extracted and read_marker(extracted) else None,
                "optional": artifact.optional,
            }
        )
    return rows
