"""What the benchmark writes: ``results.json`` (all it measured), ``RESULTS.md``, the figure."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import helpers as h
from bench.race import CLASSIC_BATCH_SIZE, CLASSIC_IMAGE_SIZE, ratios, time_to

#: The course's promises, checked in the tables.
RATIO_TARGET = 5.0  # classic ÷ course time to each threshold
COURSE_SECONDS_TARGET = 600  # all five labs, one after the other
LAB_MEMORY_TARGET_MIB = 3 * 1024  # peak memory of any lab: an 8 GB laptop with room to spare

METHOD = """\
## How it is measured

* **Same photos, same seed, same process.** Both pipelines train on the course loader's
  training split and validate on its validation split (the seeded half per class of the shipped
  `validation/` folder); the classic pipeline reads the very files the course loader decoded.
  Runs alternate (classic, course, classic, …), each in a fresh Keras session seeded with
  Lab 3's `SEED`; ratios pair the runs of one repetition.
* **Honest clocks.** A run's clock starts before its data preparation (the course decodes every
  photo once, test split included, as Lab 3 does) and is read at the end of each epoch, after the
  validation pass; model building and compiling are inside it. Both models first train two steps
  on random data, so TensorFlow's one-time start-up is charged to neither.
* **Time to accuracy** is the clock at the end of the first epoch whose validation accuracy
  reaches the threshold, for both pipelines alike. (Lab 3 itself reports the epoch it keeps, the
  one with the lowest validation loss; the race stops earlier, at the highest threshold.)
* **The classic pipeline is a faithful rebuild, not a straw man**: Keras 2's
  `ImageDataGenerator(rescale=1/255).flow_from_directory(target_size=(150, 150), batch_size=20)`
  becomes `tf.data` reading, decoding (`decode_jpeg`), resizing (bilinear) and rescaling every
  photo every epoch, reshuffled, with the tutorial's convnet in float32 and `RMSprop(1e-4)`.
  Keras 3's speed is kept: decoding runs on all usable CPUs and batches are prefetched.
* **The course pipeline is Lab 3's modern convnet**, the course's best from-scratch recipe: its
  settings come from the lab's `parameters` cell; the augmentation, the model (a small ResNet),
  optimiser and precision are copies of the lab's (`bench/course.py`), and every run checks the
  copy's parameter count against the model the lab's own code builds.
* **Caps.** The course runs its own schedule; the classic runs until its epoch or time cap
  (checked at epoch ends). Both stop once the highest threshold is reached. A threshold the
  classic run did not reach is reported as "not reached within its cap"; its ratio is then only
  a lower bound, "≥ r" (the classic would have needed longer than its whole run), and decides
  no target unless even the bound meets it.
* **The whole course** is not re-run: its table reads `solutions/results.json`, written by the
  last `make solutions`; a lab missing there is listed as missing, never guessed.
"""


def spread(values, digits: int = 1, unit: str = "") -> str:
    """``"6.1 (5.8–6.4)"``: median and min–max; one value alone; "—" for none."""
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    text = f"{statistics.median(values):.{digits}f}{unit}"
    low, high = min(values), max(values)
    return text if low == high else f"{text} ({low:.{digits}f}–{high:.{digits}f})"


def ratio_text(found: list[tuple[float, str]]) -> str:
    """The median classic ÷ course ratio with its range; a bound says the classic never got there.

    "≥" marks a median over pairs where some classic run did not reach the threshold within its
    cap: for those only a lower bound is known, and the text says so.
    """
    if not found:
        return "n/a (the course did not reach it)"
    bounds = sum(kind == "≥" for _, kind in found)
    text = spread([value for value, _ in found], 1, "×")
    if not bounds:
        return text
    where = "" if bounds == len(found) else f" in {bounds} of {len(found)} runs"
    return f"≥ {text} (classic: not reached within its cap{where})"


def verdict(ok: bool | None) -> str:
    return {True: "✅ met", False: "❌ not met"}.get(ok, "—")


def ratio_met(found: list[tuple[float, str]]) -> bool | None:
    """Whether the median ratio reaches the target (a bound below it decides nothing)."""
    if not found:
        return None
    median = statistics.median(value for value, _ in found)
    exact = all(kind == "=" for _, kind in found)
    return True if median >= RATIO_TARGET else (False if exact else None)


def course_rows(results_json: Path) -> tuple[list[str], dict]:
    """The whole-course table from ``solutions/results.json``, and its totals and verdicts."""
    labs = json.loads(results_json.read_text()).get("labs", {}) if results_json.is_file() else {}
    rows = [
        "| lab | seconds | peak memory, MiB | test accuracy | finished |",
        "|---|--:|--:|--:|---|",
    ]
    missing = {path.stem for path in results_json.parent.glob("*.ipynb")} - set(labs)
    rows += [f"| {stem} | missing: run `make solutions` | | | |" for stem in sorted(missing)]
    for stem, lab in sorted(labs.items()):
        accuracy = lab.get("test_accuracy")
        rows.append(
            f"| {stem} | {lab.get('seconds', 0):.0f} | {lab.get('peak_rss_mb', 0):.0f} "
            f"| {'—' if accuracy is None else f'{accuracy:.3f}'} | {lab.get('finished', '—')} |"
        )
    total = sum(lab.get("seconds", 0) for lab in labs.values())
    peak = max((lab.get("peak_rss_mb", 0) for lab in labs.values()), default=None)
    rows.append(f"| **total** | **{total:.0f}** | | | |")
    summary = {
        "labs": labs,
        "total_seconds": total,
        "max_peak_mib": peak,
        "time_ok": None if missing or not labs else total <= COURSE_SECONDS_TARGET,
        "memory_ok": peak <= LAB_MEMORY_TARGET_MIB if labs else None,
    }
    return rows, summary


def params_note(course_params: int | None, lab_params: int | None) -> str:
    """The race's model size against the one Lab 3's own code builds (``count_params()``)."""
    if course_params is None:
        return "no course run"
    if lab_params is None:
        return f"{course_params:,} parameters (no count of Lab 3's own model to compare with)"
    if lab_params == course_params:
        return f"{course_params:,} parameters, as Lab 3's own model"
    return (
        f"{course_params:,} parameters — **Lab 3's own model has {lab_params:,}: "
        "update bench/course.py**"
    )


def not_reached(pipeline: str) -> str:
    """Why a run has no time to a threshold: the classic hit its cap, the course ran its epochs."""
    return "not reached within its cap" if pipeline == "classic" else "not reached in its epochs"


def time_cell(runs: list[dict], pipeline: str, threshold: float) -> str:
    """Seconds to a threshold over one pipeline's runs, and how many runs never got there."""
    times = [time_to(r["curve"], threshold) for r in runs if r["pipeline"] == pipeline]
    missed = sum(t is None for t in times)
    if missed == len(times):
        return not_reached(pipeline)
    note = f"; {missed} of {len(times)} runs {not_reached(pipeline)}" if missed else ""
    return spread(times, 0) + note


def epoch_seconds(run: dict) -> list[float]:
    """Wall seconds of each epoch of a run (training and validation), from its clock readings."""
    ends = [run["ready_seconds"]] + [p["seconds"] for p in run["curve"]]
    return [b - a for a, b in zip(ends, ends[1:], strict=False)]


def markdown(results: dict, course_table: list[str], course: dict) -> str:
    """RESULTS.md: headline, the race, the whole course, the machine, the method."""
    race, run, machine = results["race"], results["run"], results["machine"]
    thresholds, runs, recipe = results["settings"]["thresholds"], race["runs"], race["recipe"]
    lines = ["# cnn-labs benchmark: the course against the classic tutorial", ""]
    if run["quick"]:
        lines += [
            "> **QUICK RUN** (`--quick`): tiny subsets and caps to check the code path;",
            "> not results. Run `make bench` for those.",
            "",
        ]
    lines += [
        f"Finished {run['finished']} after {run['seconds']:.0f} s (`{run['command']}`).",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
    ]
    for threshold in thresholds:
        found = ratios(runs, threshold)
        lines.append(
            f"| time to {threshold:.0%} validation accuracy, classic ÷ course "
            f"| {ratio_text(found)} | ≥ {RATIO_TARGET:g}× | {verdict(ratio_met(found))} |"
        )
    if course["labs"]:
        lines += [
            f"| whole course ({len(course['labs'])} labs), wall seconds "
            f"| {course['total_seconds']:.0f} s | ≤ {COURSE_SECONDS_TARGET} s "
            f"| {verdict(course['time_ok'])} |",
            f"| largest peak memory of a lab | {course['max_peak_mib']:.0f} MiB "
            f"| ≤ {LAB_MEMORY_TARGET_MIB} MiB | {verdict(course['memory_ok'])} |",
        ]
    course_params = next((r.get("params") for r in runs if r["pipeline"] == "course"), None)
    settings = results["settings"]
    lab = race.get("lab", "Lab 3")
    lines += [
        "",
        "## Time to accuracy, cats vs dogs",
        "",
        f"{settings['repeats']} repetition(s), {race['train_images']:,} training and "
        f"{race['validation_images']:,} validation photos, seed {recipe['seed']}. Classic: "
        f"{CLASSIC_IMAGE_SIZE} px, batch {CLASSIC_BATCH_SIZE}, RMSprop(1e-4), float32, at most "
        f"{settings['classic_cap_epochs']} epochs or {settings['classic_cap_seconds']:.0f} s. "
        f"Course (Lab 3's modern convnet, `{lab}`): {recipe['image_size']} px, "
        f"batch {recipe['batch_size']}, augmentation at strength "
        f"{recipe['augmentation_strength']:g}, batch-norm momentum {recipe['bn_momentum']:g}, "
        f"Adam({recipe['learning_rate']:g}) with {recipe['warmup_epochs']} warm-up epochs and "
        f"cosine decay over {recipe['epochs']} epochs, {race['precision']}, "
        f"{params_note(course_params, race.get('lab_params'))}. "
        "Seconds from the start of data preparation to the end of the first epoch reaching the "
        "threshold; median (min–max).",
        "",
        "| threshold | classic: seconds | course: seconds | classic ÷ course |",
        "|---|---|---|---|",
    ]
    for threshold in thresholds:
        classic, ours = (time_cell(runs, pipeline, threshold) for pipeline in ("classic", "course"))
        found = ratio_text(ratios(runs, threshold))
        lines.append(f"| {threshold:.0%} | {classic} | {ours} | {found} |")
    lines += [
        "",
        f"Seconds per epoch (training and validation) show each model's speed at its own input: "
        f"classic {CLASSIC_IMAGE_SIZE} px in float32, course {recipe['image_size']} px in "
        f"{race['precision']}.",
        "",
        "| run | data and model ready, s | epochs | seconds per epoch "
        "| best validation accuracy | stopped by |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for run in runs:
        best = max(p["val_accuracy"] for p in run["curve"])
        lines.append(
            f"| {run['pipeline']} {run['repetition']} | {run['ready_seconds']:.1f} "
            f"| {len(run['curve'])} | {spread(epoch_seconds(run), 1)} | {best:.3f} "
            f"| {run['stopped_by']} |"
        )
    lines += ["", "![validation accuracy against wall time, every run](time_to_accuracy.png)", ""]
    lines += ["## The whole course (from the last `make solutions`)", "", *course_table, ""]
    lines += [
        "## Machine",
        "",
        f"{machine['processor']} ({machine.get('cpu_kind', 'CPU kind not recorded')}), "
        f"{machine['usable_cpus']} usable CPUs "
        f"({machine['cpu_count']} in the machine), {machine['platform']}; Python "
        f"{machine['python']}, TensorFlow {machine['tensorflow']}, Keras {machine['keras']}. "
        f"Load average (1, 5, 15 min) at the start {machine['load_at_start']}, at the end "
        f"{machine['load_at_end']}: a busy machine makes every figure pessimistic.",
        "",
        METHOD,
    ]
    return "\n".join(lines)


def draw_figure(race: dict, thresholds):
    """Validation accuracy against wall seconds, one thin line per run; thresholds dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"classic": "tab:red", "course": "tab:blue"}
    labels = {
        "classic": "classic (JPEG decode every epoch, float32, RMSprop, 150 px)",
        "course": f"course, Lab 3's modern convnet (decoded once, augmented, "
        f"{race['precision']}, Adam + cosine, {race['recipe']['image_size']} px)",
    }
    fig, ax = plt.subplots(figsize=(9, 5.2), dpi=120, layout="constrained")
    for run in race["runs"]:
        kind = run["pipeline"]
        curve = run["curve"]
        ax.plot(
            [p["seconds"] for p in curve],
            [p["val_accuracy"] for p in curve],
            color=colours[kind],
            marker="o",
            markersize=2.5,
            linewidth=0.9,
            label=labels.pop(kind, None),
        )
    for threshold in thresholds:
        ax.axhline(threshold, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlim(left=0)
    ax.set_xlabel("wall seconds since the start of data preparation (validation included)")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Cats vs dogs: validation accuracy against wall time, every run")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=8)  # below the axes: it covers no point
    return fig


def figure(race: dict, thresholds, path: Path) -> Path:
    """Save ``draw_figure`` to ``path``."""
    import matplotlib.pyplot as plt

    fig = draw_figure(race, thresholds)
    fig.savefig(path)
    plt.close(fig)
    return path


def write(results: dict, out: Path, results_json: Path = h.REPO / "solutions" / "results.json"):
    """Write results.json, RESULTS.md and time_to_accuracy.png into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    course_table, course = course_rows(results_json)
    results["course"] = {k: v for k, v in course.items() if k != "labs"}
    paths = [out / "results.json", out / "RESULTS.md", out / "time_to_accuracy.png"]
    paths[0].write_text(json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    paths[1].write_text(markdown(results, course_table, course))
    figure(results["race"], results["settings"]["thresholds"], paths[2])
    return paths
