"""A lab run's metrics are kept for later labs, and reach the file `make solutions` collects."""

import json

import numpy as np
import pytest

from helpers.config import BUILD_ENV
from helpers.results import RESULTS_ENV, load_results, record_results, results_file


@pytest.fixture(autouse=True)
def own_build_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(BUILD_ENV, str(tmp_path / "build"))
    monkeypatch.delenv(RESULTS_ENV, raising=False)


def test_a_recorded_run_can_be_loaded_back_by_a_later_lab(tmp_path):
    assert load_results("02_x") is None
    metrics = record_results(
        "02_x",
        test_accuracy=np.float32(0.912345678),
        epochs=12,
        settings={"IMAGE_SIZE": 96},
        history={"val_loss": [np.float64(0.7), 0.51234567]},
    )
    assert metrics["test_accuracy"] == 0.9123 and metrics["epochs"] == 12
    assert metrics["peak_rss_mb"] > 10
    run = load_results("02_x")
    assert run["metrics"] == metrics
    assert run["settings"] == {"IMAGE_SIZE": 96}
    assert run["history"] == {"val_loss": [0.7, 0.5123]}
    assert results_file("02_x") == tmp_path / "build" / "results" / "02_x.json"


def test_the_last_run_wins(tmp_path):
    record_results("03_x", test_accuracy=0.5)
    record_results("03_x", test_accuracy=0.75)
    assert load_results("03_x")["metrics"]["test_accuracy"] == 0.75


def test_a_half_written_record_counts_as_no_run(tmp_path):
    record_results("04_x", test_accuracy=0.5)
    results_file("04_x").write_text('{"lab": "04_x", "metr')
    assert load_results("04_x") is None


def test_during_make_solutions_the_metrics_also_reach_the_collected_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    monkeypatch.setenv(RESULTS_ENV, str(target))
    record_results("01_x", test_accuracy=0.912345678, history={"loss": [1.0]})
    record_results("01_x", sensitivity=0.97)
    written = json.loads(target.read_text())
    assert written["test_accuracy"] == 0.9123
    assert written["sensitivity"] == 0.97
    assert written["peak_rss_mb"] > 10
    assert "history" not in written


def test_outside_make_solutions_only_the_run_record_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    record_results("01_x", test_accuracy=0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_run_records_every_policy_it_computed_in(monkeypatch):
    from helpers import results

    monkeypatch.setattr(results, "_policies", [])
    assert record_results("05_x", test_accuracy=0.5)["compute_policies"] == ["float32"]
    for policy in ("mixed_bfloat16", "float32", "mixed_bfloat16"):
        results.note_policy(policy)
    assert record_results("05_x", test_accuracy=0.5)["compute_policies"] == [
        "mixed_bfloat16",
        "float32",
    ]


def test_use_mixed_precision_notes_the_policy_it_sets(monkeypatch):
    from helpers import results, training

    monkeypatch.setattr(results, "_policies", [])
    monkeypatch.setenv("CNN_LABS_PRECISION", "mixed_bfloat16")
    try:
        assert training.use_mixed_precision(verbose=False) == "mixed_bfloat16"
        training.use_mixed_precision(False, verbose=False)
    finally:
        training.keras.mixed_precision.set_global_policy("float32")
    assert results._policies == ["mixed_bfloat16", "float32"]
