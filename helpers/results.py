"""What a lab run achieved: kept for later labs (Lab 3 and Lab 5 compare with your own runs), and
collected by ``make solutions`` for ``solutions/results.json``."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from helpers.config import RESULTS_ENV, build_dir
from helpers.machine import peak_memory_mb

__all__ = ["RESULTS_ENV", "load_results", "note_policy", "record_results", "results_file"]

#: The compute policies this process has set (``use_mixed_precision``), in the order first set.
_policies: list[str] = []


def note_policy(policy: str) -> None:
    """Remember that this run computed in ``policy``; ``record_results`` records them all."""
    if policy not in _policies:
        _policies.append(policy)


def results_file(lab: str) -> Path:
    """Where the last run of a lab on this machine is kept: ``<build>/results/<lab>.json``."""
    return build_dir() / "results" / f"{lab}.json"


def _plain(value):
    """A metric as JSON stores it: floats rounded to 4 decimals, NumPy scalars made plain."""
    if hasattr(value, "item"):
        value = value.item()
    return round(float(value), 4) if isinstance(value, float) else value


def record_results(
    lab: str, *, settings: dict | None = None, history: dict | None = None, **metrics: float
) -> dict:
    """Record a lab run's headline metrics (plus peak memory and compute policies); return them.

    They are kept in ``results_file(lab)`` with the run's ``settings`` and training ``history``
    (``history.history`` of ``model.fit``), so that later labs can compare with *your* run; during
    ``make solutions`` the metrics also go to the file the runner collects.
    """
    metrics = {key: _plain(value) for key, value in metrics.items()}
    metrics["peak_rss_mb"] = round(peak_memory_mb(), 1)
    metrics["compute_policies"] = list(_policies) or ["float32"]  # Keras' default policy
    record = {
        "lab": lab,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": metrics,
        "settings": {key: _plain(value) for key, value in (settings or {}).items()},
        "history": {k: [_plain(v) for v in values] for k, values in (history or {}).items()},
    }
    path = results_file(lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    target = os.environ.get(RESULTS_ENV)
    if target:
        collected = Path(target)
        existing = json.loads(collected.read_text()) if collected.exists() else {}
        collected.write_text(json.dumps({**existing, **metrics}, indent=2, sort_keys=True))
    return metrics


def load_results(lab: str) -> dict | None:
    """The last recorded run of a lab on this machine (``metrics``, ``settings``, ``history``), or
    None when that lab has not been run here yet."""
    path = results_file(lab)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None  # a run interrupted while writing: as good as no run
