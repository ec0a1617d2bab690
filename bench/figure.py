"""The time-vs-validation-accuracy figure of Part 1: every run of both pipelines, thin lines."""

from __future__ import annotations

from pathlib import Path

from bench.stats import format_estimate

__all__ = ["plot_time_to_accuracy"]

COLOURS = {"classic": "tab:red", "course": "tab:blue"}
LABELS = {
    "classic": "classic (JPEG decode every epoch, float32, RMSprop 1e-4, batch 20, 150 px)",
    "course": "course Lab 2 (decoded once, {precision}, Adam + cosine, batch {batch}, {size} px)",
}


def default_title(accuracy: dict) -> str:
    """``Cats vs dogs, every run · classic ÷ course to 70%: 6.1× (5.8–6.4) · …``."""
    parts = ["Cats vs dogs: validation accuracy against wall time, every run"]
    for threshold, entry in accuracy.get("thresholds", {}).items():
        parts.append(
            f"to {float(threshold):.0%}: classic ÷ course {format_estimate(entry['ratio'])}"
        )
    return "\n".join([parts[0], " · ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def plot_time_to_accuracy(accuracy: dict, path: Path | str, title: str | None = None) -> Path:
    """Draw validation accuracy against wall seconds since data preparation began; save to path.

    Each run is a thin line with a dot per epoch, starting at (end of data preparation, no
    accuracy yet) — the first dot is the end of the first epoch. Thresholds are dashed lines.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    course = accuracy.get("settings", {}).get("course", {})
    labels = {
        "classic": LABELS["classic"],
        "course": LABELS["course"].format(
            precision=course.get("precision", "?"),
            batch=course.get("batch_size", "?"),
            size=course.get("image_size", "?"),
        ),
    }
    fig, ax = plt.subplots(figsize=(9, 5.2), dpi=120)
    labelled = set()
    for run in accuracy["runs"]:
        pipeline = run["pipeline"]
        seconds = [p["seconds"] for p in run["curve"]]
        values = [p["val_accuracy"] for p in run["curve"]]
        ax.plot(
            seconds,
            values,
            color=COLOURS[pipeline],
            linewidth=0.9,
            alpha=0.8,
            marker="o",
            markersize=2.5,
            label=None if pipeline in labelled else labels[pipeline],
        )
        labelled.add(pipeline)
        ax.axvline(run["prep_seconds"], color=COLOURS[pipeline], linewidth=0.5, alpha=0.25)
    for threshold in accuracy.get("settings", {}).get("thresholds", []):
        ax.axhline(threshold, color="grey", linestyle="--", linewidth=0.8)
        ax.annotate(
            f"{threshold:.0%}",
            (1.0, threshold),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="grey",
        )
    ax.set_xlim(left=0)
    values = [p["val_accuracy"] for run in accuracy["runs"] for p in run["curve"]]
    ax.set_ylim(min([0.45, *values]) - 0.01, max([0.85, *values]) + 0.01)
    ax.set_xlabel(
        "wall seconds since the start of data preparation, validation included"
        " (faint vertical lines: data and model ready)"
    )
    ax.set_ylabel("validation accuracy")
    ax.set_title(title or default_title(accuracy), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
