"""Test results are printed with a Wilson interval: its known values, and its refusals."""

import math

import pytest

import helpers as h
from helpers.evidence import rate


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval, from its textbook formula (Wilson 1927)."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize(("hits", "n"), [(376, 500), (8, 10), (9917, 10000), (0, 50), (500, 500)])
def test_the_interval_is_wilsons(hits, n):
    measured = rate(hits / n, n)
    low, high = wilson(hits, n)
    assert measured.low == pytest.approx(low, abs=1e-6)
    assert measured.high == pytest.approx(high, abs=1e-6)
    assert measured.low <= measured.value <= measured.high


def test_500_photos_at_75_percent_give_about_four_points_either_way():
    measured = rate(0.752, 500)
    assert 0.035 < measured.half_width < 0.04
    assert str(measured) == "75.2% (95% interval 71.2%–78.8%, n = 500)"


def test_a_rate_that_is_not_a_whole_number_of_cases_is_refused():
    with pytest.raises(ValueError, match="not a whole number of cases"):
        rate(0.7531, 500)
    with pytest.raises(ValueError, match="at least one case"):
        rate(0.5, 0)


def test_the_labs_reach_it_through_helpers():
    assert h.rate(0.5, 10) == rate(0.5, 10)
    assert "rate" in h.__all__ and "Rate" in h.__all__
