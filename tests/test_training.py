"""Training plumbing: the per-epoch log is plain text, mixed precision follows the CPU."""

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


def test_mixed_precision_is_used_only_on_cpus_with_native_bfloat16(tmp_path, monkeypatch):
    with_amx = tmp_path / "amx"
    with_amx.write_text("flags : fpu avx512f amx_bf16 amx_tile\n")
    without = tmp_path / "plain"
    without.write_text("flags : fpu avx2\n")
    assert training.cpu_has_fast_bfloat16(with_amx)
    assert not training.cpu_has_fast_bfloat16(without)
    monkeypatch.setattr(training, "cpu_has_fast_bfloat16", lambda: False)
    assert use_mixed_precision() == "float32"
    monkeypatch.setattr(training, "cpu_has_fast_bfloat16", lambda: True)
    assert use_mixed_precision() == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().compute_dtype == "bfloat16"
    assert use_mixed_precision(enabled=False) == "float32"


def test_timer_measures_a_block_and_can_print_it(capsys):
    with Timer("sleeping") as timer:
        sum(range(10_000))
    assert 0 <= timer.seconds < 5
    assert capsys.readouterr().out.startswith("sleeping: ")


def test_peak_memory_is_a_plausible_number_of_mebibytes():
    assert 10 < training.peak_memory_mb() < 24 * 1024
