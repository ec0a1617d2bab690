"""Analysing the runs and writing results.json, RESULTS.md and the figure."""

import json
import math
from pathlib import Path

import pytest

from bench.accuracy import analyse
from bench.figure import plot_time_to_accuracy
from bench.report import decoding_share, render_markdown, write_results
from bench.stats import spread


def curve(*points):
    """Curve points (seconds, val_accuracy), one per epoch."""
    return [
        {
            "epoch": i + 1,
            "seconds": s,
            "epoch_seconds": 10.0,
            "val_accuracy": a,
            "accuracy": a,
            "loss": 0.5,
        }
        for i, (s, a) in enumerate(points)
    ]


def run(pipeline, repetition, points, stopped_by="threshold"):
    return {
        "pipeline": pipeline,
        "repetition": repetition,
        "prep_seconds": 1.0,
        "curve": curve(*points),
        "stopped_by": stopped_by,
        "train_images": 2000,
        "validation_images": 500,
        **({"same_images_as_classic": True} if pipeline == "course" else {}),
    }


RUNS = [
    run("classic", 1, [(100, 0.6), (200, 0.71), (300, 0.74), (400, 0.745)], "time cap"),
    run("course", 1, [(20, 0.65), (40, 0.72), (60, 0.76)]),
    run("classic", 2, [(110, 0.6), (220, 0.70), (330, 0.76)]),
    run("course", 2, [(20, 0.66), (44, 0.70), (66, 0.75)]),
]


def test_analysis_pairs_repetitions_and_bounds_censored_ratios():
    result = analyse(RUNS, (0.70, 0.75))
    at70 = result["thresholds"]["0.70"]
    assert at70["classic"]["seconds"]["values"] == [200.0, 220.0]
    assert at70["course"]["seconds"]["values"] == [40.0, 44.0]
    assert at70["ratio"]["values"] == [5.0, 5.0] and at70["ratio"]["bound"] == "exact"
    at75 = result["thresholds"]["0.75"]
    assert at75["classic"]["reached"] == [False, True]
    # rep 1: classic never reached 75 % in its 400 s → ratio ≥ 400/60; rep 2: 330/66 = 5
    assert at75["ratio"]["values"] == pytest.approx([400 / 60, 5.0])
    assert at75["ratio"]["bound"] == "lower"
    classic = result["pipelines"]["classic"]
    assert classic["epochs_run"] == [4, 3] and classic["stopped_by"] == ["time cap", "threshold"]
    assert classic["best_val_accuracy"]["max"] == 0.76


def results(quick=False):
    accuracy = analyse(RUNS, (0.70, 0.75))
    accuracy["settings"] = {
        "repeats": 2,
        "order": "classic, course, …",
        "thresholds": [0.70, 0.75],
        "seed": 42,
        "classic": {
            "image_size": 150,
            "batch_size": 20,
            "optimizer": "RMSprop(1e-4)",
            "precision": "float32",
            "cap_epochs": 25,
            "cap_seconds": 360.0,
        },
        "course": {
            "image_size": 128,
            "batch_size": 32,
            "optimizer": "Adam(0.0005) with cosine decay over 12 epochs",
            "precision": "mixed_bfloat16",
            "cap_epochs": 12,
            "params": 2_601_153,
            "params_in_lab2_summary": 2_601_153,
        },
    }
    flops = {"forward": 0.327e9, "training": 0.982e9, "macs": 1, "layers": [], "uncounted": []}
    model = {
        "image_size": 128,
        "batch_size": 32,
        "flops": flops,
        "float32": {
            "images_per_second": spread([100.0, 110.0]),
            "gflops": spread([98.2, 108.0]),
            "fraction_of_float32_peak": spread([0.29, 0.33]),
        },
        "mixed_bfloat16": {
            "images_per_second": spread([400.0, 420.0]),
            "gflops": spread([393.0, 412.0]),
            "fraction_of_float32_peak": spread([1.18, 1.24]),
        },
        "mixed_speedup": spread([4.0, 3.8]),
    }
    pipelines = {
        name: {
            "description": name,
            "images_per_second": spread([rate]),
            "seconds_per_epoch": spread([2000 / rate]),
        }
        for name, rate in (
            ("decode_each_epoch_classic", 1250.0),
            ("decode_each_epoch_course_size", 1500.0),
            ("course_decode_once", 1100.0),
            ("in_memory", 20000.0),
            ("in_memory_augmented", 900.0),
        )
    }
    return {
        "run": {"quick": quick, "finished": "2026-01-01T00:00:00+00:00", "seconds": 900.0},
        "machine": {
            "cpu": {
                "model": "Test CPU",
                "physical_cores": 2,
                "logical_cpus": 2,
                "flags": ["avx512f"],
            },
            "peak": {"cores": 2, "ghz": 2.6, "flops_per_cycle": 64, "peak_flops": 332.8e9},
            "python": "3.11.7",
            "tensorflow": "2.21.0",
            "keras": "3.15.1",
            "load_average_at_start": [0.1, 0.2, 0.3],
            "unmeasurable": float("nan"),
        },
        "accuracy": accuracy,
        "throughput": {
            "peak": {"peak_flops": 332.8e9},
            "training_factor": 3,
            "models": {"lab2": model, "lab3": model},
            "settings": {"rounds": 2, "warmup_steps": 5, "timed_steps": 40},
        },
        "course": {
            "source": "/x/solutions/results.json",
            "labs": [
                {
                    "lab": "01_mnist_convnet",
                    "missing": False,
                    "seconds": 65.0,
                    "peak_rss_mib": 1311.0,
                    "test_accuracy": 0.992,
                    "finished": "t",
                    "within_memory_target": True,
                },
                {"lab": "02_cats_dogs_baseline", "missing": True},
            ],
            "missing": ["02_cats_dogs_baseline"],
            "complete": False,
            "total_seconds": 65.0,
            "max_peak_rss_mib": 1311.0,
            "targets": {"total_seconds": 600, "peak_rss_mib": 3072},
            "total_within_target": None,
            "memory_within_target": True,
        },
        "pipeline": {
            "images": 2000,
            "image_size": 128,
            "batch_size": 32,
            "pipelines": pipelines,
            "settings": {"rounds": 1},
        },
        "path": Path("/tmp/x"),
    }


def test_the_markdown_has_every_part_the_machine_and_the_method():
    text = render_markdown(results())
    assert "QUICK RUN" not in text
    assert "| time to 70% validation accuracy, classic ÷ course | 5.0× | ≥ 5× | ✅ met |" in text
    assert (
        "| time to 75% validation accuracy, classic ÷ course | ≥ 5.8× (5.0–6.7) | ≥ 5× | ✅ met |"
        in text
    )
    assert "| 75% | 330 — reached in 1/2 runs | 3 |" in text
    assert "| Lab 2 training, mixed bfloat16 ÷ float32 | 3.90× (3.80–4.00) |" in text
    assert "| 02_cats_dogs_baseline | missing |" in text
    assert "65 (without 02_cats_dogs_baseline)" in text
    assert "| Lab 2 | 128 px, batch 32 | 0.327 | 0.982 | float32 | 105 (100–110) |" in text
    assert "| 31 % (29–33) |" in text
    assert "Test CPU" in text and "332.8 GFLOP/s" in text
    assert "A classic epoch decodes 2500 JPEGs again: ≈ 2.0 s" in text
    assert "Checked: the course loader's train and validation files are the classic's." in text
    assert "| 1 | classic (rep 1) | 200 (2) | not reached | 0.745 | 4 |" in text
    assert "2,601,153 parameters (the same as Lab 2's stored model summary)" in text
    assert "How it is measured" in text
    assert "QUICK RUN" in render_markdown(results(quick=True))


def test_the_decoding_share_of_a_classic_epoch():
    share = decoding_share(results())
    assert share["images"] == 2500 and share["decode_seconds"] == pytest.approx(2.0)
    assert share["share"] == pytest.approx(0.2)  # of the 10 s median epoch
    assert decoding_share({"accuracy": None}) is None


def test_results_are_written_as_strict_json_and_markdown(tmp_path):
    written = write_results(results(), tmp_path / "out")
    data = json.loads(written["json"].read_text(), parse_constant=lambda name: pytest.fail(name))
    assert data["machine"]["unmeasurable"] is None and data["path"] == "/tmp/x"
    assert data["accuracy"]["thresholds"]["0.70"]["ratio"]["median"] == 5.0
    assert written["markdown"].read_text().startswith("# cnn-labs benchmark")
    assert not any(isinstance(v, float) and math.isnan(v) for v in data["machine"].values())


def test_the_figure_is_a_png(tmp_path):
    path = plot_time_to_accuracy(results()["accuracy"], tmp_path / "fig.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
