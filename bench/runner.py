"""Run the benchmark's parts in order and write the results (``python -m bench``)."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime

from bench import progress
from bench.progress import log
from bench.recipe import LAB2_NOTEBOOK, LAB3_DEFAULTS, LAB3_NOTEBOOK, read_recipe
from bench.settings import Settings

__all__ = ["run"]


def run(settings: Settings) -> dict:
    """Run the parts in ``settings.parts``; write results.json, RESULTS.md and the figure."""
    progress.restart()
    from bench.machine import describe_machine, load_average  # imports TensorFlow

    lab2 = read_recipe(LAB2_NOTEBOOK)
    lab3 = read_recipe(LAB3_NOTEBOOK, LAB3_DEFAULTS)
    machine = describe_machine()
    log(
        f"bench · {'QUICK' if settings.quick else 'full'} run · {machine['cpu']['model']} · "
        f"load {machine['load_average_at_start']} · Lab 2 recipe from {lab2.source}: "
        f"{lab2.image_size} px, batch {lab2.batch_size}, {lab2.epochs} epochs, "
        f"lr {lab2.learning_rate:g}, seed {lab2.seed}"
    )
    results: dict = {
        "run": {
            "quick": settings.quick,
            "command": " ".join(["python -m bench", *map(shlex.quote, sys.argv[1:])]),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "lab2_recipe_source": lab2.source,
            "lab3_recipe_source": lab3.source,
        },
        "settings": settings.as_dict(),
        "recipes": {"lab2": lab2.as_dict(), "lab3": lab3.as_dict()},
        "machine": machine,
    }
    if "pipeline" in settings.parts:
        from bench.input_pipeline import measure_input_pipeline

        results["pipeline"] = measure_input_pipeline(settings, lab2)
    if "throughput" in settings.parts:
        from bench.throughput import measure_throughput

        results["throughput"] = measure_throughput(settings, lab2, lab3)
    if "accuracy" in settings.parts:
        from bench.accuracy import measure_time_to_accuracy

        results["accuracy"] = measure_time_to_accuracy(settings, lab2)
    if "course" in settings.parts:
        from bench.course import course_summary

        results["course"] = course_summary()
    machine["load_average_at_end"] = load_average()
    results["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["run"]["seconds"] = progress.elapsed()

    from bench.report import write_results

    written = write_results(results, settings.out_dir)
    if results.get("accuracy"):
        from bench.figure import plot_time_to_accuracy

        written["figure"] = plot_time_to_accuracy(
            results["accuracy"], settings.out_dir / "time_to_accuracy.png"
        )
    for kind, path in written.items():
        log(f"wrote {kind}: {path}")
    return results
