"""Arranging an extracted archive into the layout the loaders read (the only code here that moves
or deletes files inside a freshly extracted folder; the registry just names it as a step)."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.data.errors import DataError

__all__ = ["CHEST_XRAY_CLASSES", "CHEST_XRAY_SPLITS", "JUNK_NAMES", "arrange_chest_xray_full"]

#: Files and folders operating systems leave behind (compared case-insensitively): macOS resource
#: forks and desktop junk. Skipped in zips, in extracted archives and in image folders alike.
JUNK_NAMES = frozenset({"__macosx", ".ds_store", "thumbs.db", "desktop.ini"})

#: The split folders of the Kermany chest X-ray layout (``val/`` only in some copies) and classes.
CHEST_XRAY_SPLITS = ("train", "val", "test")
CHEST_XRAY_CLASSES = ("NORMAL", "PNEUMONIA")


def _is_chest_xray_root(folder: Path) -> bool:
    """True when ``folder`` holds ``train/`` and ``test/``, each with NORMAL/ and PNEUMONIA/."""
    splits = ("train", "test")
    return all((folder / split / name).is_dir() for split in splits for name in CHEST_XRAY_CLASSES)


def _find_chest_xray_root(folder: Path, max_depth: int = 3) -> Path | None:
    """The shallowest folder under ``folder`` (itself included) with the chest X-ray layout."""
    level = [folder]
    for _ in range(max_depth + 1):
        for candidate in level:
            if _is_chest_xray_root(candidate):
                return candidate
        level = [
            child
            for parent in level
            for child in sorted(parent.iterdir())
            if child.is_dir()
            and not child.name.startswith(".")
            and child.name.casefold() not in JUNK_NAMES
        ]
    return None


def arrange_chest_xray_full(folder: Path) -> None:
    """Give an extracted ``ChestXRay2017.zip`` the layout of chest_xray_small, in place.

    Afterwards ``folder`` holds exactly ``train/`` and ``test/`` (and ``val/`` when the copy has
    one), each with ``NORMAL/`` and ``PNEUMONIA/``, so ``load_chest_xray`` reads it unchanged.
    Mendeley's zip wraps them in ``chest_xray/`` (``fetch`` has already unwrapped a single top
    folder); Kaggle's copy adds ``val/`` and a nested duplicate ``chest_xray/chest_xray/``. The
    shallowest folder with the layout wins; everything else (duplicates, stray files) is deleted.
    """
    root = _find_chest_xray_root(folder)
    if root is None:
        raise DataError(
            f"{folder} does not look like an extracted ChestXRay2017.zip: no folder in it (up to "
            "3 levels deep) holds train/ and test/ with NORMAL/ and PNEUMONIA/ inside. Delete "
            "the zip from the data cache and fetch chest_xray_full again."
        )
    staged = {}
    for split in CHEST_XRAY_SPLITS:
        if (root / split).is_dir():
            staged[split] = folder / f".arranging-{split}"
            (root / split).rename(staged[split])
    for entry in folder.iterdir():
        if entry in staged.values():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for split, path in staged.items():
        path.rename(folder / split)
