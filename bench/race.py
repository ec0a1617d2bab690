"""The race: wall seconds to a validation accuracy, the classic pipeline against Lab 3's recipe.

Both train on the same photos (the course loader's ``train`` and ``validation`` splits of
cats-and-dogs) from the same seed, alternately in one process (classic, course, classic…), each
from a fresh Keras session. A run's clock starts before its data preparation and is read at the
end of every epoch, validation included; its time to a threshold is the clock at the end of the
first epoch whose validation accuracy reaches it. Before the first timed run both models train
two steps on random data, so TensorFlow's one-time start-up is charged to neither.

* **classic** — the Keras 2 tutorial (``ImageDataGenerator(rescale=1/255).flow_from_directory(
  target_size=(150, 150), batch_size=20)``, RMSprop 1e-4, float32) rebuilt faithfully in
  ``tf.data``: every epoch every JPEG is read, decoded, resized and rescaled again. Where Keras 3
  is faster we keep the speed: decoding runs on all cores and batches are prefetched.
* **course** — Lab 3's modern convnet as students train it (``bench.course``):
  ``h.load_cats_and_dogs`` decodes every photo once (test split included), ``ImageDataset.pipeline``
  batches the arrays and applies the lab's augmentation to the training batches, the small
  ResNet computes in the precision ``h.use_mixed_precision`` picks, Adam with the lab's warm-up +
  cosine schedule. (Lab 3 also keeps its best epoch by validation loss with a ModelCheckpoint;
  writing a model file costs little next to an epoch, and the race stops at a threshold, so it
  is left out.)
"""

from __future__ import annotations

import gc
import time
from dataclasses import asdict

import keras
import numpy as np

import helpers as h
from bench.course import (
    LAB3,
    Recipe,
    augmentation,
    course_model,
    course_precision,
    dtype_policy,
    lab_model,
)

# ----------------------------------------------------------------- the course's run (Lab 3)


def run_course(recipe: Recipe, settings, repetition: int) -> dict:
    """One timed run of Lab 3's modern convnet: decode once, build, train augmented."""
    fresh_session(recipe.seed)
    start = time.perf_counter()
    data = h.load_cats_and_dogs(recipe.image_size, train_size=settings.train_size, seed=recipe.seed)
    augment = augmentation(recipe.augmentation_strength)
    train = data.pipeline("train", recipe.batch_size, augment=augment, seed=recipe.seed)
    model = course_model(recipe, len(train))
    clock = EpochClock(start, f"course  rep {repetition}", stop_at=max(settings.thresholds))
    epochs = min(recipe.epochs, settings.course_cap_epochs or recipe.epochs)
    model.fit(
        train,
        validation_data=data.pipeline("validation", recipe.batch_size),
        epochs=epochs,
        shuffle=False,  # the pipeline shuffles
        verbose=0,
        callbacks=[clock],
    )
    return clock.result("course", repetition, params=model.count_params())


# ----------------------------------------------------------------- the classic pipeline

CLASSIC_IMAGE_SIZE = 150
CLASSIC_BATCH_SIZE = 20


def classic_dataset(split: h.ImageSplit, shuffle: bool = False, seed: int = 0):
    """Batches decoded from the JPEG files of a split, again every epoch (nothing cached)."""
    import tensorflow as tf

    def decode(path, label):
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        return tf.image.resize(image, (CLASSIC_IMAGE_SIZE, CLASSIC_IMAGE_SIZE)) / 255.0, label

    paths = [str(path) for path in split.files]
    data = tf.data.Dataset.from_tensor_slices((paths, split.labels.astype("float32")))
    if shuffle:
        data = data.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    data = data.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return data.batch(CLASSIC_BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def classic_convolutions() -> list:
    """The tutorial's four Conv2D/MaxPooling2D blocks: 32-64-128-128 filters, ReLU."""
    blocks = [
        (keras.layers.Conv2D(n, 3, activation="relu"), keras.layers.MaxPooling2D(2))
        for n in (32, 64, 128, 128)
    ]
    return [layer for block in blocks for layer in block]


def classic_model() -> keras.Model:
    """The tutorial's convnet (no Rescaling: its pipeline rescales), float32, RMSprop(1e-4)."""
    with dtype_policy("float32"):
        model = keras.Sequential(
            [
                keras.Input((CLASSIC_IMAGE_SIZE, CLASSIC_IMAGE_SIZE, 3)),
                *classic_convolutions(),
                keras.layers.Flatten(),
                keras.layers.Dense(512, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ],
            name="classic",
        )
    model.compile(keras.optimizers.RMSprop(1e-4), "binary_crossentropy", metrics=["accuracy"])
    return model


def run_classic(photos: h.ImageDataset, seed: int, settings, repetition: int) -> dict:
    """One timed classic run, until the highest threshold or the epoch or time cap."""
    fresh_session(seed)
    start = time.perf_counter()
    train = classic_dataset(photos["train"], shuffle=True, seed=seed)
    validation = classic_dataset(photos["validation"])
    model = classic_model()
    clock = EpochClock(
        start,
        f"classic rep {repetition}",
        stop_at=max(settings.thresholds),
        cap_seconds=settings.classic_cap_seconds,
    )
    model.fit(
        train,
        validation_data=validation,
        epochs=settings.classic_cap_epochs,
        shuffle=False,
        verbose=0,
        callbacks=[clock],
    )
    return clock.result("classic", repetition)


# ----------------------------------------------------------------- clocks and the race


class EpochClock(keras.callbacks.Callback):
    """Wall seconds since ``start`` and validation accuracy at each epoch end.

    Stops the run once ``stop_at`` is reached (later epochs cannot change the times) or
    ``cap_seconds`` have passed.
    """

    def __init__(self, start: float, label: str, stop_at: float, cap_seconds=None):
        super().__init__()
        self.start, self.label, self.stop_at, self.cap_seconds = start, label, stop_at, cap_seconds
        self.curve: list[dict] = []
        self.stopped_by = "last epoch"
        self.ready = 0.0

    def on_train_begin(self, logs=None):
        self.ready = time.perf_counter() - self.start  # data and model prepared

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start
        accuracy = float((logs or {}).get("val_accuracy", float("nan")))
        self.curve.append({"epoch": epoch + 1, "seconds": seconds, "val_accuracy": accuracy})
        print(
            f"  {self.label} · epoch {epoch + 1:>2} · val_accuracy {accuracy:.3f} · "
            f"{seconds:6.1f} s since its data preparation began",
            flush=True,
        )
        if accuracy >= self.stop_at:
            self.stopped_by, self.model.stop_training = "threshold", True
        elif self.cap_seconds is not None and seconds >= self.cap_seconds:
            self.stopped_by, self.model.stop_training = "time cap", True

    def result(self, pipeline: str, repetition: int, **extra) -> dict:
        return {
            "pipeline": pipeline,
            "repetition": repetition,
            "ready_seconds": self.ready,
            "curve": self.curve,
            "stopped_by": self.stopped_by,
            **extra,
        }


def fresh_session(seed: int) -> None:
    """A new Keras session seeded like the lab, so runs do not share state."""
    keras.backend.clear_session()
    gc.collect()
    h.set_seed(seed)


def warm_up(photos: h.ImageDataset, recipe: Recipe) -> None:
    """Two training steps of each model on random data, and one batch of each pipeline.

    The course's batch goes through the augmentation, so that loading its image kernels is
    charged to neither run (each run still builds and traces its own pipeline).
    """
    rng = np.random.default_rng(0)
    models = {CLASSIC_IMAGE_SIZE: classic_model(), recipe.image_size: course_model(recipe, 2)}
    for size, model in models.items():
        x = rng.integers(0, 256, (2 * CLASSIC_BATCH_SIZE, size, size, 3)).astype("float32")
        y = rng.integers(0, 2, 2 * CLASSIC_BATCH_SIZE).astype("float32")
        model.fit(x, y, batch_size=CLASSIC_BATCH_SIZE, epochs=1, verbose=0)
    next(iter(classic_dataset(photos["validation"])))
    augment = augmentation(recipe.augmentation_strength)
    next(iter(photos.pipeline("train", recipe.batch_size, augment=augment)))


def race(settings, recipe: Recipe) -> dict:
    """Warm up, then ``settings.repeats`` × (classic, course); every run's curve.

    Also records ``lab_params``, the parameter count of the model Lab 3's own code builds, for
    the report to check the copy in ``bench.course`` against.
    """
    lab_params = lab_model(recipe).count_params()
    photos = h.load_cats_and_dogs(
        recipe.image_size, train_size=settings.train_size, seed=recipe.seed
    )
    warm_up(photos, recipe)
    runs = []
    for repetition in range(1, settings.repeats + 1):
        runs.append(run_classic(photos, recipe.seed, settings, repetition))
        runs.append(run_course(recipe, settings, repetition))
    keras.backend.clear_session()
    return {
        "recipe": asdict(recipe),
        "lab": LAB3.name,
        "lab_params": lab_params,
        "precision": course_precision(),
        "train_images": len(photos["train"]),
        "validation_images": len(photos["validation"]),
        "runs": runs,
    }


def time_to(curve: list[dict], threshold: float) -> float | None:
    """Seconds at the end of the first epoch reaching ``threshold``; None if none does."""
    return next((p["seconds"] for p in curve if p["val_accuracy"] >= threshold), None)


def ratios(runs: list[dict], threshold: float) -> list[tuple[float, str]]:
    """classic ÷ course per repetition where the course run reached the threshold.

    Each is (value, "="), or a lower bound (value, "≥") when the classic run never reached it:
    it would have needed longer than its whole run.
    """
    found = []
    for classic, course in zip(runs[::2], runs[1::2], strict=True):
        fast = time_to(course["curve"], threshold)
        slow = time_to(classic["curve"], threshold)
        if fast is not None:
            whole_run = classic["curve"][-1]["seconds"]
            found.append((slow / fast, "=") if slow else (whole_run / fast, "≥"))
    return found
