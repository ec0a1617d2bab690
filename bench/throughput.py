"""Part 2 — training throughput of the Lab 2 and Lab 3 models against this CPU's limit.

For each model (Lab 2; Lab 3 = Lab 2 + dropout + augmentation in the pipeline) and each precision
(float32; mixed bfloat16 with a float32 output layer), the model trains on the course's in-memory
training images (uint8, shuffled, batched, Lab 3 augmented, prefetched — ``ImageDataset.pipeline``'s
steps, repeated so that every step has a full batch). The first ``throughput_warmup_steps`` steps
(tracing, oneDNN kernel creation, pipeline fill) are discarded; the next ``throughput_steps`` are
timed at batch ends (``bench.timing.StepClock``), including the input pipeline.

The four configurations run alternately, ``throughput_repeats`` rounds, so drift hits all of them.
Achieved FLOP/s = images/s × training FLOPs per image (``bench.flops``: 2 per multiply-add,
training = 3 × forward), compared with the float32 peak (cores × clock × 64 FLOPs/cycle with
AVX-512 FMA). bfloat16 on AMX has a far higher peak, so a mixed-precision fraction of the
*float32* peak can approach or exceed 1; it says how far past float32's limit bfloat16 takes us.
The mixed-precision speed-up is mixed/float32 images/s within the same round.
"""

from __future__ import annotations

import keras
import numpy as np

import helpers  # noqa: F401  (imports TensorFlow quietly before Keras)
from bench import stats
from bench.flops import TRAINING_FACTOR, cpu_peak_flops, flops_per_image
from bench.models import augmentation, course_model
from bench.pipelines import course_data, list_cats_and_dogs
from bench.progress import log
from bench.recipe import Recipe
from bench.settings import Settings
from bench.timing import StepClock, steady_rate

__all__ = ["measure_throughput", "training_pipeline"]

POLICIES = ("float32", "mixed_bfloat16")


def training_pipeline(
    images: np.ndarray, labels: np.ndarray, batch_size: int, augment=None, seed=0
):
    """The course's training pipeline, repeated before batching so every batch is full."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((images, labels.astype("float32")))
    data = data.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).repeat()
    data = data.batch(batch_size)
    if augment is not None:
        data = data.map(
            lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return data.prefetch(tf.data.AUTOTUNE)


def measure_throughput(settings: Settings, lab2: Recipe, lab3: Recipe) -> dict:
    """Images/s, achieved GFLOP/s and fraction of the float32 peak, per model and precision."""
    peak = cpu_peak_flops()
    files = None
    if settings.train_subset:
        files = list_cats_and_dogs().subset(settings.train_subset, settings.validation_subset)
    datasets: dict[int, object] = {}
    configs = []
    for lab, recipe in (("lab2", lab2), ("lab3", lab3)):
        if recipe.image_size not in datasets:
            log(f"throughput · decoding the training images at {recipe.image_size} px")
            datasets[recipe.image_size] = course_data(recipe.image_size, files)
        train = datasets[recipe.image_size]["train"]
        augment = augmentation(recipe.seed) if lab == "lab3" else None
        for policy in POLICIES:
            keras.utils.set_random_seed(recipe.seed)
            model = course_model(
                recipe.image_size,
                recipe.learning_rate,
                recipe.epochs,
                100,
                dropout=recipe.dropout if lab == "lab3" else 0.0,
                initializer="he_uniform" if lab == "lab3" else "glorot_uniform",
                policy=policy,
                name=f"{lab}_{policy}",
            )
            pipeline = training_pipeline(
                train.images, train.labels, recipe.batch_size, augment, recipe.seed
            )
            configs.append((lab, policy, recipe, model, pipeline))

    rates: dict[tuple[str, str], list[float]] = {(c[0], c[1]): [] for c in configs}
    total_steps = settings.throughput_warmup_steps + settings.throughput_steps
    for round_ in range(1, settings.throughput_repeats + 1):
        for lab, policy, recipe, model, pipeline in configs:
            clock = StepClock()
            model.fit(
                pipeline,
                epochs=1,
                steps_per_epoch=total_steps,
                verbose=0,
                shuffle=False,  # the pipeline shuffles; Keras would only warn
                callbacks=[clock],
            )
            rate = steady_rate(clock.times, settings.throughput_warmup_steps, recipe.batch_size)
            rates[(lab, policy)].append(rate)
            log(
                f"throughput · round {round_}/{settings.throughput_repeats} · {lab} {policy:<14} "
                f"· {rate:6.1f} images/s"
            )

    result = {"peak": peak, "training_factor": TRAINING_FACTOR, "models": {}}
    for lab, recipe in (("lab2", lab2), ("lab3", lab3)):
        model = next(c[3] for c in configs if c[0] == lab)
        flops = flops_per_image(model)
        entry = {
            "image_size": recipe.image_size,
            "batch_size": recipe.batch_size,
            "augmentation": lab == "lab3",
            "dropout": recipe.dropout if lab == "lab3" else 0.0,
            "flops": flops,
        }
        for policy in POLICIES:
            per_second = rates[(lab, policy)]
            achieved = [r * flops["training"] for r in per_second]
            entry[policy] = {
                "images_per_second": stats.spread(per_second),
                "gflops": stats.spread(a / 1e9 for a in achieved),
                "fraction_of_float32_peak": stats.spread(
                    a / peak["peak_flops"] for a in achieved if peak["peak_flops"]
                ),
            }
        pairs = zip(rates[(lab, "mixed_bfloat16")], rates[(lab, "float32")], strict=True)
        entry["mixed_speedup"] = stats.spread(mixed / single for mixed, single in pairs)
        result["models"][lab] = entry
    result["settings"] = {
        "rounds": settings.throughput_repeats,
        "warmup_steps": settings.throughput_warmup_steps,
        "timed_steps": settings.throughput_steps,
        "order": "lab2 float32, lab2 mixed, lab3 float32, lab3 mixed, repeated",
    }
    keras.backend.clear_session()
    return result
