"""Training plumbing shared by the labs: seeds, mixed precision, one-line-per-epoch logs, timing."""

from __future__ import annotations

import os
import time

import keras

from helpers.config import PRECISION_ENV
from helpers.machine import cpu_has_fast_bfloat16
from helpers.results import note_policy

__all__ = [
    "PRECISION_ENV",
    "EpochLogger",
    "Timer",
    "choose_precision",
    "gpu_compute_capability",
    "set_seed",
    "use_mixed_precision",
    "warmup_cosine",
]

#: The policies it may name.
POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow: a run repeats exactly on the same kind of machine.

    Other CPUs (or another precision) round differently, so their numbers differ a little.
    """
    keras.utils.set_random_seed(seed)


def gpu_compute_capability() -> tuple[int, int] | None:
    """The CUDA compute capability of the first GPU TensorFlow sees, or None (no GPU/unknown)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
    return tuple(capability) if capability else None


def choose_precision(
    enabled: bool = True,
    *,
    gpu: tuple[int, int] | None | str = "detect",
    cpu_bfloat16: bool | None = None,
) -> tuple[str, str]:
    """The compute policy for this machine, and why: ``(policy, reason)``.

    * ``$CNN_LABS_PRECISION`` (``float32``, ``mixed_bfloat16`` or ``mixed_float16``) wins;
    * on an NVIDIA GPU: ``mixed_bfloat16`` from compute capability 8.0 (Ampere), ``mixed_float16``
      from 7.0 (Volta, Turing: tensor cores; Keras scales the loss), else float32;
    * on a CPU: ``mixed_bfloat16`` with native bfloat16 (AMX, AVX-512 BF16), else float32.

    ``enabled=False`` (a lab whose model runs faster in float32) always gives float32. ``gpu`` and
    ``cpu_bfloat16`` stand in for the detected device (tests pass them).
    """
    if not enabled:
        return "float32", "asked for explicitly"
    forced = os.environ.get(PRECISION_ENV, "").strip()
    if forced and forced != "auto":
        if forced not in POLICIES:
            raise ValueError(
                f"{PRECISION_ENV}={forced!r} is not a policy: use one of "
                f"{', '.join(POLICIES)} or auto (or unset it)"
            )
        return forced, f"forced by {PRECISION_ENV}"
    capability = gpu_compute_capability() if gpu == "detect" else gpu
    if capability is not None:
        major, minor = capability
        if (major, minor) >= (8, 0):
            return "mixed_bfloat16", f"GPU with compute capability {major}.{minor} (bfloat16)"
        if (major, minor) >= (7, 0):
            return "mixed_float16", f"GPU with compute capability {major}.{minor} (float16 cores)"
        return "float32", f"GPU with compute capability {major}.{minor} (no fast 16-bit math)"
    if cpu_has_fast_bfloat16() if cpu_bfloat16 is None else cpu_bfloat16:
        return "mixed_bfloat16", "CPU with native bfloat16"
    return "float32", "CPU without native bfloat16"


def use_mixed_precision(enabled: bool = True, verbose: bool = True) -> str:
    """Compute in 16 bits (weights stay float32) where the device is fast at it; return the policy.

    On CPUs with AMX this trains the labs' convnets 2–3× faster at about the same accuracy; on
    devices without fast 16-bit arithmetic it would be slower, so they stay in float32 (see
    ``choose_precision``). Keep each model's output layer in float32 (``dtype="float32"``) so the
    loss is computed at full precision. ``verbose`` prints the policy and why.
    """
    policy, reason = choose_precision(enabled)
    keras.mixed_precision.set_global_policy(policy)
    note_policy(policy)  # recorded with the lab's results
    if verbose:
        print(f"computing in {policy}: {reason}")
    return policy


def warmup_cosine(
    learning_rate: float, epochs: int, steps_per_epoch: int, warmup_epochs: int = 0
) -> keras.optimizers.schedules.LearningRateSchedule:
    """A learning rate that climbs linearly from 0 for ``warmup_epochs``, then follows half a
    cosine down to 0 at the end of ``epochs`` (Keras' ``CosineDecay``; it counts steps)."""
    warmup_steps = min(warmup_epochs, max(epochs - 1, 0)) * steps_per_epoch
    decay_steps = max(epochs * steps_per_epoch - warmup_steps, 1)
    if not warmup_steps:
        return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps, warmup_target=learning_rate, warmup_steps=warmup_steps
    )


def _format_logs(logs: dict) -> str:
    """Metric values as ``loss 0.412 · accuracy 0.812 · val_loss …`` (learning rate skipped)."""
    parts = [f"{k} {v:.4f}" for k, v in logs.items() if k != "learning_rate"]
    return " · ".join(parts)


class EpochLogger(keras.callbacks.Callback):
    """Print one plain line per epoch (use with ``fit(verbose=0)``): no progress-bar escape codes.

    ``every`` prints only every n-th epoch (and always the last), for long runs. Every epoch's
    wall-clock seconds (training and validation) are kept in ``seconds``, printed or not.
    """

    def __init__(self, every: int = 1):
        super().__init__()
        self.every = every
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        self.seconds.append(seconds)
        total = self.params.get("epochs", epoch + 1)
        if (epoch + 1) % self.every and epoch + 1 != total:
            return
        print(f"epoch {epoch + 1:>2}/{total} · {seconds:4.1f} s · {_format_logs(logs or {})}")


class Timer:
    """Measure the wall-clock seconds of a block: ``with Timer() as t: ...``, then ``t.seconds``."""

    def __init__(self, label: str | None = None):
        self.label = label
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start
        if self.label and exc[0] is None:
            print(f"{self.label}: {self.seconds:.1f} s")
