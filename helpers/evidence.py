"""How sure a measured rate is: an accuracy on n photos, with its 95 % interval.

A test set is a sample. 500 photos scored at 75 % could come from a model whose true accuracy is
anywhere from about 71 to 79 %; two models 2 points apart on them are not told apart. Every lab
prints its test results with this interval (the Wilson score interval, as scipy computes it),
and calls a difference a finding only when it is larger than the interval or the seed spread.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Rate", "rate"]


@dataclass(frozen=True)
class Rate:
    """A proportion measured on ``n`` cases, with the bounds of its ``confidence`` interval."""

    value: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def __str__(self) -> str:
        level = f"{self.confidence:.0%}"
        return f"{self.value:.1%} ({level} interval {self.low:.1%}–{self.high:.1%}, n = {self.n:,})"

    @property
    def half_width(self) -> float:
        """Half the interval's width: the "±" to quote beside the value."""
        return (self.high - self.low) / 2


def rate(value: float, n: int, confidence: float = 0.95) -> Rate:
    """``value`` (a fraction such as an accuracy) measured on ``n`` cases, with its Wilson interval.

    ``value × n`` must be a whole number of cases (up to the 4 decimals results are rounded to).
    """
    from scipy.stats import binomtest

    if n < 1:
        raise ValueError(f"a rate needs at least one case, got n = {n}")
    hits = round(float(value) * n)
    if abs(hits - float(value) * n) > max(1e-6 * n, 0.01) or not 0 <= hits <= n:
        raise ValueError(f"{value} of {n} cases is not a whole number of cases between 0 and {n}")
    interval = binomtest(hits, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Rate(hits / n, float(interval.low), float(interval.high), n, confidence)
