"""How much the benchmark runs: the full preset (``make bench``) and ``--quick`` (development).

The full preset is sized to finish within 20 minutes on 2 CPU cores. Expected on a quiet
machine: input pipeline ≈ 0.5 min (3 rounds of one epoch each), throughput ≈ 1.5 min (3 rounds ×
4 configurations × 35 steps), time to accuracy ≈ 15 min — 2 repetitions of a classic run capped at
25 epochs or 360 s (≈ 6.5 min at most, the cap being checked at epoch ends) and a course run of at
most the lab's 12 short epochs (≈ 1 min). About 17 minutes in all; the caps bound it near 19.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from helpers.config import REPO

__all__ = ["FULL", "PARTS", "QUICK", "Settings"]

#: The measurements, in the order they run.
PARTS = ("pipeline", "throughput", "accuracy", "course")


@dataclass(frozen=True)
class Settings:
    """Every knob of one benchmark run."""

    quick: bool = False
    parts: tuple[str, ...] = PARTS
    out_dir: Path = REPO / "bench"
    # Part 1, time to accuracy
    repeats: int = 2
    thresholds: tuple[float, ...] = (0.70, 0.75)
    classic_cap_epochs: int = 25
    classic_cap_seconds: float = 360.0
    course_cap_epochs: int | None = None  # None: the lab's own EPOCHS
    train_subset: int | None = None  # None: all 2,000 training images
    validation_subset: int | None = None  # None: the whole validation split (500)
    # Part 2, training throughput
    throughput_repeats: int = 3
    throughput_warmup_steps: int = 5
    throughput_steps: int = 30
    # Part 4, input pipeline alone
    pipeline_repeats: int = 3
    pipeline_images: int | None = None  # None: all 2,000 training images

    def as_dict(self) -> dict:
        values = asdict(self)
        values["out_dir"] = str(self.out_dir)
        return values


FULL = Settings()

QUICK = replace(
    FULL,
    quick=True,
    out_dir=REPO / "build" / "bench-quick",
    repeats=1,
    classic_cap_epochs=2,
    classic_cap_seconds=60.0,
    course_cap_epochs=2,
    train_subset=200,
    validation_subset=100,
    throughput_repeats=1,
    throughput_warmup_steps=2,
    throughput_steps=4,
    pipeline_repeats=1,
    pipeline_images=200,
)
