"""The race's parts on small real inputs: the classic model and pipeline, clocks, ratios."""

import keras
import numpy as np
from PIL import Image

import helpers as h
from bench import race
from bench.__main__ import FULL, QUICK, parse_args


def convnet_params(size: int) -> int:
    """Parameters of the tutorial's 32-64-128-128 convnet with a 512-unit dense layer."""
    for _ in range(4):
        size = (size - 2) // 2  # a 3×3 convolution, then a 2×2 pooling
    return 896 + 18_496 + 73_856 + 147_584 + (size * size * 128 * 512 + 512) + 513


def test_the_classic_model_is_the_tutorials():
    model = race.classic_model()
    assert model.count_params() == convnet_params(150) == 3_453_121  # the tutorial's summary
    assert model.input_shape == (None, 150, 150, 3)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert all(layer.dtype_policy.name == "float32" for layer in model.layers)


def test_the_classic_pipeline_decodes_every_file_into_rescaled_150_px_batches(tmp_path):
    files = []
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255)] * 15):
        files.append(tmp_path / f"photo{i}.jpg")
        Image.new("RGB", (40 + i, 30), colour).save(files[-1], quality=95)
    split = h.ImageSplit(np.zeros((30, 1, 1, 3), "uint8"), np.arange(30) % 2, files)

    batches = list(race.classic_dataset(split))

    assert [len(labels) for _, labels in batches] == [20, 10]
    images = np.concatenate([np.asarray(x) for x, _ in batches])
    assert images.shape == (30, 150, 150, 3) and images.dtype == np.float32
    np.testing.assert_allclose(images[0].mean(axis=(0, 1)), [1, 0, 0], atol=0.02)  # red, 0–1
    np.testing.assert_allclose(images[1].mean(axis=(0, 1)), [0, 0, 1], atol=0.02)
    shuffled = np.concatenate([y for _, y in race.classic_dataset(split, shuffle=True, seed=1)])
    assert sorted(shuffled) == sorted(split.labels) and list(shuffled) != list(split.labels)


def fit_with(clock, epochs=5):
    x = np.random.default_rng(0).random((32, 4)).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, validation_data=(x, y), epochs=epochs, verbose=0, callbacks=[clock])
    return clock.result("course", 1)


def test_the_clock_records_every_epoch_and_stops_at_the_threshold_or_the_cap(capsys):
    started = race.time.perf_counter()
    run = fit_with(race.EpochClock(started, "test", stop_at=2.0))  # never reached
    assert [p["epoch"] for p in run["curve"]] == [1, 2, 3, 4, 5]
    assert run["stopped_by"] == "last epoch" and 0 < run["ready_seconds"]
    seconds = [p["seconds"] for p in run["curve"]]
    assert seconds == sorted(seconds) and seconds[0] > run["ready_seconds"]
    assert capsys.readouterr().out.count("test · epoch") == 5

    assert fit_with(race.EpochClock(started, "test", stop_at=0.0))["stopped_by"] == "threshold"
    capped = fit_with(race.EpochClock(started, "test", stop_at=2.0, cap_seconds=0))
    assert capped["stopped_by"] == "time cap" and len(capped["curve"]) == 1


def curve(*points):
    return [{"epoch": i + 1, "seconds": s, "val_accuracy": a} for i, (s, a) in enumerate(points)]


def test_times_to_a_threshold_and_ratios_with_their_bounds():
    classic = {"curve": curve((10, 0.6), (20, 0.72), (30, 0.74))}
    course = {"curve": curve((2, 0.71), (4, 0.76))}
    assert race.time_to(classic["curve"], 0.7) == 20 and race.time_to(course["curve"], 0.7) == 2
    assert race.time_to(classic["curve"], 0.75) is None
    runs = [classic, course, classic, {"curve": curve((5, 0.7))}]
    assert race.ratios(runs, 0.70) == [(10.0, "="), (4.0, "=")]
    assert race.ratios(runs, 0.75) == [(30 / 4, "≥")]  # the classic run never got there


def test_quick_is_tiny_and_never_writes_over_the_real_results(tmp_path):
    assert parse_args([]) == FULL and FULL.out == h.REPO / "bench" and FULL.train_size is None
    quick = parse_args(["--quick"])
    assert quick == QUICK and quick.out.parts[-2:] == ("build", "bench-quick")
    assert quick.train_size and quick.repeats == 1 and quick.course_cap_epochs
    custom = parse_args(["--quick", "--out", str(tmp_path), "--thresholds", "0.8", "0.6"])
    assert custom.out == tmp_path and custom.thresholds == (0.6, 0.8) and custom.quick
