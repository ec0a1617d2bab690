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
