"""Figures for controlled experiments: runs side by side (small multiples), and accuracy per second.

One panel per run, on shared axes, reads better than many lines in one panel; and when two
networks cost different time, validation accuracy against wall-clock seconds is the fair picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from helpers.plots import (
    course_style,
    draw_epoch_line,
    grid_shape,
    history_dict,
    set_suptitle,
    subplots_grid,
)

__all__ = ["plot_accuracy_per_second", "plot_runs_side_by_side"]


def plot_runs_side_by_side(
    runs: Mapping[str, Any],
    metric: str = "accuracy",
    title: str | None = None,
    mark_epochs: Mapping[str, int] | None = None,
    ncols: int = 4,
) -> Figure:
    """Small multiples: one panel per run, training solid and validation dashed, shared axes.

    Args:
        runs: label -> what ``fit`` returned (a History or its ``.history`` dict).
        metric: the metric to draw (its ``val_`` twin is dashed).
        title: optional title above all panels.
        mark_epochs: label -> an epoch (from 1) to mark with a dotted line, e.g. the kept one.
        ncols: panels per row.
    """
    histories = {str(label): history_dict(run) for label, run in runs.items()}
    missing = [label for label, run in histories.items() if not run.get(metric)]
    if not histories or missing:
        raise ValueError(f"no {metric!r} recorded for {missing or 'any run'}")
    nrows, ncols = grid_shape(len(histories), ncols)
    with course_style():
        fig, axes = subplots_grid(
            nrows, ncols, figsize=(3.3 * ncols, 3.0 * nrows + 0.4), sharex=True, sharey=True
        )
        for ax, (label, run) in zip(axes.flat, histories.items(), strict=False):
            for key, style, kind in (
                (metric, "-", "training"),
                (f"val_{metric}", "--", "validation"),
            ):
                if run.get(key):
                    epochs = np.arange(1, len(run[key]) + 1)
                    ax.plot(
                        epochs,
                        run[key],
                        linestyle=style,
                        color="C0" if kind == "training" else "C1",
                        label=kind,
                    )
            epoch = (mark_epochs or {}).get(label)
            if epoch is not None:
                draw_epoch_line(ax, epoch, f"kept: epoch {epoch}")
            ax.set_title(label)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True)
            ax.legend(loc="lower right", fontsize=8)
        for ax in axes[:, 0]:
            ax.set_ylabel(metric)
        if metric.endswith("accuracy"):
            axes[0, 0].yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
        for ax in list(axes.flat)[len(histories) :]:
            ax.set_visible(False)
        set_suptitle(fig, title)
    return fig


def plot_accuracy_per_second(
    runs: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    title: str | None = None,
) -> Figure:
    """Validation accuracy against cumulative wall-clock seconds, one line per run.

    Args:
        runs: label -> (seconds of each epoch, validation accuracy after each epoch).
        title: optional title.
    """
    with course_style():
        fig, axes = subplots_grid(1, 1, figsize=(7.0, 4.0))
        ax = axes[0, 0]
        for label, (seconds, accuracy) in runs.items():
            if len(seconds) != len(accuracy) or not len(seconds):
                raise ValueError(
                    f"{label}: {len(seconds)} epoch times for {len(accuracy)} accuracies"
                )
            ax.plot(np.cumsum(seconds), accuracy, marker="o", label=label)
        ax.set_xlabel("wall-clock seconds of training (and validation)")
        ax.set_ylabel("validation accuracy")
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
        ax.grid(True)
        ax.legend(loc="lower right")
        set_suptitle(fig, title)
    return fig
