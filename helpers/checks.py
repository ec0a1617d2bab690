"""Checkpoints: short cells after each exercise that print a clear PASS or FAIL line.

A failed checkpoint also raises ``CheckpointFailed``, so "Run All" (and the automatic runs of the
solutions) stop right there instead of carrying a wrong result into later cells.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

__all__ = [
    "CheckpointFailed",
    "check",
    "check_at_least",
    "check_defined",
    "check_model",
    "check_param_count",
    "check_shape",
]


class CheckpointFailed(AssertionError):
    """Raised by a checkpoint whose condition does not hold; the message says what to fix."""


def check(passed: bool, what: str, hint: str = "") -> None:
    """Print ``PASS — what`` or ``FAIL — what`` (with a hint) and raise on failure."""
    if passed:
        print(f"✅ PASS — {what}")
        return
    message = f"❌ FAIL — {what}" + (f"\n   Hint: {hint}" if hint else "")
    print(message)
    raise CheckpointFailed(message)


def check_defined(*names: str, exercise: int | None = None, namespace: dict | None = None) -> None:
    """Checkpoint that the exercise defined the names later cells use (in the caller's namespace).

    A missing name gets a FAIL line naming it and the exercise that should define it, instead of
    a bare NameError further down.
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    missing = [name for name in names if name not in namespace]
    listed = ", ".join(f"`{name}`" for name in (missing or names))
    where = f"Exercise {exercise}" if exercise else "the exercise above"
    check(
        not missing,
        f"{listed} {'is' if len(missing or names) == 1 else 'are'} "
        + ("defined" if not missing else "not defined"),
        f"{where} asks you to define {listed} (the cells below use "
        f"{'it' if len(missing) == 1 else 'them'}): check the spelling, and run that cell.",
    )


def check_shape(name: str, actual: Sequence[int | None], expected: Sequence[int | None]) -> None:
    """Checkpoint that an array or tensor shape equals the expected one (None matches anything)."""
    actual, expected = tuple(actual), tuple(expected)
    same = len(actual) == len(expected) and all(
        e is None or a == e for a, e in zip(actual, expected, strict=False)
    )
    check(
        same,
        f"{name} has shape {expected}"
        if same
        else f"{name} has shape {actual}, expected {expected}",
        "compare your layers with the architecture described above.",
    )


def check_param_count(model, expected: int) -> None:
    """Checkpoint that a Keras model has exactly ``expected`` parameters."""
    actual = model.count_params()
    check(
        actual == expected,
        f"the model has {expected:,} parameters"
        if actual == expected
        else f"the model has {actual:,} parameters, expected {expected:,}",
        "check the number of filters, kernel sizes and dense units of each layer.",
    )


def check_at_least(name: str, value: float, minimum: float, percent: bool = True) -> None:
    """Checkpoint that a metric reaches a minimum (shown as a percentage by default)."""
    fmt = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.4g}")
    check(
        value >= minimum,
        f"{name} ≥ {fmt(minimum)}",
        f"{name} is {fmt(value)}: train longer, or revisit the model and the data pipeline.",
    )


def _flat_layers(model) -> list:
    """The model's layers in order, nested models unpacked, input layers left out."""
    flat = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        flat += _flat_layers(layer) if hasattr(layer, "layers") else [layer]
    return flat


def _activation(layer) -> str:
    """The name of a layer's activation ("relu", "softmax", "linear"...), or "" if it has none."""
    if type(layer).__name__ == "ReLU":
        return "relu"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "") if activation is not None else ""


def _hidden_layers_use(layers: list, activation: str) -> list[str]:
    """Names of the Conv2D/Dense layers (all but the last) not followed by ``activation``.

    A layer counts as followed by it when it has that activation itself, or when an
    activation layer with it comes before the next layer with weights (e.g. Conv2D →
    BatchNormalization → ReLU).
    """
    weighted = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Dense")
    offenders = []
    for index, layer in enumerate(layers[:-1]):
        if type(layer).__name__ not in weighted or _activation(layer) == activation:
            continue
        later = []
        for other in layers[index + 1 :]:
            if type(other).__name__ in weighted:
                break
            later.append(other)
        if not any(_activation(other) == activation for other in later):
            offenders.append(layer.name)
    return offenders


def check_model(
    model,
    *,
    input_shape: tuple[int, ...],
    output_units: int,
    output_activation: str,
    rescaling: float | None = None,
    hidden_activation: str = "relu",
    layer_counts: dict[str, int] | None = None,
    at_least: dict[str, int] | None = None,
    max_params: int | None = None,
) -> None:
    """Checkpoint a model against the constraints an exercise states, one PASS line each.

    ``rescaling``: the first layer must be ``Rescaling(rescaling)`` (e.g. 1/255).
    ``layer_counts``: e.g. ``{"Conv2D": 3, "MaxPooling2D": 2}`` (exact numbers, nested models
    unpacked); ``at_least``: minimum numbers, e.g. ``{"Conv2D": 3, "Dropout": 1}``. The output
    must compute in float32 (``dtype="float32"``), so the loss is computed at full precision under
    mixed precision.
    """
    layers = _flat_layers(model)
    check(
        tuple(model.input_shape[1:]) == tuple(input_shape),
        f"the model takes inputs of shape {tuple(input_shape)}",
        f"it takes {tuple(model.input_shape[1:])}: start with keras.Input(shape={input_shape}).",
    )
    if rescaling is not None:
        first = layers[0] if layers else None
        check(
            type(first).__name__ == "Rescaling"
            and abs(float(first.scale) - rescaling) < 1e-6
            and float(first.offset) == 0.0,
            f"its first layer rescales the pixels by {rescaling:.6g} (0–255 → 0–1)",
            f"put keras.layers.Rescaling({rescaling:.6g}) first, so the model takes plain photos.",
        )
    last = layers[-1]
    units = model.output_shape[-1]
    check(
        units == output_units
        and _activation(last) == output_activation
        and last.dtype_policy.compute_dtype == "float32",
        f"it ends in {output_units} {output_activation} unit{'s' if output_units > 1 else ''} "
        "computing in float32",
        f"the last layer has {units} units, activation {_activation(last) or 'none'!r} and "
        f"computes in {last.dtype_policy.compute_dtype}: use Dense({output_units}, "
        f'activation="{output_activation}", dtype="float32").',
    )
    offenders = _hidden_layers_use(layers, hidden_activation)
    check(
        not offenders,
        f"every convolution and hidden Dense layer is followed by {hidden_activation}",
        f"{', '.join(offenders)} {'has' if len(offenders) == 1 else 'have'} no "
        f'{hidden_activation}: pass activation="{hidden_activation}".',
    )
    if layer_counts:
        kinds = [type(layer).__name__ for layer in layers]
        actual = {kind: kinds.count(kind) for kind in layer_counts}
        wanted = ", ".join(f"{n} {kind}" for kind, n in layer_counts.items())
        check(
            actual == layer_counts,
            f"it has {wanted} layers",
            f"it has {', '.join(f'{n} {kind}' for kind, n in actual.items())}.",
        )
    if at_least:
        kinds = [type(layer).__name__ for layer in layers]
        short = {kind: kinds.count(kind) for kind, n in at_least.items() if kinds.count(kind) < n}
        wanted = ", ".join(f"{n} {kind}" for kind, n in at_least.items())
        check(
            not short,
            f"it has at least {wanted} layer{'s' if sum(at_least.values()) > 1 else ''}",
            f"it has only {', '.join(f'{n} {kind}' for kind, n in short.items())}.",
        )
    if max_params is not None:
        count = model.count_params()
        check(
            count <= max_params,
            f"it has {count:,} parameters (at most {max_params:,})",
            "too many parameters: fewer filters, fewer dense units, or more pooling before "
            "Flatten (see the shapes in model.summary()).",
        )
