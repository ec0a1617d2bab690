"""tools.spread: the instructor's `make solutions` run is stored as one measured run."""

import json

import nbformat
import pytest

from helpers.machine import cpu_kind, cpu_model, speed_flags
from tools.spread import load, main, record_solution_run


@pytest.fixture
def lab(tmp_path):
    """A tiny solution with a parameters cell, and a results.json made on this machine."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("EPOCHS = 3\nTARGET_ACCURACY = 0.7\nSEED = 42")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(EPOCHS)")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src = solutions / "09_tiny.ipynb"
    nbformat.write(nb, src)
    results = {
        "labs": {
            "09_tiny": {
                "test_accuracy": 0.75,
                "peak_rss_mb": 100.0,
                "seconds": 12.5,
                "finished": "2026-12-03T12:00:00+00:00",
                "cpu_kind": cpu_kind(),
                "cpu_flags": speed_flags(),
            }
        },
        "machine": {"processor": cpu_model()},
    }
    (solutions / "results.json").write_text(json.dumps(results))
    return src


def stored_run(**changes) -> dict:
    """A run already in spreads.json (seed 1, float32, this CPU, the lab's recipe) with changes."""
    run = {
        "seed": 1,
        "precision": "float32",
        "settings": {"TARGET_ACCURACY": 0.0},
        "cpu": cpu_model(),
        "cpu_kind": cpu_kind(),
        "recipe": {"EPOCHS": 3},
        "ok": True,
        "metrics": {},
    }
    return run | changes


def test_the_solution_run_is_stored_with_its_seed_recipe_and_metrics(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LABS_PRECISION", "float32")
    out = tmp_path / "spreads.json"
    record_solution_run(lab, out)
    (run,) = load(out)["09_tiny"]["runs"]
    assert (run["seed"], run["precision"], run["cpu"]) == (42, "float32", cpu_model())
    assert (run["cpu_kind"], run["cpu_flags"]) == (cpu_kind(), speed_flags())
    assert run["recipe"] == {"EPOCHS": 3}  # no bar, no seed
    assert run["metrics"] == {"test_accuracy": 0.75, "peak_rss_mb": 100.0}
    assert run["seconds"] == 12.5 and run["ok"]


def test_recording_again_replaces_the_same_experiment_but_keeps_others(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LABS_PRECISION", "float32")
    out = tmp_path / "spreads.json"
    other = stored_run()
    same = stored_run(seed=42)
    out.write_text(json.dumps({"09_tiny": {"runs": [other, same]}}))
    main(["--from-solutions", lab.stem, "--solutions", str(lab.parent), "--out", str(out)])
    runs = load(out)["09_tiny"]["runs"]
    assert sorted(run["seed"] for run in runs) == [1, 42]
    assert [run.get("source") for run in runs if run["seed"] == 42] == ["make solutions"]


def test_a_run_made_on_another_kind_of_cpu_is_refused_by_name(lab, tmp_path):
    results_path = lab.parent / "results.json"
    results = json.loads(results_path.read_text())
    results["labs"]["09_tiny"]["cpu_kind"] = "Some Other Kind"
    results_path.write_text(json.dumps(results))
    with pytest.raises(SystemExit, match="Some Other Kind"):
        record_solution_run(lab, tmp_path / "spreads.json")
    assert not (tmp_path / "spreads.json").exists()


def test_an_older_result_without_a_kind_is_checked_by_the_processor_name(lab, tmp_path):
    results_path = lab.parent / "results.json"
    results = json.loads(results_path.read_text())
    del results["labs"]["09_tiny"]["cpu_kind"]
    record_solution_run(lab, tmp_path / "spreads.json")  # same processor: accepted
    results["machine"]["processor"] = "Some Other CPU"
    results_path.write_text(json.dumps(results))
    with pytest.raises(SystemExit, match="Some Other CPU"):
        record_solution_run(lab, tmp_path / "spreads2.json")


def test_runs_on_two_kinds_of_cpu_with_one_name_are_two_experiments(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LABS_PRECISION", "float32")
    out = tmp_path / "spreads.json"
    elsewhere = stored_run(seed=42, settings={}, cpu_kind="Some Other Kind")
    out.write_text(json.dumps({"09_tiny": {"runs": [elsewhere]}}))
    record_solution_run(lab, out)
    runs = load(out)["09_tiny"]["runs"]
    assert sorted(run["cpu_kind"] for run in runs) == sorted(["Some Other Kind", cpu_kind()])


def test_a_lab_without_a_run_says_to_run_it_first(lab, tmp_path):
    (lab.parent / "results.json").write_text(json.dumps({"labs": {}, "machine": {}}))
    with pytest.raises(SystemExit, match="make solutions"):
        record_solution_run(lab, tmp_path / "spreads.json")


def test_a_run_of_another_recipe_is_not_the_same_experiment(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LABS_PRECISION", "float32")
    out = tmp_path / "spreads.json"
    older = stored_run(seed=42, settings={}, recipe={"EPOCHS": 15}, metrics={"test_accuracy": 0.7})
    out.write_text(json.dumps({"09_tiny": {"runs": [older]}}))
    record_solution_run(lab, out)
    runs = load(out)["09_tiny"]["runs"]
    assert sorted(run["recipe"]["EPOCHS"] for run in runs) == [3, 15]
