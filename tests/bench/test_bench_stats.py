"""Medians, times to a threshold, and ratios that may be only bounds."""

import pytest

from bench.stats import (
    Estimate,
    Outcome,
    format_estimate,
    format_spread,
    outcome,
    ratio,
    spread,
    summarize,
)

CURVE = [
    {"epoch": 1, "seconds": 10.0, "val_accuracy": 0.55},
    {"epoch": 2, "seconds": 20.0, "val_accuracy": 0.71},
    {"epoch": 3, "seconds": 30.0, "val_accuracy": 0.69},
    {"epoch": 4, "seconds": 40.0, "val_accuracy": 0.76},
]


def test_spread_is_median_min_max_and_drops_missing_values():
    assert spread([3.0, 1.0, None, 2.0, 10.0]) == {
        "median": 2.5,
        "min": 1.0,
        "max": 10.0,
        "n": 4,
        "values": [3.0, 1.0, 2.0, 10.0],
    }
    assert spread([])["median"] is None


def test_time_to_threshold_is_the_first_epoch_that_reaches_it():
    assert outcome(CURVE, 0.70) == Outcome(True, 20.0, 2)
    assert outcome(CURVE, 0.71) == Outcome(True, 20.0, 2)  # reaching counts (>=)
    assert outcome(CURVE, 0.75) == Outcome(True, 40.0, 4)
    assert outcome(CURVE, 0.80) == Outcome(False, 40.0, 4)  # censored at the run's end
    with pytest.raises(ValueError):
        outcome([], 0.7)


def test_ratios_from_censored_runs_are_bounds():
    slow, fast = Outcome(True, 300.0, 10), Outcome(True, 50.0, 5)
    assert ratio(slow, fast) == Estimate(6.0, "exact")
    assert ratio(Outcome(False, 360.0, 12), fast) == Estimate(7.2, "lower")
    assert ratio(slow, Outcome(False, 100.0, 12)) == Estimate(3.0, "upper")
    assert ratio(Outcome(False, 360.0, 12), Outcome(False, 100.0, 12)) == Estimate(None, "unknown")


def test_summaries_keep_the_weakest_bound():
    exact = summarize([Estimate(6.0), Estimate(5.0), Estimate(8.0)])
    assert (exact["median"], exact["min"], exact["max"], exact["bound"]) == (6.0, 5.0, 8.0, "exact")
    assert summarize([Estimate(6.0), Estimate(7.0, "lower")])["bound"] == "lower"
    assert summarize([Estimate(6.0), Estimate(3.0, "upper")])["bound"] == "upper"
    assert summarize([Estimate(6.0, "lower"), Estimate(3.0, "upper")])["bound"] == "unknown"
    assert summarize([Estimate(6.0), Estimate(None, "unknown")])["bound"] == "unknown"
    assert summarize([])["bound"] == "unknown"


def test_formatting():
    assert format_spread(spread([5.8, 6.4]), 1, "×") == "6.1× (5.8–6.4)"
    assert format_spread(spread([42.0]), 0, " s") == "42 s"
    assert format_spread(spread([])) == "—"
    assert format_estimate(summarize([Estimate(6.0), Estimate(7.0)])) == "6.5× (6.0–7.0)"
    assert format_estimate(summarize([Estimate(4.2, "lower")])) == "≥ 4.2×"
    assert format_estimate(summarize([Estimate(4.2, "upper")])) == "≤ 4.2×"
    assert format_estimate(summarize([Estimate(None, "unknown")])).startswith("n/a")
