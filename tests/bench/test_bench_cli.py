"""``python -m bench`` options: presets and overrides."""

from bench.__main__ import parse_args
from bench.settings import FULL, PARTS, QUICK


def test_the_full_preset_is_the_documented_benchmark():
    settings = parse_args([])
    assert settings == FULL and not settings.quick and settings.out_dir.name == "bench"
    assert settings.repeats == 2 and settings.thresholds == (0.70, 0.75)
    assert settings.classic_cap_epochs == 25 and settings.classic_cap_seconds == 360
    assert settings.train_subset is None and settings.parts == PARTS


def test_quick_is_tiny_and_never_overwrites_the_real_results():
    settings = parse_args(["--quick"])
    assert settings == QUICK and settings.repeats == 1 and settings.train_subset == 200
    assert settings.out_dir.parts[-2:] == ("build", "bench-quick")


def test_overrides_apply_on_top_of_a_preset(tmp_path):
    settings = parse_args(
        [
            "--quick",
            "--parts",
            "course",
            "pipeline",
            "--out",
            str(tmp_path),
            "--thresholds",
            "0.8",
            "0.6",
        ]
    )
    assert settings.parts == ("pipeline", "course")  # always in the benchmark's order
    assert settings.out_dir == tmp_path and settings.thresholds == (0.6, 0.8)
    assert settings.train_subset == 200
    assert parse_args(["--repeats", "3", "--classic-cap-seconds", "100"]).classic_cap_seconds == 100
