"""The benchmark's clocks on a toy model: epoch curves, caps, early stop, steady rates."""

import keras
import numpy as np
import pytest

from bench.timing import EpochClock, StepClock, now, steady_rate


def toy_fit(callback, epochs=5, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(
        x, y, validation_data=(x, y), batch_size=16, epochs=epochs, verbose=0, callbacks=[callback]
    )


def test_the_epoch_clock_records_a_curve_from_its_start():
    reported = []
    start = now()
    clock = EpochClock(start, report=reported.append)
    toy_fit(clock, epochs=3)
    assert [p["epoch"] for p in clock.curve] == [1, 2, 3] and reported == clock.curve
    seconds = [p["seconds"] for p in clock.curve]
    assert seconds == sorted(seconds) and seconds[0] > 0
    assert all(0 <= p["val_accuracy"] <= 1 for p in clock.curve)
    assert clock.stopped_by is None


def test_the_epoch_clock_stops_at_its_time_cap_and_at_the_top_threshold():
    capped = EpochClock(now(), cap_seconds=0.0)
    toy_fit(capped)
    assert len(capped.curve) == 1 and capped.stopped_by == "time cap"
    reached = EpochClock(now(), stop_at=0.0)
    toy_fit(reached)
    assert len(reached.curve) == 1 and reached.stopped_by == "threshold"


def test_the_step_clock_and_the_steady_rate_after_warm_up():
    clock = StepClock()
    toy_fit(clock, epochs=1)
    assert len(clock.times) == 4  # 64 images / batch 16
    # warm-up 2: steps 3–5 (3 × 10 items) between the end of step 2 (1.0 s) and 2.5 s
    rate = steady_rate([0.0, 1.0, 1.5, 2.0, 2.5], warmup=2, items_per_step=10)
    assert rate == pytest.approx(20.0)
    with pytest.raises(ValueError):
        steady_rate([0.0, 1.0], warmup=2, items_per_step=10)
    with pytest.raises(ValueError):
        steady_rate([0.0, 1.0], warmup=0, items_per_step=10)
