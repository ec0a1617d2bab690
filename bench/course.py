"""The course's side of the race: Lab 3's modern convnet, trained with the lab's recipe.

One place to update when Lab 3 changes. The settings are read from the lab's ``parameters``
cell (``read_recipe``); the augmentation, the model and the optimiser below are copies of the
lab's ``build_augmentation``, ``stage``, ``residual_block``, ``build_modern`` and its training
cell. ``lab_model`` builds the model from the lab's own code cells instead, so that the copy can
be checked against the original (its parameter count in every report, its layers in the tests).
"""

from __future__ import annotations

import ast
import contextlib
from dataclasses import dataclass, fields
from pathlib import Path

import keras
import nbformat

import helpers as h
from helpers.spreads import parameter_defaults
from helpers.training import choose_precision

LAB3 = h.REPO / "solutions" / "03_data_augmentation.ipynb"

#: The functions of Lab 3 that build its modern convnet (``lab_model`` runs them).
LAB_MODEL_FUNCTIONS = ("stage", "residual_block", "build_modern")


@dataclass(frozen=True)
class Recipe:
    """Lab 3's settings that the modern convnet uses; the defaults are the lab's today."""

    image_size: int = 64
    batch_size: int = 16
    epochs: int = 30
    learning_rate: float = 1e-3
    warmup_epochs: int = 2
    augmentation_strength: float = 0.5
    bn_momentum: float = 0.9
    seed: int = 42


def read_recipe(notebook: Path = LAB3) -> Recipe:
    """The Recipe in a notebook's parameters cell (``helpers.spreads.parameter_defaults``)."""
    names = {f.name.upper(): f.name for f in fields(Recipe)}
    found = parameter_defaults(notebook)
    return Recipe(**{names[name]: value for name, value in found.items() if name in names})


# ----------------------------------------------------------------- copied from Lab 3


def augmentation(strength: float) -> keras.Sequential:
    """Lab 3's ``build_augmentation``: flips, rotations, shifts and zooms, in float32."""
    geometry = dict(fill_mode="nearest", dtype="float32")
    shift = 0.2 * strength
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", dtype="float32"),
            keras.layers.RandomRotation(40 * strength / 360, **geometry),
            keras.layers.RandomTranslation(height_factor=shift, width_factor=shift, **geometry),
            keras.layers.RandomZoom(
                height_factor=(-shift, shift), width_factor=(-shift, shift), **geometry
            ),
        ],
        name="augmentation",
    )


def residual_block(x, filters: int, strides: int = 1):
    """Lab 3's Exercise 3: relu(shortcut(x) + f(x)), a 1×1 projection if the shapes differ."""
    y = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    y = keras.layers.BatchNormalization()(y)
    y = keras.layers.ReLU()(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = keras.layers.BatchNormalization()(y)
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    return keras.layers.ReLU()(keras.layers.Add()([shortcut, y]))


def stage(x, filters: int):
    """Lab 3's ``stage``: a 3×3 convolution, 2×2 max pooling, batch normalisation, ReLU."""
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU()(x)


def modern_model(recipe: Recipe) -> keras.Model:
    """Lab 3's ``build_modern``: 16-32-64-128 stages, two residual blocks, GAP, dropout 0.3."""
    inputs = keras.Input((recipe.image_size, recipe.image_size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = stage(x, 16)
    x = residual_block(stage(x, 32), 32)
    x = stage(x, 64)
    x = residual_block(stage(x, 128), 128)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name="small_resnet")
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = recipe.bn_momentum
    return model


def course_model(recipe: Recipe, steps_per_epoch: int) -> keras.Model:
    """The modern convnet in the lab's precision, compiled as the lab's training cell does."""
    with dtype_policy(course_precision()):
        model = modern_model(recipe)
    schedule = h.warmup_cosine(
        recipe.learning_rate, recipe.epochs, steps_per_epoch, recipe.warmup_epochs
    )
    model.compile(keras.optimizers.Adam(schedule), "binary_crossentropy", metrics=["accuracy"])
    return model


# ----------------------------------------------------------------- checking the copy


def lab_functions(names, recipe: Recipe, notebook: Path = LAB3) -> dict:
    """Functions defined in the lab's code cells, compiled from the lab's own source.

    Only the ``def`` statements named in ``names`` are taken (nothing else in the lab runs),
    with ``keras`` and the recipe's settings as parameters-cell names (``BN_MOMENTUM``…) for
    globals. A ValueError names any function the lab no longer defines.
    """
    found = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef) and node.name in names:
                    found[node.name] = node
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(
            f"{notebook} defines no {', '.join(missing)}: update bench/course.py "
            "(its copies of the lab's code) to the lab"
        )
    scope = {"keras": keras, **{f.name.upper(): getattr(recipe, f.name) for f in fields(recipe)}}
    module = ast.Module(body=[found[name] for name in names], type_ignores=[])
    exec(compile(module, str(notebook), "exec"), scope)  # the course's own solution code
    return {name: scope[name] for name in names}


def lab_model(recipe: Recipe, notebook: Path = LAB3) -> keras.Model:
    """Lab 3's modern convnet as the lab's own code builds it, in float32.

    Precision changes no parameter count; the race records this model's count so that every
    report checks the copy above against it.
    """
    build_modern = lab_functions(LAB_MODEL_FUNCTIONS, recipe, notebook)["build_modern"]
    with dtype_policy("float32"):
        return build_modern(recipe.image_size)


# ----------------------------------------------------------------- precision


def course_precision() -> str:
    """The policy ``h.use_mixed_precision()`` would set here (CNN_LABS_PRECISION wins)."""
    return choose_precision()[0]


@contextlib.contextmanager
def dtype_policy(policy: str):
    """Build layers under a global dtype policy, restored afterwards."""
    old = keras.config.dtype_policy().name
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(old)
