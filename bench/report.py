"""Writing the results: ``results.json`` (everything measured) and ``RESULTS.md`` (the tables)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.stats import format_estimate, format_spread, outcome

__all__ = ["render_markdown", "to_jsonable", "write_results"]

RATIO_TARGET = 5.0

METHOD = """\
## How it is measured, and the choices made for honesty

* **Same images, same seed, same process.** Both pipelines train on the 2,000 images of
  `train/` and validate on the course's validation split (first half per class of the shipped
  `validation/` folder, 500 images); the benchmark checks that the course loader's file lists are
  exactly the classic pipeline's. Every run starts from a fresh Keras session seeded with the
  lab's `SEED`.
* **Alternating runs.** Classic and course runs alternate (classic, course, classic, course…);
  ratios pair the runs of one repetition and are summarised by their median with min–max.
  Throughput configurations and input pipelines alternate the same way.
* **Honest clocks.** A run's clock starts before its data preparation (listing the folders, or
  decoding every image with the course loader — test split included, as Lab 2 does) and is read
  at the end of each epoch, after the validation pass. Model building, compiling and tracing are
  inside the clock for both. Before the first timed run, both models train two steps on random
  data so that TensorFlow's one-time start-up is charged to neither.
* **The classic pipeline is a faithful rebuild, not a straw man.** Keras 2's
  `ImageDataGenerator(rescale=1/255).flow_from_directory(target_size=(150, 150), batch_size=20,
  class_mode="binary")` becomes `tf.data` from file paths: `tf.io.read_file` → `decode_jpeg` →
  `tf.image.resize` to 150×150 (bilinear) → ×1/255, float32, reshuffled every epoch, no cache.
  The model is the tutorial's (Conv 32-64-128-128 + MaxPool, Flatten, Dense 512, sigmoid),
  float32, `RMSprop(1e-4)`, binary cross-entropy. Where Keras 3 is faster than Keras 2 we keep
  the speed: the decoding runs in parallel on all cores and the next batches are prefetched
  while the model trains — both help the classic pipeline only.
* **The course pipeline is Lab 2 as students run it.** Its recipe (image size, batch size,
  epochs, learning rate, seed) is read from the `parameters` cell of
  `solutions/02_cats_dogs_baseline.ipynb` (Lab 3's from `03_data_augmentation.ipynb`); the model
  is the same convnet with `Rescaling(1/255)`, mixed bfloat16 where the CPU has native bfloat16
  (as `helpers.use_mixed_precision` decides) and a float32 output layer, Adam with cosine decay.
* **Caps and censoring.** The course runs its own schedule (the lab's `EPOCHS`); the classic runs
  until its epoch or time cap (checked at epoch ends). Both stop once the highest threshold is
  reached, since later epochs cannot change the times. A threshold not reached is reported as
  not reached, and a ratio built from it as a bound: "≥ r" when the classic missed it (it would
  have needed longer than its whole run).
* **FLOPs.** Counted from the layers: 2 FLOPs per multiply-add of `Conv*` and `Dense` layers
  (biases, activations, pooling and augmentation left out, < 1 %), training = 3 × forward. The
  float32 peak is physical cores × nominal clock × 64 FLOPs/cycle (two AVX-512 FMA units). The
  bfloat16 (AMX) peak is much higher, so the mixed-precision fraction is of the *float32* peak.
* **The whole course** is not re-run by the benchmark: it reads the seconds and peak memory of
  each lab from the last `make solutions` (`solutions/results.json`); a lab missing there is
  listed as missing, never guessed.
"""


def to_jsonable(value):
    """Plain JSON types: Paths as strings, NaN/inf as None, tuples as lists, numpy as Python."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _verdict(ok) -> str:
    return {True: "✅ met", False: "❌ not met"}.get(ok, "—")


def _ratio_ok(summary: dict):
    """True/False when the ratio's median is (certainly) ≥ or < the target, else None."""
    median, bound = summary.get("median"), summary.get("bound")
    if median is None or bound == "unknown":
        return None
    if median >= RATIO_TARGET and bound in ("exact", "lower"):
        return True
    if median < RATIO_TARGET and bound in ("exact", "upper"):
        return False
    return None


def _scaled(summary: dict, factor: float) -> dict:
    """A spread summary with its median, min and max multiplied by ``factor`` (e.g. 100 for %)."""
    keys = ("median", "min", "max")
    return {k: (v * factor if k in keys and v is not None else v) for k, v in summary.items()}


def machine_section(machine: dict) -> list[str]:
    cpu = machine.get("cpu", {})
    peak = machine.get("peak", {})
    peak_text = "unknown"
    if peak.get("peak_flops"):
        peak_text = (
            f"{peak['cores']} cores × {peak['ghz']:.2f} GHz × {peak['flops_per_cycle']} FLOP/cycle"
            f" = {peak['peak_flops'] / 1e9:.1f} GFLOP/s"
        )
    load = machine.get("load_average_at_start")
    load_end = machine.get("load_average_at_end")
    return [
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {cpu.get('model', '?')} — {cpu.get('physical_cores', '?')} physical cores, "
        f"{cpu.get('logical_cpus', '?')} logical CPUs; flags: {', '.join(cpu.get('flags', []))} |",
        f"| float32 peak | {peak_text} |",
        f"| memory | {machine.get('memory_gib', '?')} GiB |",
        f"| software | Python {machine.get('python')}, TensorFlow {machine.get('tensorflow')}, "
        f"Keras {machine.get('keras')}, NumPy {machine.get('numpy')}, "
        f"Pillow {machine.get('pillow')} |",
        f"| platform | {machine.get('platform')} |",
        f"| load average (1, 5, 15 min) | at start {load}; at end {load_end} |",
        "",
    ]


def headline_section(results: dict) -> list[str]:
    rows = ["## Headline", "", "| measure | result | target | |", "|---|---|---|---|"]
    accuracy = results.get("accuracy")
    if accuracy:
        for threshold, entry in accuracy["thresholds"].items():
            ratio = entry["ratio"]
            rows.append(
                f"| time to {float(threshold):.0%} validation accuracy, classic ÷ course "
                f"| {format_estimate(ratio)} | ≥ {RATIO_TARGET:g}× | {_verdict(_ratio_ok(ratio))} |"
            )
    throughput = results.get("throughput")
    if throughput:
        for lab, entry in throughput["models"].items():
            rows.append(
                f"| {lab.replace('lab', 'Lab ')} training, mixed bfloat16 ÷ float32 "
                f"| {format_spread(entry['mixed_speedup'], 2, '×')} | | |"
            )
    course = results.get("course")
    if course:
        note = "" if course["complete"] else f" ({len(course['missing'])} lab(s) missing)"
        rows.append(
            f"| whole course, wall seconds | {course['total_seconds']:.0f} s{note} "
            f"| ≤ {course['targets']['total_seconds']} s "
            f"| {_verdict(course['total_within_target'])} |"
        )
        peak = course["max_peak_rss_mib"]
        rows.append(
            f"| largest peak memory of a lab | {'—' if peak is None else f'{peak:.0f} MiB'} "
            f"| ≤ {course['targets']['peak_rss_mib']} MiB "
            f"| {_verdict(course['memory_within_target'])} |"
        )
    return rows + [""]


def accuracy_section(accuracy: dict, figure: str) -> list[str]:
    settings = accuracy["settings"]
    classic, course = settings["classic"], settings["course"]
    lines = [
        "## 1. Time to accuracy, cats vs dogs",
        "",
        f"{settings['repeats']} repetition(s) of each pipeline, alternating ({settings['order']}), "
        f"seed {settings['seed']}. Classic: {classic['image_size']} px, batch "
        f"{classic['batch_size']}, {classic['optimizer']}, {classic['precision']}, capped at "
        f"{classic['cap_epochs']} epochs or {classic['cap_seconds']:.0f} s (checked at the end of "
        "each epoch). Course (Lab 2): "
        f"{course['image_size']} px, batch {course['batch_size']}, {course['optimizer']}, "
        f"{course['precision']}, at most {course['cap_epochs']} epochs, "
        f"{params_note(course)}. Seconds are wall time from "
        "the start of data preparation to the end of the epoch (validation included) that first "
        "reaches the threshold; median (min–max). " + same_images_note(accuracy["runs"]),
        "",
        "| threshold | classic: seconds | classic: epochs | course: seconds | course: epochs "
        "| classic ÷ course |",
        "|---|---|---|---|---|---|",
    ]
    for threshold, entry in accuracy["thresholds"].items():
        cells = []
        for pipeline in ("classic", "course"):
            part = entry[pipeline]
            reached, runs = sum(part["reached"]), len(part["reached"])
            if reached == 0:
                longest = max(part["run_seconds"], default=0)
                cells.append(f"not reached (0/{runs} runs; longest run {longest:.0f} s)")
            else:
                note = "" if reached == runs else f" — reached in {reached}/{runs} runs"
                cells.append(format_spread(part["seconds"], 0) + note)
            cells.append(format_spread(part["epochs"], 0))
        lines.append(
            f"| {float(threshold):.0%} | {' | '.join(cells)} | {format_estimate(entry['ratio'])} |"
        )
    lines += [
        "",
        "| pipeline | data + model preparation, s | seconds per epoch | best validation accuracy "
        "| epochs run | stopped by |",
        "|---|---|---|---|---|---|",
    ]
    for pipeline, part in accuracy["pipelines"].items():
        lines.append(
            f"| {pipeline} | {format_spread(part['prep_seconds'], 1)} "
            f"| {format_spread(part['epoch_seconds'], 1)} "
            f"| {format_spread(part['best_val_accuracy'], 3)} "
            f"| {', '.join(map(str, part['epochs_run']))} | {'; '.join(part['stopped_by'])} |"
        )
    lines += ["", *runs_table(accuracy)]
    lines += ["", f"![validation accuracy against wall time, every run]({figure})", ""]
    return lines


def params_note(course: dict) -> str:
    """The course model's parameter count, checked against Lab 2's stored ``model.summary()``."""
    params, stored = course.get("params"), course.get("params_in_lab2_summary")
    if params is None:
        return "parameters not recorded"
    if stored is None:
        return f"{params:,} parameters (no stored Lab 2 summary to check against)"
    if stored == params:
        return f"{params:,} parameters (the same as Lab 2's stored model summary)"
    return f"{params:,} parameters (**Lab 2's stored summary says {stored:,}: the models differ**)"


def same_images_note(runs: list[dict]) -> str:
    """Whether the course runs trained and validated on exactly the classic pipeline's files."""
    checks = [r["same_images_as_classic"] for r in runs if "same_images_as_classic" in r]
    if not checks:
        return ""
    if all(checks):
        return "Checked: the course loader's train and validation files are the classic's."
    return "**WARNING: the course loader's files differ from the classic's; the ratio is invalid.**"


def runs_table(accuracy: dict) -> list[str]:
    """One row per run, in the order they ran: seconds (epochs) to each threshold."""
    thresholds = [float(t) for t in accuracy["thresholds"]]
    head = " | ".join(f"to {t:.0%}: s (epochs)" for t in thresholds)
    lines = [
        f"| run | pipeline | {head} | best validation accuracy | epochs run |",
        "|---|---|" + "---|" * len(thresholds) + "---|---|",
    ]
    for number, run in enumerate(accuracy["runs"], start=1):
        cells = []
        for threshold in thresholds:
            found = outcome(run["curve"], threshold)
            cells.append(
                f"{found.seconds:.0f} ({found.epochs})" if found.reached else "not reached"
            )
        best = max(p["val_accuracy"] for p in run["curve"])
        lines.append(
            f"| {number} | {run['pipeline']} (rep {run['repetition']}) | {' | '.join(cells)} "
            f"| {best:.3f} | {len(run['curve'])} |"
        )
    return lines


def throughput_section(throughput: dict) -> list[str]:
    peak = throughput["peak"]
    peak_text = f"{peak['peak_flops'] / 1e9:.0f} GFLOP/s" if peak.get("peak_flops") else "unknown"
    settings = throughput["settings"]
    lines = [
        "## 2. Training throughput against the float32 peak",
        "",
        f"Training steps on the in-memory training images (Lab 3: with its augmentation in the "
        f"pipeline), {settings['warmup_steps']} warm-up steps discarded, {settings['timed_steps']}"
        f" timed; {settings['rounds']} alternating round(s), median (min–max). FLOPs: 2 per "
        f"multiply-add of the Conv2D and Dense layers, training = {throughput['training_factor']}"
        f" × forward. float32 peak {peak_text}.",
        "",
        "| model | input | forward GFLOP/image | training GFLOP/image | precision | images/s "
        "| achieved GFLOP/s | of float32 peak | mixed ÷ float32 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lab, entry in throughput["models"].items():
        flops = entry["flops"]
        for policy in ("float32", "mixed_bfloat16"):
            measured = entry[policy]
            fraction = measured["fraction_of_float32_peak"]
            speedup = "" if policy == "float32" else format_spread(entry["mixed_speedup"], 2, "×")
            lines.append(
                f"| {lab.replace('lab', 'Lab ')} | {entry['image_size']} px, batch "
                f"{entry['batch_size']} | {flops['forward'] / 1e9:.3f} "
                f"| {flops['training'] / 1e9:.3f} | {policy} "
                f"| {format_spread(measured['images_per_second'], 0)} "
                f"| {format_spread(measured['gflops'], 0)} "
                f"| {format_spread(_scaled(fraction, 100), 0, ' %')} | {speedup} |"
            )
    return lines + [""]


def course_section(course: dict) -> list[str]:
    lines = [
        "## 3. The whole course (from the last `make solutions`)",
        "",
        f"Read from `{Path(course['source']).name}` — each lab's wall seconds (papermill run, "
        "kernel start included) and the peak resident memory of its kernel.",
        "",
        "| lab | seconds | peak memory, MiB | ≤ 3 GiB | test accuracy | finished |",
        "|---|---|---|---|---|---|",
    ]
    for row in course["labs"]:
        if row["missing"]:
            lines.append(f"| {row['lab']} | missing | missing | — | — | — |")
            continue
        accuracy = row.get("test_accuracy")
        lines.append(
            f"| {row['lab']} | {row['seconds']:.0f} | {row['peak_rss_mib']:.0f} "
            f"| {_verdict(row['within_memory_target'])} "
            f"| {'—' if accuracy is None else f'{accuracy:.3f}'} | {row.get('finished') or '—'} |"
        )
    total = f"{course['total_seconds']:.0f}"
    if not course["complete"]:
        total += f" (without {', '.join(course['missing'])})"
    lines.append(f"| **total** | **{total}** | | | | |")
    return lines + [""]


def decoding_share(results: dict) -> dict | None:
    """How much of a classic epoch its JPEG decoding costs, from Parts 1 and 4 (≈, CPU share).

    A classic epoch decodes its training and validation images again; at the decode-only rate of
    Part 4 that takes ``decode_seconds``; ``share`` is that over the median classic epoch. The
    decoding overlaps training (prefetch) but competes with it for the same cores.
    """
    accuracy, pipeline = results.get("accuracy"), results.get("pipeline")
    if not accuracy or not pipeline:
        return None
    classic_runs = [r for r in accuracy["runs"] if r["pipeline"] == "classic"]
    rate = pipeline["pipelines"]["decode_each_epoch_classic"]["images_per_second"]["median"]
    epoch = accuracy["pipelines"]["classic"]["epoch_seconds"]["median"]
    if not classic_runs or not rate or not epoch:
        return None
    images = classic_runs[0]["train_images"] + classic_runs[0]["validation_images"]
    decode = images / rate
    return {
        "images": images,
        "decode_seconds": decode,
        "epoch_seconds": epoch,
        "share": decode / epoch,
    }


def pipeline_section(pipeline: dict, share: dict | None = None) -> list[str]:
    lines = [
        "## 4. The input pipeline alone (no model)",
        "",
        f"One epoch of {pipeline['images']} training images, iterated without a model; "
        f"course size {pipeline['image_size']} px, batch {pipeline['batch_size']}; "
        f"{pipeline['settings']['rounds']} alternating round(s), median (min–max).",
        "",
        f"| pipeline | images/s | seconds per epoch of {pipeline['images']} images |",
        "|---|---|---|",
    ]
    for entry in pipeline["pipelines"].values():
        lines.append(
            f"| {entry['description']} | {format_spread(entry['images_per_second'], 0)} "
            f"| {format_spread(entry['seconds_per_epoch'], 2)} |"
        )
    if share:
        lines += [
            "",
            f"A classic epoch decodes {share['images']} JPEGs again: "
            f"≈ {share['decode_seconds']:.1f} s at the rate above, "
            f"≈ {100 * share['share']:.0f} % of its median epoch "
            f"({share['epoch_seconds']:.1f} s; decoding overlaps training but shares its cores). "
            "The rest of the gap is the model's arithmetic: see Part 2.",
        ]
    return lines + [""]


def render_markdown(results: dict, figure: str = "time_to_accuracy.png") -> str:
    """RESULTS.md from the results dict (any part may be absent)."""
    meta = results.get("run", {})
    lines = ["# cnn-labs benchmark: the course against the classic tutorial", ""]
    if meta.get("quick"):
        lines += [
            "> **QUICK RUN** (`python -m bench --quick`): tiny subsets and caps, for developing",
            "> the benchmark only. These are not results; run `make bench` for them.",
            "",
        ]
    lines += [
        f"Run finished {meta.get('finished', '?')}, took {meta.get('seconds', 0):.0f} s "
        f"(`{meta.get('command', 'python -m bench')}`). Recipe: Lab 2 from "
        f"{meta.get('lab2_recipe_source', '?')}, Lab 3 from {meta.get('lab3_recipe_source', '?')}.",
        "",
    ]
    lines += headline_section(results)
    if results.get("accuracy"):
        lines += accuracy_section(results["accuracy"], figure)
    if results.get("throughput"):
        lines += throughput_section(results["throughput"])
    if results.get("course"):
        lines += course_section(results["course"])
    if results.get("pipeline"):
        lines += pipeline_section(results["pipeline"], decoding_share(results))
    if results.get("machine"):
        lines += machine_section(results["machine"])
    lines.append(METHOD)
    return "\n".join(lines)


def write_results(results: dict, out_dir: Path | str) -> dict[str, Path]:
    """Write ``results.json`` and ``RESULTS.md`` into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "results.json"
    md_path = out_dir / "RESULTS.md"
    json_path.write_text(json.dumps(to_jsonable(results), indent=2, sort_keys=True) + "\n")
    md_path.write_text(render_markdown(results))
    return {"json": json_path, "markdown": md_path}
