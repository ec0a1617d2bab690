"""Derived artifacts: the chest X-ray subset made from its public source when no mirror has it.

``chest_xray`` (1,950 images in ``chest_xray_small/``) exists as a zip only in the course mirror.
Without it, ``fetch`` derives the same images from Kermany et al.'s ``ChestXRay2017.zip``
(``chest_xray_full``, about 1.2 GB) following the committed manifest
``chest_xray_small_manifest.json``, made once by listing the mirror zip's members: every image's
split, class and original file name, and the recipe of the mirror's ``PROVENANCE.md`` (grayscale,
shorter side 256 px with LANCZOS, never enlarged, JPEG quality 90). Images are found by class and
file name in any split (the archive keeps the small set's 4 ``val/`` images in ``train/``).

The images go into a temporary folder, are checked by names, counts and decodability, and the
folder is renamed into place with a provenance record (``.cnn-labs-derived.json``). A source
archive this call downloaded is deleted afterwards unless ``CNN_LABS_KEEP_SOURCE=1``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image
from tqdm import tqdm

from helpers.config import MIRROR_ENV
from helpers.data.download import download
from helpers.data.errors import DataError
from helpers.data.registry import CHEST_XRAY_CLASSES, CHEST_XRAY_SPLITS, Artifact
from helpers.data.store import (
    Source,
    cache_folder,
    check_mirror_copy,
    install_folder,
    is_junk_member,
    read_marker,
    remove,
    remove_stale_temporaries,
    say,
    sha256_of,
    sidecar_of,
    temporary,
    verified_cache_hash,
)

__all__ = ["KEEP_SOURCE_ENV", "Manifest", "derive_image", "fetch_derived", "load_manifest"]

#: Environment variable: set to 1 to keep a downloaded source archive after deriving from it.
KEEP_SOURCE_ENV = "CNN_LABS_KEEP_SOURCE"
#: Threads that decode and resize images (Pillow releases the GIL while it works).
WORKERS = 2
#: Missing images listed by name in an error before the rest are counted.
LIST_LIMIT = 20


@dataclass(frozen=True)
class Manifest:
    """A derived set: its images (``split/class/file``), its recipe, and the manifest file."""

    path: Path
    sha256: str
    name: str
    recipe: dict
    images: list[str]

    @property
    def marker(self) -> str:
        """The marker of a folder derived with this manifest (compared on every fetch)."""
        return f"derived  {self.sha256}  {self.path.name}\n"


def load_manifest(path: Path) -> Manifest:
    """Read a manifest; a DataError names the file when it cannot be parsed."""
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
        images = ["/".join(entry) for entry in data["images"]]
        return Manifest(path, hashlib.sha256(raw).hexdigest(), data["name"], data["recipe"], images)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(
            f"cannot read the derivation manifest {path}: {type(error).__name__}: {error}. "
            f"It is part of the course repository: restore it with `git checkout -- {path.name}` "
            f"(in {path.parent})."
        ) from error


def shrunk(size: tuple[int, int], side: int) -> tuple[int, int]:
    """(width, height) scaled to a shorter side of ``side`` px; never enlarged."""
    width, height = size
    scale = side / min(width, height)
    if scale >= 1:
        return size
    if width <= height:
        return side, max(1, round(height * scale))
    return max(1, round(width * scale)), side


def derive_image(data: bytes, recipe: dict) -> bytes:
    """The derived image file for the bytes of an original, following ``recipe``."""
    with Image.open(io.BytesIO(data)) as original:
        image = original.convert(recipe["mode"])
    size = shrunk(image.size, recipe["shorter_side"])
    if size != image.size:
        image = image.resize(size, Image.Resampling[recipe["resample"]])
    buffer = io.BytesIO()
    image.save(buffer, format=recipe["format"], quality=recipe["quality"])
    return buffer.getvalue()


def index_archive(zipped: zipfile.ZipFile) -> tuple[str, dict[tuple[str, str], dict[str, str]]]:
    """The data root (shallowest with train/ and test/) and (class, file) -> {split: member}."""
    by_root: dict[str, dict] = defaultdict(dict)
    splits_of: dict[str, set[str]] = defaultdict(set)
    for info in zipped.infolist():
        *root, split, class_name, filename = ("", "", *PurePosixPath(info.filename).parts)
        if info.is_dir() or is_junk_member(info.filename) or filename.startswith("."):
            continue
        if split in CHEST_XRAY_SPLITS and class_name in CHEST_XRAY_CLASSES:
            root = "/".join(part for part in root if part)
            by_root[root].setdefault((class_name, filename), {})[split] = info.filename
            splits_of[root].add(split)
    roots = sorted((r for r in by_root if {"train", "test"} <= splits_of[r]), key=len)
    return (roots[0], by_root[roots[0]]) if roots else ("", {})


def archive_problem(archive: Path, problem: str, in_mirror: bool) -> DataError:
    """A DataError about a damaged source archive; a cache copy is deleted so a rerun fetches it."""
    if in_mirror:
        return DataError(
            f"{archive} {problem}. It is the mirror's copy: replace it with a good one (or unset "
            f"{MIRROR_ENV} to download it); nothing was derived."
        )
    remove(archive, sidecar_of(archive))
    return DataError(
        f"{archive} {problem}; it has been deleted and nothing was derived. Run the command "
        "again to download it afresh (if this repeats, the download source is damaged)."
    )


class DamagedArchive(Exception):
    """A member of the source archive is damaged (raised inside the pool, reported outside)."""


def derive_images(zipped: zipfile.ZipFile, members: dict, recipe: dict, folder: Path, progress):
    """Make every derived image in ``folder``; a damaged member raises DamagedArchive."""

    def derive_one(name: str) -> None:
        try:
            data = zipped.read(members[name])
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise DamagedArchive(f"has a damaged member {members[name]} ({error})") from error
        try:
            derived = derive_image(data, recipe)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            problem = f"has a member that is not a readable image: {members[name]} ({error})"
            raise DamagedArchive(problem) from error
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(derived)

    with (
        ThreadPoolExecutor(max_workers=WORKERS) as pool,
        tqdm(total=len(members), unit="img", desc="deriving", disable=not progress) as bar,
    ):
        try:
            for _ in pool.map(derive_one, members):
                bar.update()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # stop at the first failure
            raise


def verify_derived(folder: Path, manifest: Manifest) -> None:
    """Check a derived folder by names, counts and decodability; a DataError says what is off."""
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    expected = set(manifest.images)
    problems = [f"missing {name}" for name in sorted(expected - found)]
    problems += [f"unexpected {name}" for name in sorted(found - expected)]
    for name in sorted(found & expected):
        try:
            with Image.open(folder / name) as image:
                image.load()
                if image.mode != manifest.recipe["mode"]:
                    problems.append(f"{name} has mode {image.mode}")
                if min(image.size) > manifest.recipe["shorter_side"]:
                    problems.append(f"{name} is {image.size[0]}x{image.size[1]} px")
        except (OSError, ValueError) as error:
            problems.append(f"{name} does not decode ({error})")
    if problems:
        raise DataError(
            f"the derived {manifest.name} failed its check ({len(problems)} problem(s)): "
            f"{'; '.join(problems[:LIST_LIMIT])}. Nothing was installed; run the command again."
        )


def derive_into(
    final: Path, manifest: Manifest, source: Artifact, archive, digest, where, progress
):
    """Derive ``manifest``'s images from ``archive`` into ``final``, atomically."""
    if not zipfile.is_zipfile(archive):
        raise archive_problem(
            archive, "is not a complete zip archive (truncated?)", where == "mirror"
        )
    try:
        with temporary(final, folder=True) as folder, zipfile.ZipFile(archive) as zipped:
            root, index = index_archive(zipped)
            if not index:
                raise DataError(
                    f"{archive} does not look like the {source.filename} of {source.name}: no "
                    "folder in it holds train/ and test/ with NORMAL/ and PNEUMONIA/ inside. "
                    "Nothing was derived and the archive was kept; delete it and fetch again."
                )
            members, missing = {}, []
            for name in manifest.images:
                split, class_name, filename = name.split("/")
                splits = index.get((class_name, filename), {})
                only = next(iter(splits.values())) if len(splits) == 1 else None
                if member := splits.get(split, only):
                    members[name] = member
                else:
                    missing.append(name)
            if missing:
                listed = "\n".join(f"  {name}" for name in missing[:LIST_LIMIT])
                more = len(missing) - LIST_LIMIT
                listed += f"\n  ... and {more} more" if more > 0 else ""
                raise DataError(
                    f"{archive} lacks {len(missing)} of the {len(manifest.images):,} images that "
                    f"{manifest.name} needs (looked for {root}/<split>/<class>/<file name> in any "
                    f"split):\n{listed}\nSo it is not the archive {manifest.path.name} was made "
                    "for (another version?). Nothing was derived and the archive was kept. Delete "
                    f"it and fetch again, or set {MIRROR_ENV} to the course mirror, which has "
                    f"{manifest.name} ready-made."
                )
            say(f"{manifest.name}: deriving {len(members):,} images from {archive.name}", progress)
            derive_images(zipped, members, manifest.recipe, folder, progress)
            verify_derived(folder, manifest)
            record = {
                "derived_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "source": {"file": archive.name, "sha256": digest, "obtained_from": where},
                "manifest": {"file": manifest.path.name, "sha256": manifest.sha256},
                "recipe": manifest.recipe,
            }
            (folder / ".cnn-labs-derived.json").write_text(json.dumps(record, indent=2) + "\n")
            install_folder(folder, final, manifest.marker)
    except (DamagedArchive, zipfile.BadZipFile, zlib.error, EOFError) as error:
        # Reported once the zip is closed, so a damaged cache copy can be deleted (Windows too).
        problem = str(error) if isinstance(error, DamagedArchive) else f"cannot be read ({error})"
        raise archive_problem(archive, problem, where == "mirror") from error


def fetch_derived(artifact: Artifact, source: Artifact, where: Source, progress: bool) -> Path:
    """The folder of ``artifact`` derived from ``source`` (which ``locate`` found at ``where``)."""
    manifest = load_manifest(artifact.manifest)
    final = cache_folder() / str(artifact.extract_to)
    if read_marker(final) == manifest.marker:
        return final
    remove_stale_temporaries(final.parent, final.name)
    say(f"{artifact.name}: no mirror or cache has it: deriving it from {source.name}", progress)
    archive, obtained = cache_folder() / source.filename, "cache"
    digest = verified_cache_hash(archive) if where.kind == "cache" else None
    try:
        if where.mirror is not None:
            archive, digest, obtained = where.mirror.path, sha256_of(where.mirror.path), "mirror"
            check_mirror_copy(where.mirror, digest, "nothing was derived")
        elif digest is None:
            digest, obtained = download(source, archive, progress), "download"
    except DataError as error:
        raise DataError(
            f"{artifact.name} has no download of its own and is derived from {source.name} "
            f"({source.filename}), but getting that failed: {error}"
        ) from error
    derive_into(final, manifest, source, archive, digest, obtained, progress)
    say(f"{artifact.name}: derived and verified into {final}", progress)
    if obtained == "download":
        if os.environ.get(KEEP_SOURCE_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
            say(f"{source.name}: kept {archive} ({KEEP_SOURCE_ENV} is set)", progress)
        else:
            remove(archive, sidecar_of(archive))
            say(
                f"{source.name}: deleted {archive.name} now that {final.name}/ is derived; to "
                f"keep it next time, set {KEEP_SOURCE_ENV}=1",
                progress,
            )
    return final
