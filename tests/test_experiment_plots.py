"""Small multiples and accuracy per second, drawn from a real Keras training run."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import experiment_plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def runs():
    """Two real runs (a Dense net with and without a hidden layer), 3 epochs, with epoch times."""
    keras = pytest.importorskip("keras")
    import helpers as h

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    out = {}
    for label, hidden in (
        ("linear", []),
        ("hidden layer", [keras.layers.Dense(16, activation="relu")]),
    ):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((8,)), *hidden, keras.layers.Dense(1, activation="sigmoid")]
        )
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        clock = h.EpochLogger(every=10)
        history = model.fit(
            x[:192],
            y[:192],
            validation_data=(x[192:], y[192:]),
            epochs=3,
            verbose=0,
            callbacks=[clock],
        )
        out[label] = (history, clock.seconds)
    return out


def test_one_panel_per_run_with_shared_axes_and_the_kept_epoch_marked(runs):
    histories = {label: history for label, (history, _) in runs.items()}
    fig = experiment_plots.plot_runs_side_by_side(
        histories, title="two runs", mark_epochs={"linear": 2}
    )
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["linear", "hidden layer"]
    assert visible[0].get_shared_y_axes().joined(visible[0], visible[1])
    styles = {line.get_label(): line.get_linestyle() for line in visible[0].get_lines()}
    assert styles == {"training": "-", "validation": "--", "kept: epoch 2": ":"}
    first = visible[1].get_lines()[1]
    assert list(first.get_ydata()) == runs["hidden layer"][0].history["val_accuracy"]


def test_a_run_without_the_metric_is_named(runs):
    with pytest.raises(ValueError, match="linear"):
        experiment_plots.plot_runs_side_by_side({"linear": {"loss": [1.0]}})


def test_accuracy_per_second_puts_each_epoch_at_its_cumulative_time(runs):
    curves = {
        label: (seconds, history.history["val_accuracy"])
        for label, (history, seconds) in runs.items()
    }
    fig = experiment_plots.plot_accuracy_per_second(curves, title="per second")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["linear", "hidden layer"]
    for line, (_, (seconds, accuracy)) in zip(lines, curves.items(), strict=True):
        assert np.allclose(line.get_xdata(), np.cumsum(seconds))
        assert list(line.get_ydata()) == accuracy
    assert len(runs["linear"][1]) == 3 and all(s > 0 for s in runs["linear"][1])
    with pytest.raises(ValueError, match="2 epoch times for 3 accuracies"):
        experiment_plots.plot_accuracy_per_second({"bad": ([1.0, 2.0], [0.1, 0.2, 0.3])})
