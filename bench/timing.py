"""Clocks: wall time at every epoch end (with caps and early stop) and at every training step.

All times are ``time.perf_counter()`` wall seconds. Keras runs the validation pass *before*
``on_epoch_end``, so an epoch's time includes its validation evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras

import helpers  # noqa: F401  (imports TensorFlow quietly before Keras)

__all__ = ["EpochClock", "StepClock", "now"]


def now() -> float:
    """The clock every measurement uses."""
    return time.perf_counter()


class EpochClock(keras.callbacks.Callback):
    """Record ``(epoch, seconds since start, val_accuracy, …)`` at each epoch end; stop at caps.

    ``start`` is when the run's clock started (the start of its data preparation). Training stops
    after the epoch that passes ``cap_seconds``, or once validation accuracy has reached
    ``stop_at`` (the highest threshold: later epochs cannot change the time to reach it).
    """

    def __init__(
        self,
        start: float,
        *,
        cap_seconds: float | None = None,
        stop_at: float | None = None,
        report: Callable[[dict], None] | None = None,
    ):
        super().__init__()
        self.start = start
        self.cap_seconds = cap_seconds
        self.stop_at = stop_at
        self.report = report
        self.curve: list[dict] = []
        self.stopped_by: str | None = None
        self._epoch_start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = now()

    def on_epoch_end(self, epoch, logs=None):
        t = now()
        logs = logs or {}
        point = {
            "epoch": epoch + 1,
            "seconds": t - self.start,
            "epoch_seconds": t - self._epoch_start,
            "val_accuracy": float(logs.get("val_accuracy", float("nan"))),
            "accuracy": float(logs.get("accuracy", float("nan"))),
            "loss": float(logs.get("loss", float("nan"))),
        }
        self.curve.append(point)
        if self.report:
            self.report(point)
        if self.stop_at is not None and point["val_accuracy"] >= self.stop_at:
            self.stopped_by = "threshold"
            self.model.stop_training = True
        elif self.cap_seconds is not None and point["seconds"] >= self.cap_seconds:
            self.stopped_by = "time cap"
            self.model.stop_training = True


class StepClock(keras.callbacks.Callback):
    """Wall time at the end of every training batch (``times[i]`` = end of batch i)."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(now())


def steady_rate(times: Sequence[float], warmup: int, items_per_step: int) -> float:
    """Items per second over the steps after the first ``warmup`` (their time is discarded)."""
    if warmup < 1 or len(times) <= warmup:
        raise ValueError(f"need more than warmup={warmup} (>= 1) step times, got {len(times)}")
    measured = len(times) - warmup
    return measured * items_per_step / (times[-1] - times[warmup - 1])
