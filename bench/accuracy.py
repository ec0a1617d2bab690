"""Part 1 — time to accuracy, cats vs dogs: the classic pipeline against the course's Lab 2.

Each run's clock starts *before its data preparation* and is read at the end of every epoch,
after the validation pass (``bench.timing.EpochClock``). Its time to a threshold is the clock at
the end of the first epoch whose validation accuracy reaches it.

* **classic** — list the folders, build the decode-every-epoch pipeline, build and compile the
  float32 model, train (batch 20, RMSprop 1e-4, 150×150, shuffled); every epoch decodes the
  2,000 training and the validation JPEGs again (see ``bench.pipelines``).
* **course** — decode everything once with the course loader (train, validation and test, as
  Lab 2 does), build and compile the Lab 2 model (mixed bfloat16 where native), train with the
  lab's recipe (image size, batch size, Adam with cosine decay over the lab's epochs).

Fairness: the two pipelines run alternately (classic, course, classic, course…) in one process,
so a drift of the machine hits both; every run starts from the same seed
(``keras.utils.set_random_seed`` with the lab's SEED) and from a fresh Keras session; before the
first timed run both models train two steps on random data, so TensorFlow's one-time start-up
costs (thread pools, oneDNN kernels, tf.data) are paid by neither. The course runs its full
schedule (the lab's EPOCHS); the classic runs until a cap (epochs or seconds, whichever comes
first, checked at epoch ends). Both stop early once the highest threshold is reached (later epochs
cannot change the times). A threshold not reached within a run is reported as such, and ratios
built from it as bounds (``bench.stats``).
"""

from __future__ import annotations

import gc

import keras
import numpy as np

import helpers  # noqa: F401  (imports TensorFlow quietly before Keras)
from bench import stats
from bench.models import classic_model, course_model, course_policy, steps
from bench.pipelines import (
    CLASSIC_BATCH_SIZE,
    CLASSIC_IMAGE_SIZE,
    classic_dataset,
    course_data,
    list_cats_and_dogs,
    same_images,
)
from bench.progress import log
from bench.recipe import LAB2_NOTEBOOK, Recipe, stored_total_params
from bench.settings import Settings
from bench.timing import EpochClock, now

__all__ = ["analyse", "measure_time_to_accuracy"]

PIPELINES = ("classic", "course")


def _fresh(seed: int) -> None:
    keras.backend.clear_session()
    gc.collect()
    keras.utils.set_random_seed(seed)


def _reporter(pipeline: str, repetition: int, repeats: int):
    def report(point: dict) -> None:
        log(
            f"accuracy · {pipeline:<7} rep {repetition}/{repeats} · epoch {point['epoch']:>2} · "
            f"{point['epoch_seconds']:5.1f} s/epoch · val_acc {point['val_accuracy']:.3f} · "
            f"{point['seconds']:6.1f} s since data prep"
        )

    return report


def run_classic(settings: Settings, seed: int, repetition: int) -> dict:
    """One classic run; returns its curve and how it ended."""
    _fresh(seed)
    start = now()
    files = list_cats_and_dogs().subset(settings.train_subset, settings.validation_subset, seed)
    train = classic_dataset(files.train_files, files.train_labels, shuffle=True, seed=seed)
    validation = classic_dataset(files.validation_files, files.validation_labels)
    model = classic_model(CLASSIC_IMAGE_SIZE)
    prepared = now()
    clock = EpochClock(
        start,
        cap_seconds=settings.classic_cap_seconds,
        stop_at=max(settings.thresholds),
        report=_reporter("classic", repetition, settings.repeats),
    )
    model.fit(
        train,
        validation_data=validation,
        epochs=settings.classic_cap_epochs,
        verbose=0,
        shuffle=False,  # tf.data shuffles; Keras would only warn
        callbacks=[clock],
    )
    return {
        "pipeline": "classic",
        "repetition": repetition,
        "prep_seconds": prepared - start,
        "curve": clock.curve,
        "stopped_by": clock.stopped_by or "epoch cap",
        "train_images": len(files.train_files),
        "validation_images": len(files.validation_files),
    }


def run_course(settings: Settings, recipe: Recipe, repetition: int) -> dict:
    """One course run with Lab 2's recipe; returns its curve and how it ended."""
    _fresh(recipe.seed)
    start = now()
    files = None
    if settings.train_subset or settings.validation_subset:
        files = list_cats_and_dogs().subset(
            settings.train_subset, settings.validation_subset, recipe.seed
        )
    data = course_data(recipe.image_size, files)
    model = course_model(
        recipe.image_size,
        recipe.learning_rate,
        recipe.epochs,
        steps(len(data["train"]), recipe.batch_size),
    )
    prepared = now()
    clock = EpochClock(
        start,
        stop_at=max(settings.thresholds),
        report=_reporter("course", repetition, settings.repeats),
    )
    epochs = min(recipe.epochs, settings.course_cap_epochs or recipe.epochs)
    model.fit(
        data.pipeline("train", recipe.batch_size, seed=recipe.seed),
        validation_data=data.pipeline("validation", recipe.batch_size),
        epochs=epochs,
        verbose=0,
        shuffle=False,  # tf.data shuffles; Keras would only warn
        callbacks=[clock],
    )
    expected = list_cats_and_dogs().subset(
        settings.train_subset, settings.validation_subset, recipe.seed
    )
    same = same_images(data, expected)
    if not same:
        log("accuracy · WARNING: the course loader's files differ from the classic pipeline's")
    return {
        "pipeline": "course",
        "repetition": repetition,
        "prep_seconds": prepared - start,
        "curve": clock.curve,
        "stopped_by": clock.stopped_by or "end of the lab's schedule",
        "train_images": len(data["train"]),
        "validation_images": len(data["validation"]),
        "same_images_as_classic": same,
        "params": model.count_params(),
    }


def warm_up(recipe: Recipe) -> None:
    """Two training steps of each model on random data, and a few decodes by each pipeline."""
    rng = np.random.default_rng(0)
    for model, size in (
        (classic_model(CLASSIC_IMAGE_SIZE), CLASSIC_IMAGE_SIZE),
        (course_model(recipe.image_size, recipe.learning_rate, 1, 2), recipe.image_size),
    ):
        x = rng.integers(0, 256, (2 * CLASSIC_BATCH_SIZE, size, size, 3)).astype("float32")
        y = rng.integers(0, 2, (2 * CLASSIC_BATCH_SIZE,)).astype("float32")
        model.fit(x, y, batch_size=CLASSIC_BATCH_SIZE, epochs=1, verbose=0)
    files = list_cats_and_dogs().subset(20, 20)
    for _ in classic_dataset(files.train_files, files.train_labels):
        pass
    course_data(recipe.image_size, files)
    keras.backend.clear_session()


def measure_time_to_accuracy(settings: Settings, recipe: Recipe) -> dict:
    """Alternate classic and course runs ``settings.repeats`` times; analyse the curves."""
    log(
        f"accuracy · warm-up, then {settings.repeats} × (classic, course); classic capped at "
        f"{settings.classic_cap_epochs} epochs or {settings.classic_cap_seconds:.0f} s; course "
        f"policy {course_policy()}"
    )
    warm_up(recipe)
    runs = []
    for repetition in range(1, settings.repeats + 1):
        runs.append(run_classic(settings, recipe.seed, repetition))
        runs.append(run_course(settings, recipe, repetition))
    keras.backend.clear_session()
    result = analyse(runs, settings.thresholds)
    result["settings"] = {
        "repeats": settings.repeats,
        "order": "classic, course, classic, course, …",
        "thresholds": list(settings.thresholds),
        "classic": {
            "image_size": CLASSIC_IMAGE_SIZE,
            "batch_size": CLASSIC_BATCH_SIZE,
            "optimizer": "RMSprop(1e-4)",
            "precision": "float32",
            "cap_epochs": settings.classic_cap_epochs,
            "cap_seconds": settings.classic_cap_seconds,
        },
        "course": {
            "image_size": recipe.image_size,
            "batch_size": recipe.batch_size,
            "optimizer": (
                f"Adam({recipe.learning_rate:g}) with cosine decay over {recipe.epochs} epochs"
            ),
            "precision": course_policy(),
            "cap_epochs": min(recipe.epochs, settings.course_cap_epochs or recipe.epochs),
            "params": next(r["params"] for r in runs if r["pipeline"] == "course"),
            "params_in_lab2_summary": stored_total_params(LAB2_NOTEBOOK),
        },
        "seed": recipe.seed,
    }
    return result


def analyse(runs: list[dict], thresholds) -> dict:
    """Times to each threshold per pipeline (median, min–max) and the ratio classic/course.

    Ratios pair the classic and course runs of the same repetition.
    """
    by_pipeline = {p: [r for r in runs if r["pipeline"] == p] for p in PIPELINES}
    per_threshold = {}
    for threshold in thresholds:
        outcomes = {
            p: [stats.outcome(r["curve"], threshold) for r in by_pipeline[p]] for p in PIPELINES
        }
        entry = {}
        for pipeline, found in outcomes.items():
            entry[pipeline] = {
                "seconds": stats.spread(o.seconds for o in found if o.reached),
                "epochs": stats.spread(o.epochs for o in found if o.reached),
                "reached": [o.reached for o in found],
                "run_seconds": [o.seconds for o in found],
            }
        pairs = zip(outcomes["classic"], outcomes["course"], strict=False)
        entry["ratio"] = stats.summarize([stats.ratio(slow, fast) for slow, fast in pairs])
        per_threshold[f"{threshold:.2f}"] = entry
    summary = {}
    for pipeline, found in by_pipeline.items():
        epoch_seconds = [p["epoch_seconds"] for r in found for p in r["curve"]]
        summary[pipeline] = {
            "epoch_seconds": stats.spread(epoch_seconds),
            "prep_seconds": stats.spread(r["prep_seconds"] for r in found),
            "best_val_accuracy": stats.spread(
                max(p["val_accuracy"] for p in r["curve"]) for r in found
            ),
            "epochs_run": [len(r["curve"]) for r in found],
            "stopped_by": [r["stopped_by"] for r in found],
        }
    return {"runs": runs, "thresholds": per_threshold, "pipelines": summary}
