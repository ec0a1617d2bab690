"""The cache, the mirror and zips: verified files, written atomically.

* **The mirror** (``$CNN_LABS_MIRROR``): a folder of artifacts plus a ``SHA256SUMS`` file. A mirror
  file counts only when ``SHA256SUMS`` lists it; its bytes are hashed while they are copied into
  the cache and must match that line.
* **The cache** (``$CNN_LABS_DATA``, default ``<repo>/data``): a file is trusted when its sha256
  matches the sidecar ``<file>.sha256`` written when it was verified. A copy that no longer matches
  is deleted (with a warning) and fetched again.
* **Zips** are tested, checked for unsafe paths, extracted into a temporary folder and moved into
  place; a marker file inside the folder records which zip it came from, so a changed zip is
  extracted afresh.

Every write goes to a temporary name first and is moved into place with ``os.replace``, so an
interrupted run never leaves a half-written file or folder under its final name (leftover
temporaries older than an hour are removed).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import time
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tqdm import tqdm

from helpers.config import DATA_ENV, MIRROR_ENV, data_dir, mirror_dir
from helpers.data.arrange import JUNK_NAMES
from helpers.data.errors import DataError
from helpers.data.registry import Artifact

#: Bytes read at a time while hashing, copying and downloading.
CHUNK = 1 << 20
#: The checksum list every mirror folder holds (``sha256sum`` format).
SUMS_FILE = "SHA256SUMS"
#: Suffix of the sidecar that records a cached file's verified sha256.
SIDECAR_SUFFIX = ".sha256"
#: File inside an extracted folder naming the zip (and its sha256) it was extracted from.
MARKER = ".cnn-labs-extracted"
#: Leftover temporaries older than this (seconds) belong to a run that died and are removed.
STALE_AFTER = 3600
#: Suffix of the note beside a source archive downloaded only to derive another artifact: the
#: archive is deleted once the derivation succeeds (unless the user keeps it).
DERIVE_ONLY_SUFFIX = ".delete-after-deriving"


# --- small tools ------------------------------------------------------------------------------


def say(message: str, progress: bool) -> None:
    """Print a progress line when progress output is on."""
    if progress:
        print(message, flush=True)


def sha256_of(path: Path | str) -> str:
    """The sha256 of a file, read in chunks."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def short(digest: str) -> str:
    """The first 8 hex digits of a hash, for progress lines."""
    return digest[:8] + "..."


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
    for leftover in folder.glob(f".{glob.escape(stem)}.*"):
        if leftover.suffix in (".part", ".tmp", ".old") and leftover.lstat().st_mtime < cutoff:
            remove_path(leftover)


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


@dataclass(frozen=True)
class Source:
    """Where an artifact comes from now (``helpers.data.fetch.locate`` decides it)."""

    #: "cache", "derived" (a derived folder in the cache), "mirror", "download", "derive" (from
    #: its public source) or "missing".
    kind: str
    #: The cached file, the derived folder or the mirror's file; None when nothing is local.
    path: Path | None = None
    mirror: MirrorCopy | None = None


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


def check_mirror_copy(copy: MirrorCopy, digest: str, consequence: str) -> None:
    """A DataError naming a damaged mirror file unless ``digest`` is what SHA256SUMS promises."""
    if digest != copy.sha256:
        raise DataError(
            f"the mirror copy {copy.path} is damaged: its sha256 is {digest}, but {copy.sums} "
            f"expects {copy.sha256}. Replace the file with a good copy (or fix {MIRROR_ENV}); "
            f"{consequence}."
        )


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
        check_mirror_copy(copy, digest, "nothing was copied into the cache")
        install_file(temporary, target, digest)
    note = ""
    if artifact.sha256 and digest != artifact.sha256:
        note = " (a faithful rebuild: its bytes differ from the canonical download, see notes)"
    say(f"{artifact.name}: verified against {copy.sums} (sha256 {short(digest)}){note}", progress)
    return digest


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


def derive_only_note(target: Path) -> Path:
    """The note saying ``target`` was downloaded only to derive another artifact from it."""
    return target.with_name(target.name + DERIVE_ONLY_SUFFIX)


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
    return any(part.casefold() in JUNK_NAMES for part in PurePosixPath(name).parts)


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
