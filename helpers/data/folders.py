"""Image folders: the images of a ``root/<class_name>/*.jpg`` tree, decoded.

Classes are the sorted subfolders (as in Keras), files come in natural order; junk is skipped
with one warning; any image mode becomes 8-bit RGB or grayscale; unreadable files are named.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm import tqdm

from helpers.data.errors import DataError
from helpers.data.registry import ARTIFACTS, JUNK_NAMES, is_junk

__all__ = ["FolderScan", "decode_image", "load_images", "scan_image_folder"]

#: File extensions treated as images (compared case-insensitively).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
#: Skip reasons summarised by name and count rather than listed file by file.
JUNK_REASONS = frozenset({"system file", "hidden folder (not scanned)"})
#: Threads that decode images (Pillow releases the GIL while decoding).
WORKERS = 2


def natural_key(path: Path) -> tuple:
    """Sort key that orders numbers by value ("cat.2" < "cat.10"), ties broken by the name."""
    parts = [re.split(r"(\d+)", part) for part in path.parts]
    return [[int(p) if p.isdigit() else p.casefold() for p in part] for part in parts], str(path)


def why_not_an_image(path: Path) -> str | None:
    """Why a file is not an image, or None when it is one."""
    if path.name.casefold() in JUNK_NAMES:
        return "system file"
    if path.name.startswith("."):
        return "hidden file"
    if path.suffix.casefold() not in IMAGE_EXTENSIONS:
        return f"not an image ({path.suffix or 'no extension'})"
    return None


def subfolders(folder: Path) -> list[Path]:
    """Subfolders that are not hidden or system folders, in sorted order."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not is_junk(p.name))


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
        parent = root.parent
        where = f"its parent {parent} does not exist either"
        if parent.is_dir():
            found = ", ".join(p.name for p in subfolders(parent)) or "no subfolders"
            where = f"its parent {parent} has: {found}"
        names = [a.name for a in ARTIFACTS.values() if a.extract_to and a.extract_to in root.parts]
        raise DataError(
            f"missing split: {root} does not exist; expected a folder with one subfolder per class "
            f"(e.g. {root / 'class_a'}/*.jpg); {where}. Did the download "
            f"finish? Run `python -m helpers.data fetch {(names or ['NAME'])[0]}` (see `python -m "
            "helpers.data info`)."
        )
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder of class subfolders.")
    loose = sorted(p for p in root.iterdir() if not p.is_dir())
    skipped = [(p, why_not_an_image(p) or "file outside the class folders") for p in loose]
    if not subfolders(root):
        images = sum(why_not_an_image(p) is None for p in loose)
        hint = f" It holds {images} image(s) directly: move them into one folder per class."
        raise DataError(
            f"{root} has no class subfolders; expected {root}/<class_name>/<image files>, "
            f"e.g. {root / 'cats'}/cat.1.jpg.{hint if images else ''}"
        )
    files, labels = [], []
    for label, class_dir in enumerate(subfolders(root)):
        images = []
        for folder, children, names in os.walk(class_dir):
            for name in [n for n in children if is_junk(n)]:
                children.remove(name)
                skipped.append((Path(folder, name), "hidden folder (not scanned)"))
            for path in (Path(folder, name) for name in names):
                reason = why_not_an_image(path)
                if reason is None:
                    images.append(path)
                else:
                    skipped.append((path, reason))
        if not images:
            junk = [p.name for p, _ in skipped if p.parent == class_dir][:5]
            raise DataError(
                f"class folder {class_dir} has no images "
                f"({'it holds only ' + ', '.join(junk) if junk else 'it is empty'}). A class "
                "without images would shift the label of every class after it: add its images "
                "or remove the folder."
            )
        files += sorted(images, key=lambda p: natural_key(p.relative_to(class_dir)))
        labels += [label] * len(images)
    if warn and skipped:
        junk = Counter(p.name for p, reason in skipped if reason in JUNK_REASONS)
        others = [f"{p.relative_to(root)}: {r}" for p, r in skipped if r not in JUNK_REASONS]
        parts = ["system files " + ", ".join(f"{n} x{c}" for n, c in sorted(junk.items()))]
        parts = (parts if junk else []) + others[:10]
        if len(others) > 10:
            parts.append(f"... and {len(others) - 10} more")
        message = f"{root}: skipped {len(skipped)} non-image file(s): " + "; ".join(parts)
        warnings.warn(message, stacklevel=2)
    names = [d.name for d in subfolders(root)]
    return FolderScan(root, names, files, np.asarray(labels, dtype=np.int32), skipped)


def checked(size: int | Sequence[int], color_mode: str) -> tuple[int, int, str]:
    """(height, width, Pillow mode) for a size (an int or (height, width)) and a color mode."""
    height, width = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if int(height) <= 0 or int(width) <= 0:
        raise ValueError(f"image size must be positive, got {size!r}")
    if color_mode not in ("rgb", "grayscale"):
        raise ValueError(f"color_mode must be 'rgb' or 'grayscale', got {color_mode!r}")
    return int(height), int(width), "RGB" if color_mode == "rgb" else "L"


def decode_image(path: Path | str, size: int | Sequence[int], color_mode: str = "rgb"):
    """One image as uint8 (height, width, channels): upright (EXIF), 8-bit, alpha on white."""
    height, width, mode = checked(size, color_mode)
    with Image.open(path) as image:
        image.draft(mode, (width, height))  # JPEG only: decode at a reduced scale, much faster
        image.load()
        with suppress(Exception):  # a malformed EXIF block should not make the image unreadable
            image = ImageOps.exif_transpose(image)
    if image.mode.startswith(("I", "F")):
        pixels = np.asarray(image, dtype=np.float64)
        top = pixels.max(initial=0.0)
        scale = 1.0 if top <= 255 else (255 / 65535 if top <= 65535 else 255 / top)
        image = Image.fromarray(np.clip(np.rint(pixels * scale), 0, 255).astype(np.uint8), "L")
    if {"A", "a"} & set(image.getbands()) or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image = image.convert(mode).resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2)
    # (Pillow's bilinear filter is antialiased when shrinking, and faster than LANCZOS.)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[..., np.newaxis] if pixels.ndim == 2 else pixels


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
    height, width, mode = checked(size, color_mode)
    images = np.zeros((len(files), height, width, len(mode)), dtype=np.uint8)  # RGB: 3, L: 1
    reasons: list[str | None] = [None] * len(files)

    def decode_into(index: int) -> None:
        try:
            images[index] = decode_image(files[index], (height, width), color_mode)
        except Exception as error:  # any decoding failure marks just this one file
            reasons[index] = str(error) or type(error).__name__

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = pool.map(decode_into, range(len(files)))
        list(tqdm(done, total=len(files), unit="img", desc="decoding", disable=not progress))
    bad = [f"  {f}: {r}" for f, r in zip(files, reasons, strict=True) if r is not None]
    if bad:
        more = [f"  ... and {len(bad) - 20} more"] if len(bad) > 20 else []
        warnings.warn(
            f"{len(bad)} of {len(files)} image(s) could not be decoded and are marked not ok "
            "(keep images[ok]):\n" + "\n".join(bad[:20] + more),
            stacklevel=2,
        )
    return images, np.array([r is None for r in reasons], dtype=bool)
