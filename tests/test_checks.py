"""Checkpoints print one clear PASS/FAIL line and stop the notebook on failure."""

import keras
import pytest

from helpers.checks import (
    CheckpointFailed,
    check,
    check_at_least,
    check_defined,
    check_model,
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


def lab1_model(**overrides):
    settings = {"conv_activation": "relu", "output": "softmax", "dtype": "float32"}
    settings.update(overrides)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation=settings["conv_activation"]),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(8, 3, activation=settings["conv_activation"]),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation=settings["output"], dtype=settings["dtype"]),
        ]
    )


LAB1 = dict(
    input_shape=(28, 28, 1),
    output_units=10,
    output_activation="softmax",
    layer_counts={"Conv2D": 2, "MaxPooling2D": 1},
    max_params=100_000,
)


def test_check_model_passes_a_model_that_meets_every_constraint(capsys):
    check_model(lab1_model(), **LAB1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(line.startswith("✅ PASS") for line in lines)
    assert lines[-1] == "✅ PASS — it has 10,354 parameters (at most 100,000)"


@pytest.mark.parametrize(
    ("model", "constraint", "message"),
    [
        (lab1_model(conv_activation=None), {}, "conv2d"),
        (lab1_model(output="sigmoid"), {}, "activation 'sigmoid'"),
        (lab1_model(), {"max_params": 5_000}, "10,354 parameters (at most 5,000)"),
        (lab1_model(), {"layer_counts": {"Conv2D": 3}}, "it has 2 Conv2D"),
        (lab1_model(), {"input_shape": (32, 32, 1)}, "it takes (28, 28, 1)"),
    ],
)
def test_check_model_fails_each_broken_constraint_with_a_hint(model, constraint, message, capsys):
    with pytest.raises(CheckpointFailed):
        check_model(model, **{**LAB1, **constraint})
    assert message in capsys.readouterr().out


def test_check_model_wants_the_output_in_float32_under_mixed_precision(capsys):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        forgotten = lab1_model(dtype=None)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(CheckpointFailed):
        check_model(forgotten, **LAB1)
    assert "computes in bfloat16" in capsys.readouterr().out


def test_check_model_wants_rescaling_first_and_accepts_relu_as_a_separate_layer(capsys):
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    functional = keras.Model(inputs, outputs)
    constraints = dict(input_shape=(32, 32, 3), output_units=1, output_activation="sigmoid")
    check_model(functional, rescaling=1 / 255, **constraints)
    assert "FAIL" not in capsys.readouterr().out
    without = keras.Sequential([keras.Input((32, 32, 3)), *functional.layers[2:]])
    with pytest.raises(CheckpointFailed):
        check_model(without, rescaling=1 / 255, **constraints)
    assert "put keras.layers.Rescaling(0.00392157) first" in capsys.readouterr().out


def test_check_model_counts_minimum_layers_inside_nested_models_too(capsys):
    classifier = keras.Sequential([keras.layers.Flatten(), keras.layers.Dropout(0.5)])
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = classifier(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    constraints = dict(input_shape=(28, 28, 1), output_units=1, output_activation="sigmoid")
    check_model(model, at_least={"Conv2D": 2, "Dropout": 1}, **constraints)
    assert "✅ PASS — it has at least 2 Conv2D, 1 Dropout layers" in capsys.readouterr().out
    with pytest.raises(CheckpointFailed):
        check_model(model, at_least={"Conv2D": 3, "Dropout": 1}, **constraints)
    assert "it has only 2 Conv2D." in capsys.readouterr().out
