"""Image folders: find the images in a ``root/<class_name>/*.jpg`` tree, decode them, check them.

The class names are the sorted subfolder names and a file's label is its class's index, exactly as
Keras' ``image_dataset_from_directory`` does it. Files inside a class folder are listed in natural
order ("cat.2" before "cat.10"), so every run sees the same images in the same order.

Real folders are messy: ``.DS_Store``, ``Thumbs.db``, notebooks' ``.ipynb_checkpoints``, a
truncated download, a CMYK JPEG, a PNG with transparency. Junk is skipped with one summary
warning; images in any mode become 8-bit RGB (or grayscale); a file that cannot be decoded is
flagged, named in a warning, and left for the caller to drop instead of crashing the whole load.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm import tqdm

from helpers.data.arrange import JUNK_NAMES
from helpers.data.errors import DataError
from helpers.data.registry import ARTIFACTS

__all__ = [
    "IMAGE_EXTENSIONS",
    "FolderReport",
    "FolderScan",
    "check_image_folder",
    "decode_image",
    "load_images",
    "scan_image_folder",
]

#: File extensions treated as images (compared case-insensitively).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
#: Skip reasons summarised by name and count rather than listed file by file.
JUNK_REASONS = frozenset({"system file", "hidden folder (not scanned)"})
#: Threads that decode images (Pillow releases the GIL while decoding).
WORKERS = 2
#: Resampling for resizing: Pillow's bilinear filter is antialiased when shrinking (its support
#: grows with the scale factor), about 1.5x faster than LANCZOS and visually as good at CNN sizes.
RESAMPLE = Image.Resampling.BILINEAR
#: Shrink by whole factors with a fast box filter first while the image is over 2x the target.
REDUCING_GAP = 2.0
#: Modes whose pixels are grayscale, have transparency, or are 16/32-bit (for check summaries).
GRAYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


# --- scanning ---------------------------------------------------------------------------------


def natural_key(text: str) -> list:
    """Sort key that orders numbers by value: "cat.2" < "cat.10"."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def path_key(path: Path) -> tuple:
    """Natural sort key for a path (folder by folder), ties broken by the exact name."""
    return tuple(natural_key(part) for part in path.parts), str(path)


def is_hidden(path: Path) -> bool:
    """True for dot-files and dot-folders such as ``.DS_Store`` and ``.ipynb_checkpoints``."""
    return path.name.startswith(".")


def why_not_an_image(path: Path) -> str | None:
    """Why a file in a class folder is not an image, or None when it is one."""
    if path.name.casefold() in JUNK_NAMES:
        return "system file"
    if is_hidden(path):
        return "hidden file"
    if path.suffix.casefold() not in IMAGE_EXTENSIONS:
        return f"not an image ({path.suffix or 'no extension'})"
    return None


def visible_subfolders(folder: Path) -> list[Path]:
    """Subfolders that are not hidden or system folders, in sorted order."""
    return sorted(
        entry
        for entry in folder.iterdir()
        if entry.is_dir() and not is_hidden(entry) and entry.name.casefold() not in JUNK_NAMES
    )


def artifact_hint(root: Path) -> str:
    """The fetch command that would create ``root``, if it lies inside an artifact's folder."""
    names = [a.name for a in ARTIFACTS.values() if a.extract_to and a.extract_to in root.parts]
    name = names[0] if names else "NAME"
    return f"run `python -m helpers.data fetch {name}`"


def missing_folder_message(root: Path) -> str:
    """Explain a folder that does not exist, and what its parent holds instead."""
    parent = root.parent
    if parent.is_dir():
        found = ", ".join(p.name for p in visible_subfolders(parent)) or "no subfolders"
        where = f"its parent {parent} has: {found}"
    else:
        where = f"its parent {parent} does not exist either"
    return (
        f"missing split: {root} does not exist; expected a folder with one subfolder per class "
        f"(e.g. {root / 'class_a'}/*.jpg); {where}. Did the download finish? "
        f"{artifact_hint(root)} (see `python -m helpers.data info`)."
    )


def list_class_files(class_dir: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Images under one class folder (recursively, natural order) and the files skipped there."""
    images: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for folder, subfolders, names in os.walk(class_dir):
        here = Path(folder)
        for name in list(subfolders):
            if name.startswith(".") or name.casefold() in JUNK_NAMES:
                subfolders.remove(name)
                skipped.append((here / name, "hidden folder (not scanned)"))
        for name in names:
            path = here / name
            reason = why_not_an_image(path)
            if reason is None:
                images.append(path)
            else:
                skipped.append((path, reason))
    images.sort(key=lambda p: path_key(p.relative_to(class_dir)))
    return images, skipped


def summarize_skipped(root: Path, skipped: list[tuple[Path, str]], limit: int = 10) -> str:
    """One readable line about skipped files: system junk by name, other files listed."""
    junk = Counter(p.name for p, reason in skipped if reason in JUNK_REASONS)
    others = [(p, r) for p, r in skipped if r not in JUNK_REASONS]
    parts = []
    if junk:
        parts.append("system files " + ", ".join(f"{n} x{c}" for n, c in sorted(junk.items())))
    listed = [f"{relative(p, root)}: {r}" for p, r in others[:limit]]
    if len(others) > limit:
        listed.append(f"... and {len(others) - limit} more")
    parts.extend(listed)
    return f"{root}: skipped {len(skipped)} non-image file(s): " + "; ".join(parts)


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies inside it, else the full path."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@dataclass
class FolderScan:
    """The images of a ``root/<class_name>/`` tree with their labels, and what was skipped."""

    root: Path
    class_names: list[str]
    files: list[Path]
    labels: np.ndarray
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Images per class, e.g. ``{"cats": 1000, "dogs": 1000}``."""
        found = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(n) for name, n in zip(self.class_names, found, strict=True)}

    def __len__(self) -> int:
        return len(self.files)


def scan_image_folder(root: Path | str, *, warn: bool = True) -> FolderScan:
    """Find the images of a ``root/<class_name>/*`` tree; labels index the sorted class names."""
    root = Path(root)
    if not root.exists():
        raise DataError(missing_folder_message(root))
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder of class subfolders.")
    skipped = [(p, why_not_an_image(p) or "file outside the class folders") for p in files_in(root)]
    class_dirs = visible_subfolders(root)
    if not class_dirs:
        loose = sum(1 for p in files_in(root) if why_not_an_image(p) is None)
        hint = ""
        if loose:
            hint = f" It holds {loose} image(s) directly: move them into one folder per class."
        raise DataError(
            f"{root} has no class subfolders; expected {root}/<class_name>/<image files>, "
            f"e.g. {root / 'cats'}/cat.1.jpg.{hint}"
        )
    files: list[Path] = []
    labels: list[int] = []
    for label, class_dir in enumerate(class_dirs):
        images, junk = list_class_files(class_dir)
        skipped.extend(junk)
        if not images:
            raise DataError(empty_class_message(class_dir, junk))
        files.extend(images)
        labels.extend([label] * len(images))
    if warn and skipped:
        warnings.warn(summarize_skipped(root, skipped), stacklevel=2)
    names = [d.name for d in class_dirs]
    return FolderScan(root, names, files, np.asarray(labels, dtype=np.int32), skipped)


def files_in(folder: Path) -> list[Path]:
    """The plain files directly inside ``folder`` (no subfolders)."""
    return sorted(entry for entry in folder.iterdir() if not entry.is_dir())


def empty_class_message(class_dir: Path, junk: list[tuple[Path, str]]) -> str:
    """Explain why an empty class folder is an error and how to fix it."""
    found = ", ".join(p.name for p, _ in junk[:5])
    contents = f"it holds only {found}" if found else "it is empty"
    return (
        f"class folder {class_dir} has no images ({contents}). A class without images would shift "
        "the label of every class after it: add its images or remove the folder."
    )


# --- decoding ---------------------------------------------------------------------------------


def as_height_width(size: int | Sequence[int]) -> tuple[int, int]:
    """``size`` (an int, or (height, width)) as a (height, width) pair of positive ints."""
    height, width = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if int(height) <= 0 or int(width) <= 0:
        raise ValueError(f"image size must be positive, got {size!r}")
    return int(height), int(width)


def target_mode(color_mode: str) -> str:
    """Pillow mode for a color mode name: "rgb" -> "RGB", "grayscale" -> "L"."""
    modes = {"rgb": "RGB", "grayscale": "L"}
    if color_mode not in modes:
        raise ValueError(f"color_mode must be 'rgb' or 'grayscale', got {color_mode!r}")
    return modes[color_mode]


def upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation tag says (phone photos); unchanged without one."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block should not make a readable image unreadable
        return image


def to_8bit(image: Image.Image) -> Image.Image:
    """16/32-bit and float grayscale images scaled into 8-bit "L"."""
    pixels = np.asarray(image, dtype=np.float64)
    top = pixels.max(initial=0.0)
    scale = 1.0 if top <= 255 else (255 / 65535 if top <= 65535 else 255 / top)
    return Image.fromarray(np.clip(np.rint(pixels * scale), 0, 255).astype(np.uint8), "L")


def to_mode(image: Image.Image, mode: str) -> Image.Image:
    """Any Pillow image as "RGB" or "L"; transparency is composited on a white background."""
    if image.mode.startswith(("I", "F")):
        image = to_8bit(image)
    if "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return image if image.mode == mode else image.convert(mode)


def decode_image(path: Path | str, size: int | Sequence[int], color_mode: str = "rgb"):
    """One image file as a uint8 array (height, width, channels); raises if it cannot be decoded."""
    height, width = as_height_width(size)
    mode = target_mode(color_mode)
    with Image.open(path) as image:
        image.draft(mode, (width, height))  # JPEG only: decode at a reduced scale, much faster
        image.load()
        image = to_mode(upright(image), mode)
    image = image.resize((width, height), RESAMPLE, reducing_gap=REDUCING_GAP)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[..., np.newaxis] if pixels.ndim == 2 else pixels


def describe(error: BaseException) -> str:
    """A short reason from an exception: its message, or its type when it has none."""
    return str(error) or type(error).__name__


def decode_all(
    files: Sequence[Path | str],
    size: int | Sequence[int],
    color_mode: str,
    workers: int = WORKERS,
    progress: bool = False,
) -> tuple[np.ndarray, list[str | None]]:
    """Decode ``files`` in a thread pool; returns the images and a failure reason (or None) each."""
    height, width = as_height_width(size)
    channels = 3 if target_mode(color_mode) == "RGB" else 1
    images = np.zeros((len(files), height, width, channels), dtype=np.uint8)
    reasons: list[str | None] = [None] * len(files)

    def decode_into(index: int) -> None:
        try:
            images[index] = decode_image(files[index], (height, width), color_mode)
        except Exception as error:  # any decoding failure marks just this one file
            reasons[index] = describe(error)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = pool.map(decode_into, range(len(files)))
        for _ in tqdm(done, total=len(files), unit="img", desc="decoding", disable=not progress):
            pass
    return images, reasons


def warn_unreadable(bad: list[tuple[Path, str]], total: int, limit: int = 20) -> None:
    """One warning naming every unreadable file (up to ``limit``) and why."""
    lines = [f"  {path}: {reason}" for path, reason in bad[:limit]]
    if len(bad) > limit:
        lines.append(f"  ... and {len(bad) - limit} more")
    warnings.warn(
        f"{len(bad)} of {total} image(s) could not be decoded and are marked not ok "
        "(keep images[ok]):\n" + "\n".join(lines),
        stacklevel=3,
    )


def load_images(
    files: Sequence[Path | str],
    size: int | Sequence[int],
    color_mode: str = "rgb",
    *,
    workers: int = WORKERS,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode and resize images to uint8 (N, H, W, C) plus a bool ``ok`` mask (False = unreadable).

    ``size`` is an int (square) or (height, width); ``color_mode`` is "rgb" (3 channels) or
    "grayscale" (1). Unreadable files get an all-zero image, ``ok`` False and a warning naming them.
    """
    images, reasons = decode_all(files, size, color_mode, workers, progress)
    bad = [(Path(f), r) for f, r in zip(files, reasons, strict=True) if r is not None]
    if bad:
        warn_unreadable(bad, len(files))
    return images, np.array([r is None for r in reasons], dtype=bool)


# --- checking a whole folder --------------------------------------------------------------------


def inspect_image(path: Path) -> tuple[str, tuple[int, int]]:
    """Fully decode one image at full size; returns its mode and (width, height), or raises."""
    with Image.open(path) as image:
        mode, size = image.mode, image.size
        image.load()
        to_mode(image, "RGB")
    return mode, size


@dataclass
class FolderReport:
    """What ``check_image_folder`` found: counts, unreadable and skipped files, modes and sizes."""

    root: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    modes: Counter = field(default_factory=Counter)
    sizes: Counter = field(default_factory=Counter)
    verified: bool = True

    @property
    def ok(self) -> bool:
        """True when every image decodes and every split has a usable class layout."""
        return not self.unreadable and not self.problems

    @property
    def total(self) -> int:
        """Number of image files found."""
        return sum(sum(per_class.values()) for per_class in self.counts.values())

    def format(self, limit: int = 20) -> str:
        """A readable text report: a split-by-class table, then modes, sizes and problems."""
        lines = [f"image folder: {self.root}", ""]
        lines += self.count_table()
        lines += ["", *self.mode_lines()]
        lines += self.file_list("skipped (not images)", self.skipped, limit)
        lines += self.file_list("UNREADABLE", self.unreadable, limit)
        if self.problems:
            lines += ["", "PROBLEMS:", *(f"  {problem}" for problem in self.problems)]
        lines += ["", self.verdict()]
        return "\n".join(lines)

    def count_table(self) -> list[str]:
        """Rows of images per split (rows) and class (columns)."""
        return split_table(self.counts) if self.counts else ["no images found"]

    def mode_lines(self) -> list[str]:
        """Summary lines of the image modes and sizes seen while decoding."""
        if not self.verified:
            return ["images not decoded (verify=False)"]
        if not self.modes:
            return ["no image decoded"]
        modes = ", ".join(f"{mode} {n}" for mode, n in self.modes.most_common())
        gray = sum(n for mode, n in self.modes.items() if mode in GRAYSCALE_MODES)
        alpha = sum(n for mode, n in self.modes.items() if mode in ALPHA_MODES)
        cmyk = self.modes.get("CMYK", 0)
        lines = [f"modes: {modes}  ({gray} grayscale, {alpha} with alpha, {cmyk} CMYK)"]
        widths = [w for w, _ in self.sizes.elements()]
        heights = [h for _, h in self.sizes.elements()]
        (w, h), n = self.sizes.most_common(1)[0]
        lines.append(
            f"sizes: width {min(widths)}-{max(widths)} px, height {min(heights)}-{max(heights)} px;"
            f" most common {w}x{h} ({n} images)"
        )
        return lines

    def file_list(self, title: str, entries: list[tuple[Path, str]], limit: int) -> list[str]:
        """A titled list of files with reasons, at most ``limit`` lines."""
        if not entries:
            return [f"{title}: none"]
        lines = [f"{title}: {len(entries)}"]
        lines += [f"  {relative(path, self.root)}: {reason}" for path, reason in entries[:limit]]
        if len(entries) > limit:
            lines.append(f"  ... and {len(entries) - limit} more")
        return lines

    def verdict(self) -> str:
        """The last line: OK, or what is wrong and what to do."""
        if self.ok:
            checked = "every image decodes" if self.verified else "layout looks fine (not decoded)"
            return f"OK: {self.total} images, {checked}."
        parts = []
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} unreadable image(s): delete or replace them")
        if self.problems:
            parts.append(f"{len(self.problems)} layout problem(s): see above")
        return "NOT OK: " + "; ".join(parts) + "."


def split_table(counts: dict[str, dict[str, int]], class_names=None) -> list[str]:
    """Rows of a text table of images per split (rows) and class (columns), with totals.

    ``counts`` maps split -> {class: images}; a class a split lacks shows "-". The one table
    behind ``python -m helpers.data check`` and ``ImageDataset.summary()``.
    """
    classes = list(class_names or sorted({n for per_class in counts.values() for n in per_class}))
    biggest = max((n for per_class in counts.values() for n in per_class.values()), default=0)
    width = max([len(str(biggest)), *(len(name) for name in classes)]) + 2
    first = max(12, *(len(split) + 2 for split in counts))
    header = "split".ljust(first) + "".join(n.rjust(width) for n in classes) + "total".rjust(8)
    rows = [header]
    for split, per_class in counts.items():
        cells = "".join(str(per_class.get(n, "-")).rjust(width) for n in classes)
        rows.append(split.ljust(first) + cells + str(sum(per_class.values())).rjust(8))
    return rows


def has_split_layout(root: Path) -> bool:
    """True when the subfolders of ``root`` hold class folders themselves (train/, test/, ...)."""
    return any(visible_subfolders(sub) for sub in visible_subfolders(root))


def check_image_folder(
    root: Path | str, verify: bool = True, workers: int = WORKERS
) -> FolderReport:
    """Scan a class tree (or a folder of split trees) and, with ``verify``, decode every image."""
    root = Path(root)
    if not root.is_dir():
        scan_image_folder(root)  # raises the DataError that explains what is missing
    report = FolderReport(root, verified=verify)
    if has_split_layout(root):
        splits = {sub.name: sub for sub in visible_subfolders(root)}
        loose = [p for p in files_in(root) if not is_hidden(p)]
        report.skipped += [(p, "file outside the splits") for p in loose]
    else:
        splits = {".": root}
    scans = []
    for split, folder in splits.items():
        try:
            scan = scan_image_folder(folder, warn=False)
        except DataError as error:
            report.problems.append(str(error))
            continue
        report.counts[split] = scan.counts
        report.skipped += scan.skipped
        scans.append(scan)
    if verify:
        files = [f for scan in scans for f in scan.files]
        inspect_all(files, report, workers)
    return report


def inspect_all(files: list[Path], report: FolderReport, workers: int) -> None:
    """Decode every file at full size, recording modes, sizes and failures in ``report``."""

    def inspect(path: Path):
        try:
            return inspect_image(path), None
        except Exception as error:  # report, never crash, on any decoding failure
            return None, describe(error)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for path, (found, reason) in zip(files, pool.map(inspect, files), strict=True):
            if reason is not None:
                report.unreadable.append((path, reason))
            else:
                mode, size = found
                report.modes[mode] += 1
                report.sizes[size] += 1
