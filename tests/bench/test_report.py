"""RESULTS.md, results.json and the figure, from a made-up race and a made-up course."""

import json

from bench import report


def curve(*points):
    return [{"epoch": i + 1, "seconds": s, "val_accuracy": a} for i, (s, a) in enumerate(points)]


def run(pipeline, repetition, *points, **extra):
    return {
        "pipeline": pipeline,
        "repetition": repetition,
        "ready_seconds": 1.5,
        "curve": curve(*points),
        "stopped_by": "threshold",
        **extra,
    }


RUNS = [
    run("classic", 1, (60, 0.65), (120, 0.71), (180, 0.74)),
    run("course", 1, (10, 0.70), (20, 0.76), (30, 0.81), params=412_913),
    run("classic", 2, (60, 0.66), (110, 0.72), (240, 0.76)),
    run("course", 2, (12, 0.69), (22, 0.75), (35, 0.80), params=412_913),
]


def results(quick=False, lab_params=412_913, thresholds=(0.7, 0.75, 0.8)):
    return {
        "settings": {
            "repeats": 2,
            "thresholds": list(thresholds),
            "classic_cap_epochs": 25,
            "classic_cap_seconds": 360.0,
        },
        "machine": {
            "processor": "Test CPU",
            "cpu_kind": "AMX (fast bfloat16)",
            "usable_cpus": 2,
            "cpu_count": 4,
            "platform": "X",
            "python": "3.11",
            "tensorflow": "2.21",
            "keras": "3.15",
            "load_at_start": [0.1, 0.2, 0.3],
            "load_at_end": [1, 1, 1],
        },
        "race": {
            "recipe": {
                "image_size": 64,
                "batch_size": 16,
                "epochs": 30,
                "learning_rate": 1e-3,
                "warmup_epochs": 2,
                "augmentation_strength": 0.5,
                "bn_momentum": 0.9,
                "seed": 42,
            },
            "lab": "03_data_augmentation.ipynb",
            "lab_params": lab_params,
            "precision": "mixed_bfloat16",
            "train_images": 2000,
            "validation_images": 500,
            "runs": RUNS,
        },
        "run": {
            "quick": quick,
            "command": "python -m bench",
            "finished": "2026-01-01",
            "seconds": 9,
        },
    }


def course_file(tmp_path):
    labs = {
        "01_a": {"seconds": 100.0, "peak_rss_mb": 1000.0, "test_accuracy": 0.99},
        "02_cats_dogs_baseline": {"seconds": 250.0, "peak_rss_mb": 3500.0},
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"labs": labs}))
    return path


def test_the_headline_gives_median_ratios_with_bounds_and_the_course_targets(tmp_path):
    table, course = report.course_rows(course_file(tmp_path))
    text = report.markdown(results(), table, course)

    # 70 %: 120/10 = 12 and 110/22 = 5 -> median 8.5; 75 %: classic 1 never reached it
    # (whole run 180 s / 20 s = 9, a bound), classic 2: 240/22 = 10.9
    assert (
        "| time to 70% validation accuracy, classic ÷ course | 8.5× (5.0–12.0) | ≥ 5× | ✅" in text
    )
    assert (
        "| time to 75% validation accuracy, classic ÷ course | ≥ 10.0× (9.0–10.9) "
        "(classic: not reached within its cap in 1 of 2 runs) |" in text
    )
    assert "| whole course (2 labs), wall seconds | 350 s | ≤ 600 s | ✅ met |" in text
    assert "| largest peak memory of a lab | 3500 MiB | ≤ 3072 MiB | ❌ not met |" in text
    assert "| 75% | 240; 1 of 2 runs not reached within its cap | 21 (20–22) |" in text
    assert "412,913 parameters, as Lab 3's own model" in text
    assert "augmentation at strength 0.5, batch-norm momentum 0.9" in text
    assert "| 02_cats_dogs_baseline | 250 | 3500 | — |" in text and "QUICK" not in text
    assert "2 usable CPUs (4 in the machine)" in text and "physical" not in text


def test_a_threshold_the_classic_never_reached_says_so_and_gives_only_a_bound(tmp_path):
    table, course = report.course_rows(course_file(tmp_path))
    text = report.markdown(results(), table, course)
    # 80 %: no classic run got there; bounds 180/30 = 6.0 and 240/35 = 6.9, median 6.4
    bound = "≥ 6.4× (6.0–6.9) (classic: not reached within its cap)"
    assert f"| 80% | not reached within its cap | 32 (30–35) | {bound} |" in text
    assert f"| time to 80% validation accuracy, classic ÷ course | {bound} | ≥ 5× | ✅" in text


def test_a_threshold_the_course_never_reached_gets_no_ratio(tmp_path):
    table, course = report.course_rows(course_file(tmp_path))
    text = report.markdown(results(thresholds=(0.7, 0.9)), table, course)
    assert (
        "| 90% | not reached within its cap | not reached in its epochs "
        "| n/a (the course did not reach it) |" in text
    )
    assert "| time to 90% validation accuracy, classic ÷ course | n/a (the course did" in text


def test_the_machine_section_names_the_cpu_kind_every_timing_comes_from(tmp_path):
    text = report.markdown(results(), *report.course_rows(course_file(tmp_path)))
    assert "Test CPU (AMX (fast bfloat16)), 2 usable CPUs" in text
    older = results()
    del older["machine"]["cpu_kind"]
    assert "Test CPU (CPU kind not recorded)" in report.markdown(
        older, *report.course_rows(course_file(tmp_path))
    )


def test_every_run_shows_its_seconds_per_epoch_from_its_clock(tmp_path):
    table, course = report.course_rows(course_file(tmp_path))
    text = report.markdown(results(), table, course)
    # classic 1: ready at 1.5 s, epochs end at 60, 120, 180 s -> 58.5, 60, 60 s
    assert "| classic 1 | 1.5 | 3 | 60.0 (58.5–60.0) | 0.740 | threshold |" in text
    assert "| course 2 | 1.5 | 3 | 10.5 (10.0–13.0) | 0.800 | threshold |" in text
    assert "classic 150 px in float32, course 64 px in mixed_bfloat16" in text


def test_the_model_size_is_checked_against_lab_3s_own_model(tmp_path):
    table, course = report.course_rows(course_file(tmp_path))
    for lab_params, expected in (
        (999, "412,913 parameters — **Lab 3's own model has 999: update bench/course.py**"),
        (None, "412,913 parameters (no count of Lab 3's own model to compare with)"),
    ):
        assert expected in report.markdown(results(lab_params=lab_params), table, course)


def test_a_quick_run_says_it_is_not_a_result_and_a_missing_course_is_not_guessed(tmp_path):
    table, course = report.course_rows(tmp_path / "absent.json")
    text = report.markdown(results(quick=True), table, course)
    assert "**QUICK RUN**" in text and "| whole course" not in text


def test_labs_without_results_are_listed_as_missing_and_the_total_gets_no_verdict(tmp_path):
    (tmp_path / "03_c.ipynb").write_text("{}")
    table, course = report.course_rows(course_file(tmp_path))
    assert "| 03_c | missing: run `make solutions` | | | |" in table
    assert course["time_ok"] is None and course["total_seconds"] == 350


def test_write_produces_the_json_the_tables_and_the_figure(tmp_path):
    paths = report.write(results(), tmp_path / "out", course_file(tmp_path))
    assert [p.name for p in paths] == ["results.json", "RESULTS.md", "time_to_accuracy.png"]
    stored = json.loads(paths[0].read_text())
    assert stored["race"]["runs"] == RUNS and stored["course"]["total_seconds"] == 350
    assert paths[1].read_text().startswith("# cnn-labs benchmark")
    assert paths[2].read_bytes()[:4] == b"\x89PNG"


def test_the_figure_keeps_its_legend_off_the_curves(tmp_path):
    import matplotlib.pyplot as plt

    fig = report.draw_figure(results()["race"], (0.7, 0.75, 0.8))
    fig.canvas.draw()
    (ax,) = fig.axes
    legend = fig.legends[0].get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())
    assert [t.get_text() for t in fig.legends[0].get_texts()][0].startswith("classic")
    plt.close(fig)
