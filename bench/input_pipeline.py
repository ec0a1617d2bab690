"""Part 4 — the input pipeline alone (no model): where does the time of an epoch go?

Each pipeline delivers one epoch of training images (``pipeline_images``: all 2,000 at full
settings) and is timed from its first to its last batch, iterated in Python with nothing else
running (the batches are materialised as tensors, then dropped):

* ``decode_each_epoch_classic`` — the classic pipeline (``bench.pipelines.classic_dataset``):
  read + ``decode_jpeg`` + resize to 150×150 + rescale, parallel and prefetched, batch 20;
* ``decode_each_epoch_course_size`` — the same at the course's image size and batch size, so
  that it compares like for like with the in-memory pipelines;
* ``course_decode_once`` — the course loader's decoder (Pillow with JPEG draft mode, 2 threads:
  ``helpers.data.folders.load_images``), which the course pays once, not every epoch;
* ``in_memory`` — ``ImageDataset.pipeline("train")``: the course's per-epoch cost;
* ``in_memory_augmented`` — the same with Lab 3's augmentation layers.

Before timing, each pipeline delivers a few batches (tf.data's threads start, kernels are
created). The in-memory pipelines take a fraction of a second per epoch, so they repeat whole
epochs for at least half a second and report the mean rate. The pipelines run alternately,
``pipeline_repeats`` rounds.
"""

from __future__ import annotations

import numpy as np

from bench import stats
from bench.models import augmentation
from bench.pipelines import (
    CLASSIC_BATCH_SIZE,
    CLASSIC_IMAGE_SIZE,
    classic_dataset,
    list_cats_and_dogs,
)
from bench.progress import log
from bench.recipe import Recipe
from bench.settings import Settings
from bench.timing import now
from helpers.data.folders import load_images
from helpers.data.loaders import ImageDataset, ImageSplit

__all__ = ["measure_input_pipeline", "rate_of"]

MIN_SECONDS = 0.5

DESCRIPTIONS = {
    "decode_each_epoch_classic": "JPEG decode every epoch, classic (tf.data, 150 px, batch 20)",
    "decode_each_epoch_course_size": "JPEG decode every epoch at the course's size and batch",
    "course_decode_once": "course loader, decode once (Pillow draft mode, 2 threads)",
    "in_memory": "course, in-memory uint8 arrays (ImageDataset.pipeline)",
    "in_memory_augmented": "course, in-memory + Lab 3 augmentation",
}


def rate_of(epoch, n_images: int, min_seconds: float = 0.0) -> float:
    """Images/s of ``epoch()`` (one pass over ``n_images``), repeated for at least min_seconds."""
    passes = 0
    start = now()
    while True:
        epoch()
        passes += 1
        elapsed = now() - start
        if elapsed >= min_seconds:
            return passes * n_images / elapsed


def _iterate(dataset) -> None:
    for _ in dataset:
        pass


def measure_input_pipeline(settings: Settings, recipe: Recipe) -> dict:
    """Images/s of each pipeline (median, min–max over rounds) and seconds per epoch."""
    files = list_cats_and_dogs().subset(settings.pipeline_images, None)
    paths, labels = files.train_files, files.train_labels
    n = len(paths)
    holder: dict = {}

    def decode_once():
        images, ok = load_images(paths, recipe.image_size)
        holder["dataset"] = ImageDataset(
            "cats_and_dogs train",
            files.class_names,
            {"train": ImageSplit(images[ok], np.asarray(labels)[ok], list(paths))},
        )

    decode_once()  # warm-up, and the arrays the in-memory pipelines serve
    augment = augmentation(recipe.seed)
    classic = classic_dataset(
        paths, labels, image_size=CLASSIC_IMAGE_SIZE, batch_size=CLASSIC_BATCH_SIZE, shuffle=True
    )
    course_size = classic_dataset(
        paths, labels, image_size=recipe.image_size, batch_size=recipe.batch_size, shuffle=True
    )
    in_memory = holder["dataset"].pipeline("train", recipe.batch_size)
    augmented = holder["dataset"].pipeline("train", recipe.batch_size, augment=augment)
    pipelines = {
        "decode_each_epoch_classic": (lambda: _iterate(classic), 0.0),
        "decode_each_epoch_course_size": (lambda: _iterate(course_size), 0.0),
        "course_decode_once": (decode_once, 0.0),
        "in_memory": (lambda: _iterate(in_memory), MIN_SECONDS),
        "in_memory_augmented": (lambda: _iterate(augmented), MIN_SECONDS),
    }
    # Warm-up, untimed: start tf.data's threads and the augmentation's kernels for every pipeline.
    for dataset in (classic, course_size):
        _iterate(dataset.take(3))
    for dataset in (in_memory, augmented):
        _iterate(dataset)
    rates: dict[str, list[float]] = {name: [] for name in pipelines}
    for round_ in range(1, settings.pipeline_repeats + 1):
        for name, (epoch, min_seconds) in pipelines.items():
            rate = rate_of(epoch, n, min_seconds)
            rates[name].append(rate)
            step = f"round {round_}/{settings.pipeline_repeats}"
            log(f"pipeline · {step} · {name:<30} {rate:8.0f} images/s")
    result = {"images": n, "image_size": recipe.image_size, "batch_size": recipe.batch_size}
    result["pipelines"] = {
        name: {
            "description": DESCRIPTIONS[name],
            "images_per_second": stats.spread(values),
            "seconds_per_epoch": stats.spread(n / v for v in values),
        }
        for name, values in rates.items()
    }
    result["settings"] = {"rounds": settings.pipeline_repeats, "order": list(pipelines)}
    return result
