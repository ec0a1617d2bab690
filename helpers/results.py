"""Headline metrics of a lab run: collected by ``make solutions``, read back by Lab 5."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers.config import REPO, RESULTS_ENV
from helpers.machine import peak_memory_mb

__all__ = ["RESULTS_ENV", "load_results", "record_results"]

#: Metrics of the last full run of every lab.
RESULTS_JSON = REPO / "solutions" / "results.json"


def record_results(**metrics: float) -> dict:
    """Record this lab's headline metrics (plus peak memory) for ``make solutions``; return them.

    Outside a ``make solutions`` run (e.g. in JupyterLab) nothing is written.
    """
    metrics = {k: (round(float(v), 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    metrics["peak_rss_mb"] = round(peak_memory_mb(), 1)
    target = os.environ.get(RESULTS_ENV)
    if target:
        path = Path(target)
        existing = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
        path.write_text(json.dumps({**existing, **metrics}, indent=2, sort_keys=True))
    return metrics


def load_results(path: Path = RESULTS_JSON) -> dict[str, dict]:
    """Metrics of every lab's last full run, ``{"01_mnist_convnet": {"test_accuracy": …}, …}``."""
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("labs", {})
