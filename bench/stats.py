"""Small statistics for the benchmark: medians with min–max, times to a threshold, ratios.

A run can stop (at its cap) before it reaches an accuracy threshold. Its time to that threshold
is then *censored*: we only know it is longer than the run. A ratio built from a censored time
is a bound, not a value, and is reported as one:

* classic did not reach it, course did → the ratio is at least ``classic run / course time``
  (``"lower"``: the true ratio is ≥ the value);
* classic reached it, course did not → at most ``classic time / course run`` (``"upper"``);
* neither reached it → unknown.

The median (and min, max) is monotone in each value, so the median of lower bounds is a lower
bound of the true median; a summary mixing lower and upper bounds is unknown.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Estimate",
    "Outcome",
    "format_estimate",
    "format_spread",
    "outcome",
    "ratio",
    "spread",
    "summarize",
]

EXACT, LOWER, UPPER, UNKNOWN = "exact", "lower", "upper", "unknown"


def spread(values: Iterable[float]) -> dict:
    """``{"median", "min", "max", "n", "values"}`` of some numbers (None entries are dropped)."""
    kept = [float(v) for v in values if v is not None]
    if not kept:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    return {
        "median": statistics.median(kept),
        "min": min(kept),
        "max": max(kept),
        "n": len(kept),
        "values": kept,
    }


@dataclass(frozen=True)
class Outcome:
    """How one run did against one threshold: the seconds (and epochs) to reach it, or not.

    When ``reached`` is False, ``seconds`` and ``epochs`` are those of the whole run (censored).
    """

    reached: bool
    seconds: float
    epochs: int


def outcome(curve: Sequence[dict], threshold: float) -> Outcome:
    """The first epoch of ``curve`` whose ``val_accuracy`` reaches ``threshold``.

    ``curve`` holds one dict per epoch, in order, with ``epoch`` (1-based), ``seconds`` (wall time
    since the start of data preparation, at the end of that epoch) and ``val_accuracy``.
    """
    if not curve:
        raise ValueError("empty curve: the run recorded no epoch")
    for point in curve:
        if point["val_accuracy"] >= threshold:
            return Outcome(True, float(point["seconds"]), int(point["epoch"]))
    last = curve[-1]
    return Outcome(False, float(last["seconds"]), int(last["epoch"]))


@dataclass(frozen=True)
class Estimate:
    """A number that may be only a bound: ``bound`` is exact, lower (≥), upper (≤) or unknown."""

    value: float | None
    bound: str = EXACT

    def as_dict(self) -> dict:
        return {"value": self.value, "bound": self.bound}


def ratio(slow: Outcome, fast: Outcome) -> Estimate:
    """How many times longer ``slow`` took than ``fast`` to reach a threshold (see module doc)."""
    if slow.reached and fast.reached:
        return Estimate(slow.seconds / fast.seconds, EXACT)
    if fast.reached:
        return Estimate(slow.seconds / fast.seconds, LOWER)
    if slow.reached:
        return Estimate(slow.seconds / fast.seconds, UPPER)
    return Estimate(None, UNKNOWN)


def summarize(estimates: Sequence[Estimate]) -> dict:
    """Median and min–max of several estimates, with the bound that holds for all of them."""
    bounds = {e.bound for e in estimates}
    values = [e.value for e in estimates if e.value is not None]
    if not estimates or UNKNOWN in bounds or {LOWER, UPPER} <= bounds:
        bound = UNKNOWN
    elif LOWER in bounds:
        bound = LOWER
    elif UPPER in bounds:
        bound = UPPER
    else:
        bound = EXACT
    summary = spread(values)
    summary["bound"] = bound
    summary["bounds"] = [e.bound for e in estimates]
    return summary


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def format_spread(summary: dict, digits: int = 1, unit: str = "") -> str:
    """``"6.1 (5.8–6.4)"`` — median and min–max; just the value when n is 1; ``"—"`` if empty."""
    if not summary or summary.get("median") is None:
        return "—"
    median = _number(summary["median"], digits) + unit
    if summary["n"] == 1 or summary["min"] == summary["max"]:
        return median
    return f"{median} ({_number(summary['min'], digits)}–{_number(summary['max'], digits)})"


def format_estimate(summary: dict, digits: int = 1, unit: str = "×") -> str:
    """A ratio summary with its bound: ``"6.1× (5.8–6.4)"``, ``"≥ 4.2×"``, ``"n/a"``."""
    bound = summary.get("bound", EXACT)
    if bound == UNKNOWN or summary.get("median") is None:
        return "n/a (threshold not reached)"
    text = format_spread(summary, digits, unit)
    return {"lower": "≥ ", "upper": "≤ "}.get(bound, "") + text
