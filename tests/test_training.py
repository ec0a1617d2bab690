"""Training plumbing: the per-epoch log is plain text, the precision follows the device."""

import keras
import numpy as np
import pytest

from helpers import training
from helpers.training import EpochLogger, Timer, use_mixed_precision


@pytest.fixture(autouse=True)
def restore_float32():
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_epoch_logger_prints_one_plain_line_per_epoch(capsys):
    training.set_seed(0)
    x = np.random.rand(64, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[EpochLogger()])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" · ")[0] for line in lines] == ["epoch  1/3", "epoch  2/3", "epoch  3/3"]
    assert all("val_accuracy" in line for line in lines)
    assert not any("\x1b" in line or "\b" in line for line in lines)


def test_epoch_logger_every_n_prints_only_those_epochs_and_the_last(capsys):
    x = np.zeros((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, :1], epochs=5, verbose=0, callbacks=[EpochLogger(every=2)])
    epochs = [line.split(" · ")[0] for line in capsys.readouterr().out.splitlines()]
    assert epochs == ["epoch  2/5", "epoch  4/5", "epoch  5/5"]


@pytest.mark.parametrize(
    ("gpu", "cpu_bfloat16", "policy", "reason"),
    [
        (None, True, "mixed_bfloat16", "CPU with native bfloat16"),
        (None, False, "float32", "CPU without native bfloat16"),
        ((9, 0), False, "mixed_bfloat16", "compute capability 9.0"),  # H100
        ((8, 0), False, "mixed_bfloat16", "compute capability 8.0"),  # A100
        ((7, 5), True, "mixed_float16", "compute capability 7.5"),  # T4 beside an AMX CPU
        ((7, 0), False, "mixed_float16", "compute capability 7.0"),  # V100
        ((6, 1), True, "float32", "compute capability 6.1"),  # GTX 1080 beside an AMX CPU
    ],
)
def test_precision_follows_the_device(monkeypatch, gpu, cpu_bfloat16, policy, reason):
    monkeypatch.delenv(training.PRECISION_ENV, raising=False)
    chosen, why = training.choose_precision(gpu=gpu, cpu_bfloat16=cpu_bfloat16)
    assert chosen == policy
    assert reason in why


@pytest.mark.parametrize("forced", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_the_environment_variable_forces_a_policy_on_any_device(monkeypatch, forced):
    monkeypatch.setenv(training.PRECISION_ENV, forced)
    for gpu, cpu_bfloat16 in [(None, True), (None, False), ((8, 6), False), ((7, 5), True)]:
        chosen, why = training.choose_precision(gpu=gpu, cpu_bfloat16=cpu_bfloat16)
        assert (chosen, why) == (forced, f"forced by {training.PRECISION_ENV}")


def test_auto_or_empty_means_the_automatic_choice(monkeypatch):
    for value in ("auto", "", " "):
        monkeypatch.setenv(training.PRECISION_ENV, value)
        assert training.choose_precision(gpu=None, cpu_bfloat16=True)[0] == "mixed_bfloat16"


def test_a_misspelt_policy_is_an_error_that_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv(training.PRECISION_ENV, "bfloat16")
    with pytest.raises(ValueError, match="mixed_bfloat16") as raised:
        training.choose_precision(gpu=None, cpu_bfloat16=True)
    assert "CNN_LABS_PRECISION='bfloat16'" in str(raised.value)


def test_a_lab_that_asks_for_float32_gets_it_whatever_the_device(monkeypatch):
    monkeypatch.setenv(training.PRECISION_ENV, "mixed_bfloat16")
    assert training.choose_precision(False, gpu=(8, 0), cpu_bfloat16=True)[0] == "float32"


def test_use_mixed_precision_sets_and_prints_the_policy(monkeypatch, capsys):
    monkeypatch.setenv(training.PRECISION_ENV, "mixed_bfloat16")
    assert use_mixed_precision() == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().compute_dtype == "bfloat16"
    assert capsys.readouterr().out == (
        "computing in mixed_bfloat16: forced by CNN_LABS_PRECISION\n"
    )
    monkeypatch.setenv(training.PRECISION_ENV, "float32")
    assert use_mixed_precision(verbose=False) == "float32"
    assert keras.mixed_precision.global_policy().compute_dtype == "float32"
    assert capsys.readouterr().out == ""


def test_this_machine_has_no_gpu_so_detection_says_none():
    # CI and development machines here are CPU-only; on a GPU machine this reads its capability.
    capability = training.gpu_compute_capability()
    assert capability is None or len(capability) == 2


def test_timer_measures_a_block_and_can_print_it(capsys):
    with Timer("sleeping") as timer:
        sum(range(10_000))
    assert 0 <= timer.seconds < 5
    assert capsys.readouterr().out.startswith("sleeping: ")


@pytest.mark.parametrize(("epochs", "warmup"), [(10, 2), (10, 0), (1, 3), (3, 5)])
def test_warmup_cosine_climbs_then_glides_to_zero(epochs, warmup):
    steps = 7
    schedule = training.warmup_cosine(1e-3, epochs, steps, warmup)
    rates = np.array([float(schedule(step)) for step in range(epochs * steps + 1)])
    peak = int(np.argmax(rates))
    effective_warmup = min(warmup, epochs - 1) * steps
    assert peak == effective_warmup and np.isclose(rates[peak], 1e-3)
    assert np.all(np.diff(rates[: peak + 1]) > 0) if peak else rates[0] == pytest.approx(1e-3)
    assert np.all(np.diff(rates[peak:]) <= 1e-12)
    assert rates[-1] == pytest.approx(0.0, abs=1e-9)
    decay = epochs * steps - peak
    k = decay // 2
    assert rates[peak + k] == pytest.approx(1e-3 * 0.5 * (1 + np.cos(np.pi * k / decay)), rel=1e-4)
