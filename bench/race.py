"""The race: wall seconds to a validation accuracy, the classic pipeline against the course's Lab 2.

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
* **course** — Lab 2 as students run it: ``h.load_cats_and_dogs`` decodes every photo once
  (test split included), ``ImageDataset.pipeline`` batches the arrays, the lab's convnet
  computes in the precision ``h.use_mixed_precision`` picks, He-initialised, Adam with the lab's
  warm-up + cosine schedule. (Lab 2 also keeps its best epoch with a ModelCheckpoint; writing a
  model file costs little next to an epoch, and the race stops at a threshold, so it is left out.)
"""

from __future__ import annotations

import ast
import contextlib
import gc
import time
from dataclasses import asdict, dataclass

import keras
import numpy as np
import papermill

import helpers as h
from helpers.training import choose_precision

# ----------------------------------------------------------------- the course's recipe (Lab 2)
# One place to update when Lab 2 changes: its settings are read from its parameters cell; the
# model and the training call below copy its build_model and its fit cell.

LAB2 = h.REPO / "solutions" / "02_cats_dogs_baseline.ipynb"


@dataclass(frozen=True)
class Recipe:
    """Lab 2's settings; the defaults apply to what its parameters cell does not set."""

    image_size: int = 64
    batch_size: int = 16
    epochs: int = 30
    learning_rate: float = 1e-3
    warmup_epochs: int = 2
    seed: int = 42


def read_recipe(notebook=LAB2) -> Recipe:
    """The Recipe in a notebook's parameters cell (``papermill.inspect_notebook``)."""
    names = {f.upper(): f for f in Recipe.__dataclass_fields__}
    values = {}
    for name, parameter in papermill.inspect_notebook(str(notebook)).items():
        if name in names:
            try:
                values[names[name]] = ast.literal_eval(parameter["default"])
            except (ValueError, SyntaxError):
                raise ValueError(
                    f"{notebook}: the parameters cell sets {name} = {parameter['default']}, "
                    "which is not a Python literal; write the value itself (e.g. 0.0005)"
                ) from None
    return Recipe(**values)


def course_model(recipe: Recipe, steps_per_epoch: int) -> keras.Model:
    """Lab 2's convnet and optimiser, in the precision the lab would use on this machine."""
    with dtype_policy(course_precision()):
        model = keras.Sequential(
            [
                keras.Input((recipe.image_size, recipe.image_size, 3)),
                keras.layers.Rescaling(1 / 255),
                *convolutions("he_uniform"),
                keras.layers.Flatten(),
                keras.layers.Dense(512, activation="relu", kernel_initializer="he_uniform"),
                keras.layers.Dense(1, activation="sigmoid", dtype="float32"),
            ],
            name="course",
        )
    schedule = h.warmup_cosine(
        recipe.learning_rate, recipe.epochs, steps_per_epoch, recipe.warmup_epochs
    )
    model.compile(keras.optimizers.Adam(schedule), "binary_crossentropy", metrics=["accuracy"])
    return model


def convolutions(initializer: str = "glorot_uniform") -> list:
    """The four Conv2D/MaxPooling2D blocks (32-64-128-128 filters) both convnets share."""
    blocks = [
        (
            keras.layers.Conv2D(n, 3, activation="relu", kernel_initializer=initializer),
            keras.layers.MaxPooling2D(2),
        )
        for n in (32, 64, 128, 128)
    ]
    return [layer for block in blocks for layer in block]


def course_precision() -> str:
    """The policy ``h.use_mixed_precision()`` would set here (CNN_LABS_PRECISION wins)."""
    return choose_precision()[0]


def run_course(recipe: Recipe, settings, repetition: int) -> dict:
    """One timed run of Lab 2: decode once, build, train with the lab's schedule."""
    fresh_session(recipe.seed)
    start = time.perf_counter()
    data = h.load_cats_and_dogs(recipe.image_size, train_size=settings.train_size, seed=recipe.seed)
    train = data.pipeline("train", recipe.batch_size, seed=recipe.seed)
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


def classic_model() -> keras.Model:
    """The tutorial's convnet (no Rescaling: its pipeline rescales), float32, RMSprop(1e-4)."""
    with dtype_policy("float32"):
        model = keras.Sequential(
            [
                keras.Input((CLASSIC_IMAGE_SIZE, CLASSIC_IMAGE_SIZE, 3)),
                *convolutions(),
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


@contextlib.contextmanager
def dtype_policy(policy: str):
    """Build layers under a global dtype policy, restored afterwards."""
    old = keras.config.dtype_policy().name
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(old)


def fresh_session(seed: int) -> None:
    """A new Keras session seeded like the lab, so runs do not share state."""
    keras.backend.clear_session()
    gc.collect()
    h.set_seed(seed)


def warm_up(photos: h.ImageDataset, recipe: Recipe) -> None:
    """Two training steps of each model on random data, and one batch of each pipeline."""
    rng = np.random.default_rng(0)
    models = {CLASSIC_IMAGE_SIZE: classic_model(), recipe.image_size: course_model(recipe, 2)}
    for size, model in models.items():
        x = rng.integers(0, 256, (2 * CLASSIC_BATCH_SIZE, size, size, 3)).astype("float32")
        y = rng.integers(0, 2, 2 * CLASSIC_BATCH_SIZE).astype("float32")
        model.fit(x, y, batch_size=CLASSIC_BATCH_SIZE, epochs=1, verbose=0)
    next(iter(classic_dataset(photos["validation"])))
    next(iter(photos.pipeline("validation", recipe.batch_size)))


def race(settings, recipe: Recipe) -> dict:
    """Warm up, then ``settings.repeats`` × (classic, course); every run's curve."""
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
