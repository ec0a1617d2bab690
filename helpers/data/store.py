"""The cache, the mirror and zips: verified files, written atomically.

A mirror file counts only when its folder's ``SHA256SUMS`` lists it; a cached file while it
matches its sidecar ``<file>.sha256``. Zips are tested (CRCs and paths) and extracted into a
temporary folder moved into place with a marker naming the zip. Temporaries start with a dot.
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

from tqdm import tqdm

from helpers.config import DATA_ENV, MIRROR_ENV, data_dir, mirror_dir
from helpers.data.errors import DataError
from helpers.data.registry import Artifact, is_junk

#: Bytes read at a time while copying and downloading.
CHUNK = 1 << 20
#: The marker inside an extracted (or derived) folder saying what it was made from.
MARKER = ".cnn-labs-extracted"
#: Leftover temporaries older than this (seconds) belong to a run that died and are removed.
STALE_AFTER = 3600


@dataclass(frozen=True)
class Source:
    """Where ``locate`` says an artifact comes from, the local path, and the mirror's sha256."""

    kind: str  # "cache", "derived" (folder), "mirror", "download", "derive" or "missing"
    path: Path | None = None
    sha256: str | None = None


def say(message: str, progress: bool) -> None:
    """Print a progress line when progress output is on."""
    if progress:
        print(message, flush=True)


def bar(progress: bool, desc: str, total: int | None, initial: int = 0) -> tqdm:
    """A progress bar in bytes (a silent one when progress output is off)."""
    return tqdm(
        total=total, initial=initial, unit="B", unit_scale=True, desc=desc, disable=not progress
    )


def sha256_of(path: Path) -> str:
    """The sha256 of a file."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def remove(*paths: Path) -> None:
    """Delete files, symlinks or folder trees that exist."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def temporary(target: Path, folder: bool = False) -> Iterator[Path]:
    """A fresh hidden name beside ``target`` (a folder if asked), removed unless moved away."""
    path = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.{'tmp' if folder else 'part'}")
    if folder:
        path.mkdir()
    try:
        yield path
    finally:
        remove(path)


def remove_stale_temporaries(folder: Path, stem: str) -> None:
    """Delete temporaries of ``stem`` left behind by runs that died more than an hour ago."""
    old = [
        p for p in folder.glob(f".{glob.escape(stem)}.*.*") if p.suffix in (".part", ".tmp", ".old")
    ]
    remove(*(p for p in old if p.lstat().st_mtime < time.time() - STALE_AFTER))


def cache_folder() -> Path:
    """The cache folder, created if needed."""
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(
            f"cannot create the data cache folder {data_dir()} ({error.strerror}); "
            f"point {DATA_ENV} at a writable folder."
        ) from error
    return data_dir()


def write_text(path: Path, text: str) -> None:
    """Write a small text file atomically."""
    with temporary(path) as part:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)


def sidecar_of(path: Path) -> Path:
    """The sidecar recording ``path``'s verified sha256 (``sha256sum -c`` format)."""
    return path.with_name(path.name + ".sha256")


def read_sidecar(path: Path) -> str | None:
    """The verified sha256 recorded for ``path``, or None without a readable record."""
    try:
        word = (sidecar_of(path).read_text(encoding="utf-8").split() or [""])[0]
    except (OSError, UnicodeDecodeError):
        return None
    return word.lower() if re.fullmatch(r"[0-9a-fA-F]{64}", word) else None


def install_file(part: Path, target: Path, digest: str) -> None:
    """Move a verified temporary file into place and record its hash."""
    sidecar_of(target).unlink(missing_ok=True)
    os.replace(part, target)
    write_text(sidecar_of(target), f"{digest}  {target.name}\n")


def recorded_hash(artifact: Artifact, target: Path) -> str | None:
    """The sha256 recorded for a cached file; one without a record is adopted if it is canonical."""
    if not target.is_file():
        return None
    recorded = read_sidecar(target)
    if recorded is None and artifact.sha256 and sha256_of(target) == artifact.sha256:
        write_text(sidecar_of(target), f"{artifact.sha256}  {target.name}\n")
        recorded = artifact.sha256
    return recorded


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
    remove(target, sidecar_of(target))
    return None


def read_sha256sums(path: Path) -> dict[str, str]:
    """File name -> sha256 from a ``sha256sum`` listing (``HASH  name`` or ``HASH *name``)."""
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"\s*([0-9a-fA-F]{64})\s+\*?(.+?)\s*", line):
            sums[match.group(2).removeprefix("./")] = match.group(1).lower()
    return sums


def find_in_mirror(artifact: Artifact) -> Source | None:
    """The mirror's copy of an artifact if SHA256SUMS lists it and it is present."""
    folder = mirror_dir()
    if folder is None:
        return None
    if not folder.is_dir():
        raise DataError(
            f"the data mirror {folder} (set by {MIRROR_ENV}) does not exist or is not a folder. "
            f"Point {MIRROR_ENV} at the folder holding the course files and SHA256SUMS "
            "(e.g. ../shared/data beside the repository), or unset it to download instead."
        )
    copy, sums_path = folder / artifact.filename, folder / "SHA256SUMS"
    try:
        sums = read_sha256sums(sums_path) if sums_path.is_file() else {}
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read the mirror's checksum list {sums_path}: {error}") from error
    if artifact.filename in sums:
        return Source("mirror", copy, sums[artifact.filename]) if copy.is_file() else None
    if copy.exists():
        warnings.warn(
            f"{copy} is in the mirror but not listed in {sums_path}"
            f"{'' if sums_path.is_file() else ' (which does not exist)'}, so it cannot be "
            f"verified; ignoring it. If you trust it, add its line: "
            f"`sha256sum {artifact.filename} >> SHA256SUMS`.",
            stacklevel=3,
        )
    return None


def check_mirror_copy(copy: Source, digest: str, consequence: str) -> None:
    """A DataError naming a damaged mirror file unless ``digest`` is what SHA256SUMS promises."""
    if digest != copy.sha256:
        raise DataError(
            f"the mirror copy {copy.path} is damaged: its sha256 is {digest}, but "
            f"{copy.path.with_name('SHA256SUMS')} expects {copy.sha256}. Replace the file with a "
            f"good copy (or fix {MIRROR_ENV}); {consequence}."
        )


def copy_from_mirror(artifact: Artifact, copy: Source, target: Path, progress: bool) -> str:
    """Copy a mirror file into the cache, verified against SHA256SUMS; returns its sha256."""
    say(f"{artifact.name}: copying {copy.path}", progress)
    digest = hashlib.sha256()
    with temporary(target) as part:
        try:
            size = copy.path.stat().st_size
            with open(copy.path, "rb") as source, open(part, "wb") as out:
                with bar(progress, artifact.filename, size) as shown:
                    while chunk := source.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        shown.update(len(chunk))
        except OSError as error:
            raise DataError(
                f"copying {copy.path} into {target.parent} failed: {error}. "
                "Check the mirror is readable and the disk has space, then run again."
            ) from error
        check_mirror_copy(copy, digest.hexdigest(), "nothing was copied into the cache")
        install_file(part, target, digest.hexdigest())
    rebuilt = artifact.sha256 and digest.hexdigest() != artifact.sha256
    note = " (a faithful rebuild: its bytes differ from the canonical download)" if rebuilt else ""
    say(f"{artifact.name}: verified against the mirror's SHA256SUMS{note}", progress)
    return digest.hexdigest()


def is_junk_member(name: str) -> bool:
    """True for zip members nobody wants: ``__MACOSX/`` forks, ``.DS_Store``, hidden files."""
    return any(is_junk(part) for part in PurePosixPath(name).parts)


def damaged_archive(archive: Path, problem: str, name: str, in_mirror: bool = False) -> DataError:
    """A DataError about a damaged zip; a cache copy is deleted, so ``fetch name`` gets it again."""
    if in_mirror:
        return DataError(
            f"{archive} {problem}. It is the mirror's copy: replace it with a good one (or unset "
            f"{MIRROR_ENV} to download it); nothing was derived."
        )
    remove(archive, sidecar_of(archive))
    return DataError(
        f"{archive} {problem}; it has been deleted. Run `python -m helpers.data fetch {name}` to "
        "fetch it again (if this repeats, the source copy is damaged)."
    )


def unpack(artifact: Artifact, archive: Path, folder: Path, progress: bool) -> Path:
    """Test ``archive`` and extract it into ``folder``; returns the folder holding the content."""
    if not zipfile.is_zipfile(archive):
        problem = "is not a complete zip archive (truncated?)"
        raise damaged_archive(archive, problem, artifact.name)
    with zipfile.ZipFile(archive) as zipped:  # problems are raised once it is closed (Windows)
        try:
            bad = zipped.testzip()
            members = [m for m in zipped.infolist() if not is_junk_member(m.filename)]
            paths = {m.filename: folder / m.filename.replace("\\", "/") for m in zipped.infolist()}
            unsafe = [
                n for n, p in paths.items() if not p.resolve().is_relative_to(folder.resolve())
            ]
            problem = f"has a damaged member {bad}" if bad else ""
            if unsafe:
                problem = f"contains the unsafe path {unsafe[0]!r}, outside the extraction folder"
            desc = f"extracting {archive.name}"
            for member in tqdm([] if problem else members, desc=desc, disable=not progress):
                zipped.extract(member, folder)
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as error:
            problem = f"cannot be read as a zip ({error})"
        except OSError as error:
            raise DataError(
                f"extracting {archive} into {folder.parent} failed: {error}. "
                "Check the disk has space, then run again."
            ) from error
    if problem:
        raise damaged_archive(archive, problem, artifact.name)
    entries = list(folder.iterdir())  # a single top folder (the usual layout) is unwrapped
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder


def read_marker(folder: Path) -> str | None:
    """The marker text of an extracted or derived folder, or None when it has none."""
    try:
        return (folder / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def install_folder(content: Path, final: Path, marker: str) -> None:
    """Write the marker into a finished folder and move it into place, replacing an older one."""
    (content / MARKER).write_text(marker, encoding="utf-8")
    aside = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
    if final.exists() or final.is_symlink():
        os.replace(final, aside)
    try:
        os.replace(content, final)
    except OSError:
        if read_marker(final) != marker:  # another process did not just install the same thing
            raise
    remove(aside)


def extract_archive(artifact: Artifact, archive: Path, digest: str, progress: bool) -> Path:
    """The extracted folder of a verified zip, extracted when missing or out of date."""
    final = archive.parent / str(artifact.extract_to)
    marker = f"{digest}  {archive.name}\n"
    if artifact.prepare is not None:
        marker += f"prepare: {artifact.prepare.__qualname__}\n"
    if read_marker(final) == marker:
        return final
    with temporary(final, folder=True) as folder:
        content = unpack(artifact, archive, folder, progress)
        if artifact.prepare is not None:
            artifact.prepare(content)
        install_folder(content, final, marker)
    say(f"{artifact.name}: extracted {archive.name} into {final}", progress)
    return final
