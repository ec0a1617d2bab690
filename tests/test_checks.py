"""Checkpoints print one clear PASS/FAIL line and stop the notebook on failure."""

import keras
import pytest

from helpers.checks import (
    CheckpointFailed,
    check,
    check_at_least,
    check_defined,
    check_param_count,
    check_shape,
)


def test_a_passing_check_prints_one_pass_line(capsys):
    check(True, "the data is loaded")
    assert capsys.readouterr().out == "✅ PASS — the data is loaded\n"


def test_a_failing_check_prints_fail_with_the_hint_and_raises(capsys):
    with pytest.raises(CheckpointFailed, match="the data is loaded"):
        check(False, "the data is loaded", hint="run the loading cell first")
    out = capsys.readouterr().out
    assert out.startswith("❌ FAIL — the data is loaded")
    assert "Hint: run the loading cell first" in out


def test_check_shape_accepts_none_as_a_wildcard_and_reports_a_mismatch(capsys):
    check_shape("x", (None, 28, 28, 1), (None, 28, 28, 1))
    check_shape("x", (32, 10), (None, 10))
    with pytest.raises(CheckpointFailed, match=r"x has shape \(32, 9\), expected \(None, 10\)"):
        check_shape("x", (32, 9), (None, 10))
    with pytest.raises(CheckpointFailed):
        check_shape("x", (32, 10, 1), (None, 10))


def test_check_param_count_counts_a_real_keras_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])  # 4*3 + 3 = 15
    check_param_count(model, 15)
    with pytest.raises(CheckpointFailed, match="has 15 parameters, expected 16"):
        check_param_count(model, 16)


def test_check_at_least_shows_percentages(capsys):
    check_at_least("test accuracy", 0.991, 0.99)
    assert "test accuracy ≥ 99.0%" in capsys.readouterr().out
    with pytest.raises(CheckpointFailed, match="test accuracy is 98.5%"):
        check_at_least("test accuracy", 0.985, 0.99)


def test_check_defined_passes_when_the_names_exist(capsys):
    check_defined("model", "history", namespace={"model": 1, "history": 2})
    assert capsys.readouterr().out == "✅ PASS — `model`, `history` are defined\n"


def test_check_defined_names_what_is_missing_and_which_exercise_defines_it(capsys):
    with pytest.raises(CheckpointFailed):
        check_defined("model", "model_path", exercise=7, namespace={"model": 1})
    out = capsys.readouterr().out
    assert out.startswith("❌ FAIL — `model_path` is not defined")
    assert "Exercise 7 asks you to define `model_path`" in out


def test_check_defined_reads_the_callers_globals_by_default(capsys):
    check_defined("CheckpointFailed", "pytest")  # both imported at the top of this module
    assert "PASS" in capsys.readouterr().out
    with pytest.raises(CheckpointFailed):
        check_defined("no_such_name_anywhere")
