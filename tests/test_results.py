"""A lab's headline metrics reach the file `make solutions` collects, and only then."""

import json

from helpers.results import RESULTS_ENV, load_results, record_results


def test_record_results_writes_metrics_and_peak_memory_when_asked(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    monkeypatch.setenv(RESULTS_ENV, str(target))
    record_results(test_accuracy=0.912345678)
    record_results(sensitivity=0.97)
    written = json.loads(target.read_text())
    assert written["test_accuracy"] == 0.9123
    assert written["sensitivity"] == 0.97
    assert written["peak_rss_mb"] > 10


def test_record_results_writes_nothing_outside_a_course_run(tmp_path, monkeypatch):
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    metrics = record_results(test_accuracy=0.5)
    assert metrics["test_accuracy"] == 0.5
    assert list(tmp_path.iterdir()) == []


def test_load_results_reads_the_labs_section(tmp_path):
    path = tmp_path / "results.json"
    assert load_results(path) == {}
    path.write_text(json.dumps({"labs": {"02_x": {"test_accuracy": 0.8}}, "machine": {}}))
    assert load_results(path) == {"02_x": {"test_accuracy": 0.8}}
