"""The two data pipelines, on the same images: the classic one and the course's.

**Classic** (the Keras 2 tutorial, ``ImageDataGenerator(rescale=1/255).flow_from_directory(…,
target_size=(150, 150), batch_size=20, class_mode="binary")``), rebuilt in Keras 3 with
``tf.data`` from file paths: every epoch, every image is read (``tf.io.read_file``), decoded
(``tf.io.decode_jpeg``, 3 channels), resized to 150×150 (``tf.image.resize``, bilinear — Keras 3's
``image_dataset_from_directory`` default) and rescaled to 0–1 in float32; nothing is cached. The
training files are shuffled every epoch (as ``flow_from_directory(shuffle=True)``), the validation
files are not. What the rebuild does *not* copy is Keras 2's slowness around the decoding — its
single loader thread: the decoding runs on all cores (``num_parallel_calls=AUTOTUNE``) and the
next batches are prefetched while the model trains. That only helps the classic pipeline.

**Course** — what Lab 2 does: ``helpers.load_cats_and_dogs(IMAGE_SIZE)`` decodes every image once
(Pillow, JPEG draft mode, two threads) into uint8 arrays in memory (train, validation *and* the
test split, which the lab also loads), then ``ImageDataset.pipeline`` batches them every epoch.

**Same images**: both use ``train/`` (2,000) for training and the course's validation split (the
first half per class, in natural filename order, of the shipped ``validation/`` folder) for
validation; ``list_cats_and_dogs`` applies that rule to file paths and the benchmark checks it
against the course loader's own file lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import helpers as h
from helpers.data.folders import load_images, scan_image_folder
from helpers.data.loaders import ImageDataset, ImageSplit

__all__ = [
    "CatsDogsFiles",
    "balanced_subset",
    "classic_dataset",
    "course_data",
    "list_cats_and_dogs",
]

CLASSIC_IMAGE_SIZE = 150
CLASSIC_BATCH_SIZE = 20


@dataclass
class CatsDogsFiles:
    """File paths and labels of the training and validation images."""

    class_names: list[str]
    train_files: list[Path]
    train_labels: np.ndarray
    validation_files: list[Path]
    validation_labels: np.ndarray

    def subset(self, train: int | None, validation: int | None, seed: int = 0) -> CatsDogsFiles:
        """Class-balanced random subsets (for ``--quick``); None keeps a split whole."""
        keep_train = balanced_subset(self.train_labels, train, seed)
        keep_val = balanced_subset(self.validation_labels, validation, seed)
        return CatsDogsFiles(
            self.class_names,
            [self.train_files[i] for i in keep_train],
            self.train_labels[keep_train],
            [self.validation_files[i] for i in keep_val],
            self.validation_labels[keep_val],
        )


def balanced_subset(labels: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of a class-balanced random subset of ``n`` items (all when n is None)."""
    labels = np.asarray(labels)
    if n is None or n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    chosen = [
        rng.permutation(np.flatnonzero(labels == c))[: max(1, n // len(classes))] for c in classes
    ]
    return np.sort(np.concatenate(chosen))


def first_half_per_class(labels: np.ndarray) -> np.ndarray:
    """Boolean mask of the first half of each class, in the given (file) order."""
    labels = np.asarray(labels)
    mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        indices = np.flatnonzero(labels == label)
        mask[indices[: len(indices) // 2]] = True
    return mask


def list_cats_and_dogs(root: Path | str | None = None) -> CatsDogsFiles:
    """Training and validation files of cats-and-dogs, split as the course loader splits them."""
    root = Path(root) if root is not None else h.fetch("cats_and_dogs")
    train = scan_image_folder(root / "train", warn=False)
    held_out = scan_image_folder(root / "validation", warn=False)
    if held_out.class_names != train.class_names:
        raise ValueError(f"{root}: train/ and validation/ hold different class folders")
    first = first_half_per_class(held_out.labels)
    return CatsDogsFiles(
        list(train.class_names),
        list(train.files),
        np.asarray(train.labels),
        [f for f, keep in zip(held_out.files, first, strict=True) if keep],
        np.asarray(held_out.labels)[first],
    )


def decode_jpeg(path, image_size: int):
    """One JPEG file → float32 (image_size, image_size, 3) in 0–1, as the classic pipeline does."""
    import tensorflow as tf

    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    image = tf.image.resize(image, (image_size, image_size))  # bilinear, float32 0–255
    return image / 255.0


def classic_dataset(
    files: list[Path],
    labels: np.ndarray,
    *,
    image_size: int = CLASSIC_IMAGE_SIZE,
    batch_size: int = CLASSIC_BATCH_SIZE,
    shuffle: bool = False,
    seed: int = 0,
):
    """A tf.data pipeline that reads and decodes every JPEG again every epoch (no cache)."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(
        ([str(f) for f in files], np.asarray(labels, dtype=np.float32))
    )
    if shuffle:
        data = data.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    data = data.map(
        lambda path, label: (decode_jpeg(path, image_size), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def course_data(image_size: int, files: CatsDogsFiles | None = None) -> ImageDataset:
    """The course's decoded-once data: ``helpers.load_cats_and_dogs`` (what Lab 2 calls).

    With ``files`` (``--quick`` subsets only), just those files are decoded, by the same decoder.
    """
    if files is None:
        return h.load_cats_and_dogs(image_size)
    splits = {}
    for split, paths, labels in (
        ("train", files.train_files, files.train_labels),
        ("validation", files.validation_files, files.validation_labels),
    ):
        images, ok = load_images(paths, image_size)
        if not ok.all():
            raise ValueError(f"{(~ok).sum()} unreadable image(s) in the {split} subset")
        splits[split] = ImageSplit(images, np.asarray(labels), list(paths))
    return ImageDataset("cats_and_dogs (subset)", files.class_names, splits)


def same_images(dataset: ImageDataset, files: CatsDogsFiles) -> bool:
    """True when the course dataset's train and validation files are exactly ``files``'."""
    return [Path(f) for f in dataset["train"].files] == [Path(f) for f in files.train_files] and [
        Path(f) for f in dataset["validation"].files
    ] == [Path(f) for f in files.validation_files]
