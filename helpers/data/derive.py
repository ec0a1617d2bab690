"""Derived artifacts: make a data set that has no public download out of its public source.

The course's chest X-ray subset (``chest_xray``: 1,950 images in ``chest_xray_small/``) exists as a
zip only in the course mirror. Without the mirror, ``fetch`` derives it from its public source,
Kermany et al.'s ``ChestXRay2017.zip`` (artifact ``chest_xray_full``, about 1.2 GB), following a
**manifest** committed next to this module (``chest_xray_small_manifest.json``):

* every image of the small set: its original file name, class and split (made from the mirror's
  zip with ``manifest_from_zip``; the file names are those of the original release), and
* the **recipe** the mirror's ``PROVENANCE.md`` records: grayscale, shorter side 256 px with
  LANCZOS, no upscaling, JPEG quality 90.

The canonical archive has ``train/`` and ``test/`` only, and a few small-set images (those of its
4-image ``val/``) sit in another split there, so images are found by name within their class, in
any split; an image the archive lacks is named in the error. The result has the small set's layout
and counts, so the labs' code and splits do not change. Its bytes may differ from the mirror's
zip, so it is verified by names, counts and decodability, and a provenance record
(``.cnn-labs-derived.json`` inside the folder) says what was derived from what.

Derivation is atomic: images go into a temporary folder that is renamed into place only when every
image is there and verified. The 1.2 GB archive is deleted afterwards when this derivation
downloaded it (never when it was already in the cache or comes from the mirror); set
``CNN_LABS_KEEP_SOURCE=1`` (or pass ``--keep-source`` / ``keep_source=True``) to keep it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image
from tqdm import tqdm

from helpers.config import MIRROR_ENV, REPO
from helpers.data.download import download
from helpers.data.errors import DataError
from helpers.data.registry import CHEST_XRAY_CLASSES, CHEST_XRAY_SPLITS, Artifact
from helpers.data.store import (
    MARKER,
    Source,
    cache_folder,
    check_mirror_copy,
    derive_only_note,
    human_size,
    install_folder,
    is_junk_member,
    read_marker,
    remove_stale_temporaries,
    say,
    sha256_of,
    sidecar_of,
    temporary_file,
    temporary_folder,
    verified_cache_hash,
)

__all__ = [
    "KEEP_SOURCE_ENV",
    "Manifest",
    "ManifestImage",
    "Recipe",
    "derived_marker",
    "fetch_derived",
    "load_manifest",
    "manifest_from_zip",
    "write_manifest",
]

#: Environment variable: set to 1 to keep a downloaded source archive after deriving from it.
KEEP_SOURCE_ENV = "CNN_LABS_KEEP_SOURCE"
#: The provenance record inside a derived folder.
PROVENANCE_FILE = ".cnn-labs-derived.json"
#: Threads that decode and resize images (Pillow releases the GIL while it works).
WORKERS = 2
#: Missing images listed by name in an error before the rest are counted.
LIST_LIMIT = 20
#: Resampling filters a recipe may name.
RESAMPLING = {"LANCZOS": Image.Resampling.LANCZOS}


# --- the recipe and the manifest ---------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How each image is turned into its derived version."""

    mode: str = "L"
    shorter_side: int = 256
    resample: str = "LANCZOS"
    upscale: bool = False
    format: str = "JPEG"
    quality: int = 90

    def describe(self) -> str:
        """One line for plans and progress: "grayscale, shorter side 256 px (LANCZOS, ...)"."""
        return (
            f"grayscale, shorter side {self.shorter_side} px ({self.resample}, no upscaling), "
            f"{self.format} quality {self.quality}"
        )

    def target_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The derived (width, height): shorter side ``shorter_side``, never larger than before."""
        width, height = size
        shorter = min(width, height)
        if shorter <= self.shorter_side:
            return width, height
        scale = self.shorter_side / shorter
        if width <= height:
            return self.shorter_side, max(1, round(height * scale))
        return max(1, round(width * scale)), self.shorter_side

    def apply(self, data: bytes) -> bytes:
        """The derived image file (bytes) for the bytes of an original image file."""
        with Image.open(io.BytesIO(data)) as original:
            original.load()
            image = original if original.mode == self.mode else original.convert(self.mode)
        size = self.target_size(image.size)
        if size != image.size:
            image = image.resize(size, RESAMPLING[self.resample])
        buffer = io.BytesIO()
        image.save(buffer, format=self.format, quality=self.quality)
        return buffer.getvalue()


@dataclass(frozen=True)
class ManifestImage:
    """One image of a derived set: where it goes (split, class) and its original file name."""

    split: str
    class_name: str
    filename: str

    @property
    def relative_path(self) -> str:
        """Its path inside the derived folder, e.g. ``train/NORMAL/IM-0115-0001.jpeg``."""
        return f"{self.split}/{self.class_name}/{self.filename}"


@dataclass(frozen=True)
class Manifest:
    """A committed description of a derived set: its images, its recipe and its source."""

    path: Path
    sha256: str
    name: str
    source: str
    recipe: Recipe
    images: tuple[ManifestImage, ...]

    def counts(self) -> dict[str, dict[str, int]]:
        """Images per split and class, e.g. ``{"train": {"NORMAL": 447, ...}, ...}``."""
        counts: dict[str, dict[str, int]] = {}
        for image in self.images:
            per_class = counts.setdefault(image.split, {})
            per_class[image.class_name] = per_class.get(image.class_name, 0) + 1
        return counts

    def describe_counts(self) -> str:
        """ "train 447/1,291, val 2/2, test 78/130" (classes in sorted order)."""
        return ", ".join(
            f"{split} " + "/".join(f"{n:,}" for _, n in sorted(per_class.items()))
            for split, per_class in self.counts().items()
        )


def split_order(image: ManifestImage) -> tuple:
    """Sort key: splits in the order train, val, test; then class; then file name."""
    splits = list(CHEST_XRAY_SPLITS)
    rank = splits.index(image.split) if image.split in splits else len(splits)
    return rank, image.split, image.class_name, image.filename


def load_manifest(path: Path | str) -> Manifest:
    """Read and check a manifest; a DataError names the file and what is wrong with it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
        images = tuple(ManifestImage(*entry) for entry in data["images"])
        recipe = Recipe(**data["recipe"])
        manifest = Manifest(
            path=path,
            sha256=hashlib.sha256(raw).hexdigest(),
            name=data["name"],
            source=data["source"],
            recipe=recipe,
            images=images,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(
            f"cannot read the derivation manifest {path}: {type(error).__name__}: {error}. "
            "It is part of the course repository: restore it with `git checkout -- "
            f"{path.name}` (in {path.parent})."
        ) from error
    supported = {"mode": "L", "format": "JPEG", "upscale": False, "resample": "LANCZOS"}
    problems = [
        f"unsupported recipe: {key} {getattr(recipe, key)!r} (only {value!r}; images are never "
        "enlarged)"
        for key, value in supported.items()
        if getattr(recipe, key) != value
    ]
    declared = data.get("counts")
    if declared is not None and declared != manifest.counts():
        problems.append(f"its counts {declared} do not match its images {manifest.counts()}")
    for image in images:
        if image.class_name not in CHEST_XRAY_CLASSES or image.split not in CHEST_XRAY_SPLITS:
            problems.append(f"{image.relative_path}: unknown split or class")
        if "/" in image.filename or "\\" in image.filename or image.filename.startswith("."):
            problems.append(f"{image.relative_path}: a file name may not hold a path")
    repeated = [name for name, n in Counter(i.filename for i in images).items() if n > 1]
    problems += [f"{name}: listed more than once" for name in repeated]
    if not images:
        problems.append("it lists no images")
    if problems:
        listed = "; ".join(problems[:LIST_LIMIT])
        raise DataError(f"the derivation manifest {path} is invalid: {listed}.")
    return manifest


def manifest_from_zip(archive: Path | str) -> list[ManifestImage]:
    """The images of a ``<top>/<split>/<class>/<file>`` zip, e.g. the mirror's chest_xray_small."""
    images = []
    with zipfile.ZipFile(archive) as zipped:
        for name in zipped.namelist():
            parts = PurePosixPath(name).parts
            if name.endswith("/") or is_junk_member(name) or len(parts) != 4:
                continue
            _, split, class_name, filename = parts
            images.append(ManifestImage(split, class_name, filename))
    return sorted(images, key=split_order)


def write_manifest(
    path: Path | str,
    images: list[ManifestImage],
    *,
    name: str,
    source: str,
    recipe: Recipe,
    made_from: str,
    description: str = "",
) -> Path:
    """Write a manifest as JSON with one image per line (readable diffs), atomically."""
    path = Path(path)
    header = {
        "name": name,
        "description": description,
        "source": source,
        "made_from": made_from,
        "recipe": recipe.__dict__,
        "counts": Manifest(path, "", name, source, recipe, tuple(images)).counts(),
    }
    lines = ["{"]
    lines += [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in header.items()]
    lines.append('  "images": [')
    rows = [
        json.dumps([i.split, i.class_name, i.filename]) for i in sorted(images, key=split_order)
    ]
    lines += [f"    {row}," for row in rows[:-1]] + [f"    {rows[-1]}"]
    lines += ["  ]", "}", ""]
    with temporary_file(path) as temporary:
        temporary.write_text("\n".join(lines), encoding="utf-8")
        os.replace(temporary, path)
    return path


def derived_marker(manifest: Manifest) -> str:
    """The marker text of a folder derived with this manifest (compared on every fetch)."""
    return f"derived  {manifest.sha256}  {manifest.path.name}\n"


# --- finding the images in the source archive -------------------------------------------------


def archive_problem(archive: Path, problem: str, *, in_mirror: bool) -> DataError:
    """A DataError about a damaged source archive; a cache copy is deleted so a rerun fetches it."""
    if in_mirror:
        return DataError(
            f"{archive} {problem}. It is the mirror's copy: replace it with a good one (or unset "
            f"{MIRROR_ENV} to download it); nothing was derived."
        )
    archive.unlink(missing_ok=True)
    sidecar_of(archive).unlink(missing_ok=True)
    derive_only_note(archive).unlink(missing_ok=True)
    return DataError(
        f"{archive} {problem}; it has been deleted and nothing was derived. Run the command "
        "again to download it afresh (if this repeats, the download source is damaged)."
    )


def index_archive(zipped: zipfile.ZipFile) -> tuple[str, dict[tuple[str, str], dict[str, str]]]:
    """The archive's data root and ``(class, file name) -> {split: member}`` under that root.

    The root is the shallowest folder holding ``train/`` and ``test/`` class folders:
    ``chest_xray/`` in Mendeley's zip and in Kaggle's (whose nested duplicate
    ``chest_xray/chest_xray/`` is ignored); ``__MACOSX/`` and ``.DS_Store`` are skipped.
    """
    by_root: dict[tuple[str, ...], dict[tuple[str, str], dict[str, str]]] = defaultdict(dict)
    splits_of: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for info in zipped.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or is_junk_member(info.filename) or len(parts) < 3:
            continue
        *root, split, class_name, filename = parts
        if split not in CHEST_XRAY_SPLITS or class_name not in CHEST_XRAY_CLASSES:
            continue
        if filename.startswith("."):
            continue
        by_root[tuple(root)].setdefault((class_name, filename), {})[split] = info.filename
        splits_of[tuple(root)].add(split)
    roots = sorted((r for r in by_root if {"train", "test"} <= splits_of[r]), key=len)
    if not roots:
        return "", {}
    return "/".join(roots[0]), by_root[roots[0]]


@dataclass(frozen=True)
class Located:
    """A manifest image and the archive member it is made from."""

    image: ManifestImage
    member: str
    archive_split: str


def locate_images(
    manifest: Manifest, index: dict[tuple[str, str], dict[str, str]]
) -> tuple[list[Located], list[str]]:
    """Each manifest image's member (same split if there, else its only split); and the problems."""
    other_class: dict[str, list[str]] = defaultdict(list)
    for (class_name, filename), splits in index.items():
        other_class[filename] += [f"{split}/{class_name}" for split in sorted(splits)]
    located, problems = [], []
    for image in manifest.images:
        splits = index.get((image.class_name, image.filename), {})
        if image.split in splits:
            located.append(Located(image, splits[image.split], image.split))
        elif len(splits) == 1:
            (split, member), *_ = splits.items()
            located.append(Located(image, member, split))
        elif splits:
            where = " and ".join(f"{split}/" for split in sorted(splits))
            problems.append(f"{image.relative_path} (ambiguous: it is in {where})")
        else:
            elsewhere = other_class.get(image.filename)
            hint = f" (found only as {', '.join(elsewhere)}: another class)" if elsewhere else ""
            problems.append(f"{image.relative_path}{hint}")
    return located, problems


def missing_message(archive: Path, root: str, manifest: Manifest, problems: list[str]) -> str:
    """Name the images the archive lacks and say what to do."""
    listed = "\n".join(f"  {problem}" for problem in problems[:LIST_LIMIT])
    if len(problems) > LIST_LIMIT:
        listed += f"\n  ... and {len(problems) - LIST_LIMIT} more"
    where = f"{root}/" if root else ""
    return (
        f"{archive} lacks {len(problems)} of the {len(manifest.images):,} images that "
        f"{manifest.name} needs (looked for {where}<split>/<class>/<file name> in any split):\n"
        f"{listed}\nSo it is not the archive {manifest.path.name} was made for (another "
        f"version?). Nothing was derived and the archive was kept. Delete it and fetch again, "
        f"or set {MIRROR_ENV} to the course mirror, which has {manifest.name} ready-made."
    )


# --- deriving ------------------------------------------------------------------------------------


class DamagedArchive(Exception):
    """A member of the source archive is damaged (raised inside the pool, reported outside)."""


def derive_images(
    zipped: zipfile.ZipFile, located: list[Located], recipe: Recipe, folder: Path, progress: bool
) -> None:
    """Make every derived image in ``folder``; a damaged member raises DamagedArchive naming it."""
    for split, class_name in {(item.image.split, item.image.class_name) for item in located}:
        (folder / split / class_name).mkdir(parents=True, exist_ok=True)

    def derive_one(item: Located) -> None:
        try:
            data = zipped.read(item.member)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise DamagedArchive(f"has a damaged member {item.member} ({error})") from error
        try:
            derived = recipe.apply(data)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            problem = f"has a member that is not a readable image: {item.member} ({error})"
            raise DamagedArchive(problem) from error
        target = folder / item.image.relative_path
        try:
            target.write_bytes(derived)
        except OSError as error:
            raise DataError(
                f"writing {target} failed: {error}. Check the disk has space, then run again."
            ) from error

    with (
        ThreadPoolExecutor(max_workers=WORKERS) as pool,
        tqdm(total=len(located), unit="img", desc="deriving", disable=not progress) as bar,
    ):
        try:
            for _ in pool.map(derive_one, located):
                bar.update()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # stop at the first failure
            raise


def verify_derived(folder: Path, manifest: Manifest) -> None:
    """Check a derived folder by names, counts and decodability; a DataError says what is off."""
    found = {
        str(path.relative_to(folder).as_posix())
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }
    expected = {image.relative_path for image in manifest.images}
    problems = [f"missing {name}" for name in sorted(expected - found)]
    problems += [f"unexpected {name}" for name in sorted(found - expected)]
    for name in sorted(found & expected):
        try:
            with Image.open(folder / name) as image:
                image.load()
                if image.mode != manifest.recipe.mode:
                    problems.append(f"{name} has mode {image.mode}")
                if min(image.size) > manifest.recipe.shorter_side:
                    problems.append(f"{name} is {image.size[0]}x{image.size[1]} px")
        except (OSError, ValueError) as error:
            problems.append(f"{name} does not decode ({error})")
    if problems:
        listed = "; ".join(problems[:LIST_LIMIT])
        raise DataError(
            f"the derived {manifest.name} failed its check ({len(problems)} problem(s)): {listed}. "
            "Nothing was installed; run the command again."
        )


def provenance(
    manifest: Manifest,
    source: Artifact,
    archive: Path,
    digest: str,
    where: str,
    root: str,
    located: list[Located],
) -> dict:
    """What a derived folder was made from, how, and which images came from another split."""
    try:
        manifest_path = str(manifest.path.resolve().relative_to(REPO))
    except ValueError:
        manifest_path = str(manifest.path)
    return {
        "name": manifest.name,
        "derived_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": {
            "artifact": source.name,
            "file": archive.name,
            "obtained_from": where,
            "url": source.url,
            "sha256": digest,
            "size": archive.stat().st_size,
            "data_root": root,
            "licence": source.licence,
            "citation": source.citation,
        },
        "manifest": {"path": manifest_path, "sha256": manifest.sha256},
        "recipe": manifest.recipe.__dict__,
        "counts": manifest.counts(),
        "verified": "every manifest image present, nothing else, every image decodes",
        "taken_from_another_split": [
            {"image": item.image.relative_path, "member": item.member}
            for item in located
            if item.archive_split != item.image.split
        ],
    }


def derive_into(
    final: Path,
    manifest: Manifest,
    source: Artifact,
    archive: Path,
    digest: str,
    where: str,
    progress: bool,
) -> Path:
    """Derive ``manifest`` from ``archive`` into ``final`` (atomically); returns ``final``."""
    in_mirror = where == "mirror"
    if not zipfile.is_zipfile(archive):
        problem = "is not a complete zip archive (truncated?)"
        raise archive_problem(archive, problem, in_mirror=in_mirror)
    try:
        with (
            temporary_folder(final) as folder,
            zipfile.ZipFile(archive) as zipped,
        ):
            root, index = index_archive(zipped)
            if not index:
                raise DataError(
                    f"{archive} does not look like the {source.filename} of {source.name}: no "
                    "folder in it holds train/ and test/ with NORMAL/ and PNEUMONIA/ inside. "
                    "Nothing was derived and the archive was kept; delete it and fetch again."
                )
            located, problems = locate_images(manifest, index)
            if problems:
                raise DataError(missing_message(archive, root, manifest, problems))
            say(
                f"{manifest.name}: deriving {len(located):,} images from {archive.name} "
                f"({manifest.recipe.describe()})",
                progress,
            )
            derive_images(zipped, located, manifest.recipe, folder, progress)
            verify_derived(folder, manifest)
            record = provenance(manifest, source, archive, digest, where, root, located)
            (folder / PROVENANCE_FILE).write_text(json.dumps(record, indent=2) + "\n", "utf-8")
            marker = derived_marker(manifest)
            (folder / MARKER).write_text(marker, encoding="utf-8")
            install_folder(folder, final, marker)
    except (DamagedArchive, zipfile.BadZipFile, zlib.error, EOFError) as error:
        # Reported once the zip is closed, so a damaged cache copy can be deleted (Windows too).
        problem = str(error) if isinstance(error, DamagedArchive) else f"cannot be read ({error})"
        raise archive_problem(archive, problem, in_mirror=in_mirror) from error
    return final


# --- the entry point used by fetch -------------------------------------------------------------


def keep_source_setting(keep_source: bool | None) -> bool:
    """``keep_source`` when given, else ``$CNN_LABS_KEEP_SOURCE`` (1/true/yes keeps)."""
    if keep_source is not None:
        return keep_source
    return os.environ.get(KEEP_SOURCE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def source_archive(source: Artifact, where: Source, progress: bool) -> tuple[Path, str, str]:
    """The verified source archive, its sha256 and where it was: "mirror", "cache" or "download".

    ``where`` is what ``locate`` decided for ``source``. A mirror copy is verified against
    SHA256SUMS and read in place (nothing is copied). A download gets a ``.delete-after-deriving``
    note, so it is deleted once a derivation succeeds, even one that succeeds only on a later run.
    """
    copy = where.mirror
    if copy is not None:
        say(f"{source.name}: checking {copy.path} against {copy.sums}", progress)
        digest = sha256_of(copy.path)
        check_mirror_copy(copy, digest, "nothing was derived")
        return copy.path, digest, "mirror"
    target = cache_folder() / source.filename
    cached = verified_cache_hash(target) if where.kind == "cache" else None
    if cached is not None:
        return target, cached, "cache"
    note = derive_only_note(target)
    note.write_text(
        f"{target.name} was downloaded only to derive another data set from it; it is deleted "
        f"once that succeeds. To keep it, set {KEEP_SOURCE_ENV}=1 (or delete this note).\n",
        encoding="utf-8",
    )
    try:
        digest = download(source, target, progress)
    except BaseException:
        if not target.exists():
            note.unlink(missing_ok=True)
        raise
    return target, digest, "download"


def fetch_derived(
    artifact: Artifact,
    source: Artifact,
    where: Source,
    progress: bool = True,
    keep_source: bool | None = None,
) -> Path:
    """The folder of ``artifact`` derived from ``source`` (which ``locate`` found at ``where``)."""
    if artifact.derivation is None or artifact.extract_to is None:
        raise DataError(f"{artifact.name} is not a derived artifact.")
    manifest = load_manifest(artifact.derivation.manifest)
    final = cache_folder() / artifact.extract_to
    marker = derived_marker(manifest)
    if read_marker(final) == marker:
        return final
    remove_stale_temporaries(final.parent, artifact.extract_to)
    if manifest.source != artifact.derivation.source:
        raise DataError(
            f"{manifest.path} derives from {manifest.source}, but the registry entry of "
            f"{artifact.name} says {artifact.derivation.source}; the two must agree."
        )
    say(
        f"{artifact.name}: {artifact.filename} is in no mirror and not cached, so it is derived "
        f"from {source.name} ({source.filename}) as {manifest.path.name} describes",
        progress,
    )
    try:
        archive, digest, obtained = source_archive(source, where, progress)
    except DataError as error:
        raise DataError(
            f"{artifact.name} has no download of its own and is derived from {source.name} "
            f"({source.filename}), but getting that failed: {error}"
        ) from error
    derive_into(final, manifest, source, archive, digest, obtained, progress)
    say(f"{artifact.name}: derived and verified into {final}", progress)
    note = derive_only_note(archive)
    if obtained != "mirror" and note.is_file():
        note.unlink()
        if keep_source_setting(keep_source):
            why = "as asked" if keep_source else f"{KEEP_SOURCE_ENV} is set"
            say(f"{source.name}: kept {archive} ({why})", progress)
        else:
            size = archive.stat().st_size
            archive.unlink(missing_ok=True)
            sidecar_of(archive).unlink(missing_ok=True)
            say(
                f"{source.name}: deleted {archive.name} ({human_size(size)}) now that "
                f"{artifact.extract_to}/ is derived; to keep it next time, set "
                f"{KEEP_SOURCE_ENV}=1 or pass --keep-source",
                progress,
            )
    return final
