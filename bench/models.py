"""The models the benchmark trains: the classic tutorial's convnet and the course's Lab 2 / Lab 3.

All three share the architecture of the classic cats-vs-dogs tutorial (F. Chollet, *Deep
Learning with Python*, 1st ed., §5.2): four blocks of ``Conv2D 3×3 relu + MaxPooling2D 2×2`` with
32, 64, 128 and 128 filters, ``Flatten``, ``Dense(512, relu)``, ``Dense(1, sigmoid)``.

* **classic** — float32, 150×150 input already rescaled to 0–1 by the pipeline (as
  ``ImageDataGenerator(rescale=1/255)`` did), ``RMSprop(1e-4)``, binary cross-entropy.
* **course, Lab 2** — ``Rescaling(1/255)`` inside the model (it is fed uint8 pixels), the lab's
  image size, mixed bfloat16 where the CPU computes bfloat16 natively (as
  ``helpers.use_mixed_precision`` decides) with the output layer in float32, Adam with cosine
  decay over the lab's epochs.
* **course, Lab 3** — Lab 2 plus ``Dropout`` right after ``Flatten``, He-uniform initialisation;
  its augmentation (``augmentation()``: horizontal flip, rotation ±40°, shifts ±20 %, zoom
  0.8–1.2× per axis, nearest fill, float32 — the classic ImageDataGenerator recipe) runs in the
  ``tf.data`` pipeline on whole batches, as ``ImageDataset.pipeline(augment=…)`` does it.

These mirror ``build_model``/``build_augmentation`` in the Lab 2 and Lab 3 solutions;
``bench.recipe.stored_total_params`` lets the benchmark check the parameter count against the
``model.summary()`` stored in a lab's notebook.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import keras
from keras import layers

import helpers  # noqa: F401  (imports TensorFlow quietly before Keras)
from helpers.training import cpu_has_fast_bfloat16

__all__ = [
    "augmentation",
    "classic_model",
    "course_model",
    "course_policy",
    "precision",
]

FILTERS = (32, 64, 128, 128)


def course_policy() -> str:
    """The policy the labs use here (``helpers.use_mixed_precision``'s choice), not setting it."""
    return "mixed_bfloat16" if cpu_has_fast_bfloat16() else "float32"


@contextlib.contextmanager
def precision(policy: str) -> Iterator[None]:
    """Build models under a global dtype policy (e.g. "mixed_bfloat16"), restored afterwards."""
    old = keras.config.dtype_policy().name
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(old)


def _convnet(inputs: list, dropout: float = 0.0, initializer: str = "glorot_uniform") -> list:
    stack = list(inputs)
    for filters in FILTERS:
        conv = layers.Conv2D(filters, 3, activation="relu", kernel_initializer=initializer)
        stack += [conv, layers.MaxPooling2D(2)]
    stack.append(layers.Flatten())
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack += [
        layers.Dense(512, activation="relu", kernel_initializer=initializer),
        layers.Dense(1, activation="sigmoid", dtype="float32"),
    ]
    return stack


def classic_model(image_size: int = 150, learning_rate: float = 1e-4) -> keras.Model:
    """The classic tutorial's convnet, float32, compiled with RMSprop(1e-4)."""
    with precision("float32"):
        model = keras.Sequential(
            _convnet([keras.Input((image_size, image_size, 3))]), name="classic"
        )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def course_model(
    image_size: int,
    learning_rate: float,
    epochs: int,
    steps_per_epoch: int,
    *,
    dropout: float = 0.0,
    initializer: str = "glorot_uniform",
    policy: str | None = None,
    name: str = "course",
) -> keras.Model:
    """Lab 2's convnet (Lab 3's: ``dropout``, "he_uniform"), compiled with Adam, cosine decay."""
    with precision(policy or course_policy()):
        inputs = [keras.Input((image_size, image_size, 3)), layers.Rescaling(1 / 255)]
        model = keras.Sequential(_convnet(inputs, dropout, initializer), name=name)
    schedule = keras.optimizers.schedules.CosineDecay(
        learning_rate, decay_steps=max(1, epochs * steps_per_epoch)
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def augmentation(seed: int = 0) -> keras.Sequential:
    """Lab 3's augmentation layers (float32; applied to uint8 batches in the pipeline)."""
    geometry = {"fill_mode": "nearest", "dtype": "float32", "seed": seed}
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", dtype="float32", seed=seed),
            layers.RandomRotation(40 / 360, **geometry),
            layers.RandomTranslation(height_factor=0.2, width_factor=0.2, **geometry),
            layers.RandomZoom(height_factor=(-0.2, 0.2), width_factor=(-0.2, 0.2), **geometry),
        ],
        name="augmentation",
    )


def steps(n_images: int, batch_size: int) -> int:
    """Batches per epoch (the last one may be partial)."""
    return math.ceil(n_images / batch_size)
