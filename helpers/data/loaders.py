"""Ready-to-train datasets with deterministic, documented splits, so every lab's number reproduces.

* MNIST: the standard 60,000 training and 10,000 test digits, in the original order.
* Cats vs dogs: ``train/`` trains; ``validation/`` (500 + 500) is halved per class by the SHA-256
  of ``"{HELD_OUT_SPLIT_SEED}:{file name}"``: the lower half validates, the upper half is the
  held-out test set. (Cut in filename order until 2026-12, the test half scored 1-8 points lower.)
* Chest X-ray: ``val/`` (4 images) is unused; validation is the training patients with
  ``crc32(patient id) % 5 == 0`` (about 20 %), so one person is never on both sides.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.data.errors import DataError
from helpers.data.fetch import fetch
from helpers.data.folders import load_images, scan_image_folder

__all__ = [
    "ImageDataset",
    "ImageSplit",
    "load_cats_and_dogs",
    "load_chest_xray",
    "load_image_folder",
    "load_mnist",
    "patient_id",
]

MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST as ``(x_train, y_train), (x_test, y_test)`` uint8 arrays (np.load: works offline)."""
    path = fetch("mnist")
    try:
        with np.load(path) as arrays:
            missing = [key for key in MNIST_KEYS if key not in arrays]
            if missing:
                raise DataError(
                    f"{path} has no {', '.join(missing)} array; it is not an MNIST file. "
                    "Delete it and run `python -m helpers.data fetch mnist` again."
                )
            x_train, y_train, x_test, y_test = (arrays[key] for key in MNIST_KEYS)
    except (OSError, ValueError) as error:
        raise DataError(
            f"{path} could not be read as a numpy .npz file ({error}). "
            "Delete it and run `python -m helpers.data fetch mnist` again."
        ) from error
    return (x_train, y_train), (x_test, y_test)


@dataclass
class ImageSplit:
    """One split of an image dataset: decoded images, integer labels, the files they came from."""

    images: np.ndarray
    labels: np.ndarray
    files: list[Path]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, keep: np.ndarray) -> ImageSplit:
        """The images selected by a boolean mask or index array."""
        indices = np.arange(len(self))[keep]
        return ImageSplit(
            self.images[indices], self.labels[indices], [self.files[i] for i in indices]
        )

    def take(self, n: int | None, seed: int = 0) -> ImageSplit:
        """A class-balanced random subset of at most ``n`` images (all of them when n is None)."""
        if n is None or n >= len(self):
            return self
        rng = np.random.default_rng(seed)
        classes = np.unique(self.labels)
        per_class = [rng.permutation(np.flatnonzero(self.labels == c)) for c in classes]
        chosen = np.sort(np.concatenate([idx[: max(1, n // len(classes))] for idx in per_class]))
        return self.subset(chosen)


@dataclass
class ImageDataset:
    """A labelled image dataset in memory: ``splits`` maps a split name to its ImageSplit."""

    name: str
    class_names: list[str]
    splits: dict[str, ImageSplit]
    rule: str = ""
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __getitem__(self, split: str) -> ImageSplit:
        if split not in self.splits:
            raise KeyError(f"{self.name} has no split {split!r}; it has {', '.join(self.splits)}")
        return self.splits[split]

    def counts(self) -> dict[str, dict[str, int]]:
        """Images per split and class, e.g. ``{"train": {"cats": 1000, "dogs": 1000}, ...}``."""
        return {
            split: {
                name: int(np.sum(part.labels == index))
                for index, name in enumerate(self.class_names)
            }
            for split, part in self.splits.items()
        }

    def summary(self) -> str:
        """A small text table of images per split (rows) and class (columns), with totals."""
        counts = self.counts()
        biggest = max((n for per_class in counts.values() for n in per_class.values()), default=0)
        width = max([len(str(biggest)), *(len(name) for name in self.class_names)]) + 2
        first = max(12, *(len(split) + 2 for split in counts))
        rows = ["split".ljust(first) + "".join(n.rjust(width) for n in self.class_names)]
        rows[0] += "total".rjust(8)
        for split, per_class in counts.items():
            cells = "".join(str(per_class[n]).rjust(width) for n in self.class_names)
            rows.append(split.ljust(first) + cells + str(sum(per_class.values())).rjust(8))
        return "\n".join(rows)

    def pipeline(
        self,
        split: str,
        batch_size: int = 32,
        *,
        shuffle: bool | None = None,
        augment=None,
        seed: int = 0,
    ):
        """A batched, prefetched ``tf.data.Dataset`` of (uint8 images, labels) for one split.

        "train" is shuffled every epoch by default. ``augment`` (a Keras layer or model) runs on
        whole batches of this split only, one batch at a time: Keras' random layers share a seed
        state, so parallel calls would make a seeded lab differ from run to run.
        """
        import tensorflow as tf

        part = self[split]
        shuffle = (split == "train") if shuffle is None else shuffle
        data = tf.data.Dataset.from_tensor_slices((part.images, part.labels))
        if shuffle:
            data = data.shuffle(len(part), seed=seed, reshuffle_each_iteration=True)
        data = data.batch(batch_size)
        if augment is not None:
            data = data.map(lambda x, y: (augment(x, training=True), y))  # sequential: see above
        return data.prefetch(tf.data.AUTOTUNE)


def load_image_folder(
    root: Path | str, image_size: int, color_mode: str = "rgb"
) -> tuple[ImageSplit, list[str], list[tuple[Path, str]]]:
    """A ``root/<class>/<image>`` tree as (ImageSplit, sorted class names, skipped files)."""
    scan = scan_image_folder(root)
    images, ok = load_images(scan.files, image_size, color_mode=color_mode)
    bad = [(f, "unreadable image") for f, good in zip(scan.files, ok, strict=True) if not good]
    files = [f for f, good in zip(scan.files, ok, strict=True) if good]
    return ImageSplit(images[ok], scan.labels[ok], files), scan.class_names, scan.skipped + bad


#: The fixed seed of the cats-vs-dogs validation/test draw (documented in the module docstring).
HELD_OUT_SPLIT_SEED = 2026


def _drawn_half_per_class(part: ImageSplit, seed: int = HELD_OUT_SPLIT_SEED) -> np.ndarray:
    """Boolean mask of a seeded random half of each class: files ordered by a hash of the name."""

    def draw(index: int) -> str:
        return hashlib.sha256(f"{seed}:{Path(part.files[index]).name}".encode()).hexdigest()

    mask = np.zeros(len(part), dtype=bool)
    for label in np.unique(part.labels):
        indices = sorted(np.flatnonzero(part.labels == label), key=draw)
        mask[indices[: len(indices) // 2]] = True
    return mask


def load_cats_and_dogs(
    image_size: int = 150, train_size: int | None = None, seed: int = 0
) -> ImageDataset:
    """Cats vs dogs at ``image_size`` px: train 2,000; validation 500, held-out test 500.

    ``train_size`` keeps a class-balanced random subset of train (drawn with ``seed``).
    """
    root = fetch("cats_and_dogs")
    train, class_names, skipped = load_image_folder(root / "train", image_size)
    held_out, held_out_classes, more_skipped = load_image_folder(root / "validation", image_size)
    if held_out_classes != class_names:
        raise DataError(
            f"{root / 'validation'} has classes {held_out_classes} but {root / 'train'} has "
            f"{class_names}; both must hold the same class folders."
        )
    first_half = _drawn_half_per_class(held_out)
    return ImageDataset(
        name="cats_and_dogs",
        class_names=class_names,
        splits={
            "train": train.take(train_size, seed=seed),
            "validation": held_out.subset(first_half),
            "test": held_out.subset(~first_half),
        },
        rule=(
            f"validation/ split per class by a seeded random draw (seed {HELD_OUT_SPLIT_SEED}): "
            "half validation, half test"
        ),
        skipped=skipped + more_skipped,
    )


def patient_id(path: Path | str) -> str:
    """The patient of an X-ray file: ``person1004_bacteria_2935`` → ``person1004``, ``IM-0133-0001``
    → ``IM-0133``, ``NORMAL2-IM-0135-0001`` → ``NORMAL2-IM-0135``."""
    stem = Path(path).stem
    if stem.startswith("person"):
        return stem.split("_")[0]
    match = re.match(r"^((?:NORMAL2-)?IM-\d+)", stem)
    return match.group(1) if match else stem


def is_validation_patient(path: Path | str, fraction_denominator: int = 5) -> bool:
    """True when the file's patient is in the validation carve-out (crc32 of the id mod 5 == 0)."""
    return zlib.crc32(patient_id(path).encode()) % fraction_denominator == 0


def load_chest_xray(
    image_size: int = 128, full: bool = False, train_size: int | None = None, seed: int = 0
) -> ImageDataset:
    """Chest X-rays (grayscale) at ``image_size`` px: train and validation by patient, test.

    ``train_size`` keeps a class-balanced random subset of train (drawn with ``seed``);
    ``full=True`` reads Kermany et al.'s full set (``chest_xray_full``, 1.2 GB) by the same rule.
    """
    name = "chest_xray_full" if full else "chest_xray"
    root = fetch(name)
    train_all, class_names, skipped = load_image_folder(root / "train", image_size, "grayscale")
    test, test_classes, more_skipped = load_image_folder(root / "test", image_size, "grayscale")
    if test_classes != class_names:
        raise DataError(
            f"{root / 'test'} has classes {test_classes} but {root / 'train'} has {class_names}."
        )
    in_validation = np.array([is_validation_patient(f) for f in train_all.files], dtype=bool)
    return ImageDataset(
        name=name,
        class_names=class_names,
        splits={
            "train": train_all.subset(~in_validation).take(train_size, seed=seed),
            "validation": train_all.subset(in_validation),
            "test": test,
        },
        rule="validation = training patients with crc32(patient id) % 5 == 0; val/ unused",
        skipped=skipped + more_skipped,
    )
