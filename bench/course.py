"""Part 3 — the whole course: wall seconds and peak memory of every lab, from ``make solutions``.

Nothing is re-run here: ``make solutions`` runs every lab at full settings, one after the other,
and records each lab's wall seconds (the whole papermill run of the notebook, kernel start
included) and peak resident memory of its kernel (``peak_rss_mb``, MiB, from ``getrusage``) in
``solutions/results.json``. This part reads that file and checks the course's targets: the five
labs in ≤ 600 s in all, and ≤ 3 GiB of memory each (an 8 GB laptop with room to spare).
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.config import REPO

__all__ = ["LABS", "course_summary"]

RESULTS_JSON = REPO / "solutions" / "results.json"

#: The course's labs, in order (README.md).
LABS = (
    "01_mnist_convnet",
    "02_cats_dogs_baseline",
    "03_data_augmentation",
    "04_chest_xray_lab",
    "05_transfer_learning",
)
TOTAL_SECONDS_TARGET = 600
PEAK_MIB_TARGET = 3 * 1024


def course_summary(path: Path | str = RESULTS_JSON, labs=LABS) -> dict:
    """Per-lab seconds and peak memory, the total, which labs are missing, and the verdicts."""
    path = Path(path)
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    found = recorded.get("labs", {})
    names = list(labs) + sorted(set(found) - set(labs))
    rows = []
    for name in names:
        metrics = found.get(name)
        if metrics is None:
            rows.append({"lab": name, "missing": True})
            continue
        peak = metrics.get("peak_rss_mb")
        rows.append(
            {
                "lab": name,
                "missing": False,
                "seconds": metrics.get("seconds"),
                "peak_rss_mib": peak,
                "test_accuracy": metrics.get("test_accuracy"),
                "finished": metrics.get("finished"),
                "within_memory_target": None if peak is None else peak <= PEAK_MIB_TARGET,
            }
        )
    present = [r for r in rows if not r["missing"]]
    missing = [r["lab"] for r in rows if r["missing"]]
    total = sum(r["seconds"] or 0 for r in present)
    peaks = [r["peak_rss_mib"] for r in present if r["peak_rss_mib"] is not None]
    return {
        "source": str(path),
        "machine": recorded.get("machine", {}),
        "labs": rows,
        "missing": missing,
        "complete": not missing,
        "total_seconds": round(total, 1),
        "max_peak_rss_mib": max(peaks) if peaks else None,
        "targets": {"total_seconds": TOTAL_SECONDS_TARGET, "peak_rss_mib": PEAK_MIB_TARGET},
        # Over the target already is a verdict; under it with labs missing is not yet one.
        "total_within_target": (
            False if total > TOTAL_SECONDS_TARGET else (True if not missing else None)
        ),
        "memory_within_target": all(p <= PEAK_MIB_TARGET for p in peaks) if peaks else None,
    }
