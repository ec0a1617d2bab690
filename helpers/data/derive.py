"""Derived artifacts: ``chest_xray`` made from its public source when no mirror has it.

The committed ``chest_xray_small_manifest.json`` was made once by listing the mirror's
chest_xray_small.zip: every image's split, class and file name, and the recipe of the mirror's
PROVENANCE.md. Images are taken by class and name from ``ChestXRay2017.zip`` in any split,
derived into a temporary folder, verified, and moved into place with a provenance record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image
from tqdm import tqdm

from helpers.config import MIRROR_ENV
from helpers.data import store
from helpers.data.errors import DataError
from helpers.data.registry import CHEST_XRAY_CLASSES, CHEST_XRAY_SPLITS, Artifact

__all__ = ["KEEP_SOURCE_ENV", "Manifest", "derive", "derive_image", "load_manifest"]

#: Environment variable: set to 1 to keep a downloaded source archive after deriving from it.
KEEP_SOURCE_ENV = "CNN_LABS_KEEP_SOURCE"
#: Threads that decode and resize images (Pillow releases the GIL while it works).
WORKERS = 2
#: Missing images listed by name in an error.
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


def find_members(zipped: zipfile.ZipFile, manifest: Manifest) -> tuple[dict[str, str], list[str]]:
    """Each image's ``<root>/<split>/<class>/<file>`` member (the shallowest); the missing ones."""
    index: dict[tuple[str, str], dict[str, str]] = {}
    for name in sorted(zipped.namelist(), key=lambda name: name.count("/")):
        *_, split, class_name, filename = ("", "", *PurePosixPath(name).parts)
        if split in CHEST_XRAY_SPLITS and class_name in CHEST_XRAY_CLASSES:
            if not name.endswith("/") and not store.is_junk_member(name):  # __MACOSX/, ._x
                index.setdefault((class_name, filename), {}).setdefault(split, name)
    members, missing = {}, []
    for image in manifest.images:
        split, class_name, filename = image.split("/")
        splits = index.get((class_name, filename), {})
        only = next(iter(splits.values())) if len(splits) == 1 else None
        if member := splits.get(split, only):
            members[image] = member
        else:
            missing.append(image)
    return members, missing if index else manifest.images


class DamagedArchive(Exception):
    """A member of the source archive is damaged (raised inside the pool, reported outside)."""


def derive_images(zipped: zipfile.ZipFile, members: dict, recipe: dict, folder: Path, progress):
    """Make every derived image in ``folder``; a damaged member raises DamagedArchive."""

    def derive_one(name: str) -> None:
        try:
            derived = derive_image(zipped.read(members[name]), recipe)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise DamagedArchive(f"has a damaged member {members[name]} ({error})") from error
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
    recipe = manifest.recipe
    problems = [f"missing {name}" for name in sorted(set(manifest.images) - found)]
    problems += [f"unexpected {name}" for name in sorted(found - set(manifest.images))]
    for name in sorted(found & set(manifest.images)):
        try:
            with Image.open(folder / name) as image:
                image.load()
            if image.mode != recipe["mode"] or min(image.size) > recipe["shorter_side"]:
                problems.append(f"{name} is {image.mode}, {image.size[0]}x{image.size[1]} px")
        except (OSError, ValueError) as error:
            problems.append(f"{name} does not decode ({error})")
    if problems:
        raise DataError(
            f"the derived {manifest.name} failed its check ({len(problems)} problem(s)): "
            f"{'; '.join(problems[:LIST_LIMIT])}. Nothing was installed; run the command again."
        )


def derive(artifact: Artifact, archive: Path, digest: str, obtained: str, progress: bool) -> Path:
    """Derive ``artifact`` from the verified ``archive`` ("mirror", "cache" or "download")."""
    manifest = load_manifest(artifact.manifest)
    final = store.cache_folder() / str(artifact.extract_to)
    store.remove_stale_temporaries(final.parent, final.name)
    try:
        if not zipfile.is_zipfile(archive):
            raise DamagedArchive("is not a complete zip archive (truncated?)")
        with store.temporary(final, folder=True) as folder, zipfile.ZipFile(archive) as zipped:
            members, missing = find_members(zipped, manifest)
            if missing:
                listed = "".join(f"\n  {name}" for name in missing[:LIST_LIMIT])
                raise DataError(
                    f"{archive} lacks {len(missing)} of the {len(manifest.images):,} images that "
                    f"{manifest.name} needs (looked for <split>/<class>/<file name> in any split, "
                    f"e.g. chest_xray/train/NORMAL/):{listed}\nSo it is not the archive "
                    f"{manifest.path.name} was made for (another version?). Nothing was derived "
                    f"and the archive was kept: delete it and fetch again, or set {MIRROR_ENV} to "
                    f"the course mirror, which has {manifest.name} ready-made."
                )
            store.say(f"{artifact.name}: deriving {len(members):,} images from {archive}", progress)
            derive_images(zipped, members, manifest.recipe, folder, progress)
            verify_derived(folder, manifest)
            record = {
                "derived_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "source": {"file": archive.name, "sha256": digest, "obtained_from": obtained},
                "manifest": {"file": manifest.path.name, "sha256": manifest.sha256},
                "recipe": manifest.recipe,
            }
            text = json.dumps(record, indent=2) + "\n"
            (folder / ".cnn-labs-derived.json").write_text(text, encoding="utf-8")
            store.install_folder(folder, final, manifest.marker)
    except (DamagedArchive, zipfile.BadZipFile, zlib.error, EOFError) as error:  # zip now closed
        problem = str(error) if isinstance(error, DamagedArchive) else f"cannot be read ({error})"
        raise store.damaged_archive(
            archive, problem, artifact.name, obtained == "mirror"
        ) from error
    store.say(f"{artifact.name}: derived and verified into {final}", progress)
    keep = os.environ.get(KEEP_SOURCE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    if obtained == "download" and not keep:
        store.remove(archive, store.sidecar_of(archive))
        store.say(
            f"deleted {archive} (to keep a downloaded source, set {KEEP_SOURCE_ENV}=1)", progress
        )
    return final
