"""Part 3: the whole course's seconds and memory, read from solutions/results.json."""

import json

from bench.course import course_summary


def write(tmp_path, labs):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"labs": labs, "machine": {"cpu_count": 2}}))
    return path


def lab(seconds, peak, accuracy=0.9):
    return {"seconds": seconds, "peak_rss_mb": peak, "test_accuracy": accuracy}


def test_totals_and_targets_of_a_complete_course(tmp_path):
    names = ("a", "b", "c")
    path = write(tmp_path, {"a": lab(100, 1000), "b": lab(200.5, 2900), "c": lab(150, 1200)})
    summary = course_summary(path, labs=names)
    assert summary["complete"] and summary["missing"] == []
    assert summary["total_seconds"] == 450.5 and summary["total_within_target"] is True
    assert summary["max_peak_rss_mib"] == 2900 and summary["memory_within_target"] is True
    assert [row["lab"] for row in summary["labs"]] == list(names)


def test_missing_labs_are_listed_and_never_guessed(tmp_path):
    path = write(tmp_path, {"a": lab(100, 3500), "extra": lab(10, 100)})
    summary = course_summary(path, labs=("a", "b"))
    assert summary["missing"] == ["b"] and not summary["complete"]
    assert [row["lab"] for row in summary["labs"]] == ["a", "b", "extra"]
    assert summary["total_seconds"] == 110
    assert summary["total_within_target"] is None  # under 600 s so far, but incomplete
    assert summary["memory_within_target"] is False  # 3,500 MiB > 3 GiB
    assert summary["labs"][0]["within_memory_target"] is False


def test_an_incomplete_course_already_over_time_fails(tmp_path):
    summary = course_summary(write(tmp_path, {"a": lab(700, 100)}), labs=("a", "b"))
    assert summary["total_within_target"] is False


def test_no_results_file_means_every_lab_missing(tmp_path):
    summary = course_summary(tmp_path / "absent.json", labs=("a",))
    assert summary["missing"] == ["a"] and summary["total_seconds"] == 0
    assert summary["max_peak_rss_mib"] is None
