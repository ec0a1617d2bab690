"""The benchmark's FLOP counter against hand counts, and the CPU peak formula."""

import keras
import pytest
from keras import layers

from bench.flops import cpu_peak_flops, flops_per_image, forward_macs


def sequential(*stack, shape=(8, 8, 3)):
    return keras.Sequential([keras.Input(shape), *stack])


def test_a_small_convnet_matches_a_hand_count():
    model = sequential(
        layers.Rescaling(1 / 255), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10)
    )
    counted = flops_per_image(model)
    conv = 6 * 6 * (3 * 3 * 3) * 4  # 6×6 outputs × (3×3 kernel × 3 channels) × 4 filters = 3,888
    dense = 6 * 6 * 4 * 10  # 144 inputs × 10 units = 1,440
    assert [entry["macs"] for entry in counted["layers"]] == [conv, dense]
    assert counted["macs"] == 5328
    assert counted["forward"] == 2 * 5328 == 10656
    assert counted["training"] == 3 * 10656
    assert counted["uncounted"] == []


def test_strides_padding_depthwise_separable_transposed_and_grouped_convolutions():
    cases = [
        # (layer, input shape, hand count of multiply-adds)
        (layers.Conv2D(8, 3, strides=2, padding="same"), (8, 8, 3), 4 * 4 * 3 * 3 * 3 * 8),
        (layers.Conv2D(8, 3, groups=2), (8, 8, 4), 6 * 6 * 3 * 3 * 2 * 8),
        (layers.DepthwiseConv2D(3, depth_multiplier=2), (8, 8, 4), 6 * 6 * 3 * 3 * 4 * 2),
        (layers.SeparableConv2D(5, 3), (8, 8, 4), 6 * 6 * (3 * 3 * 4 + 4 * 5)),
        (layers.Conv2DTranspose(2, 3, strides=2), (3, 3, 5), 3 * 3 * 3 * 3 * 5 * 2),
        (layers.Conv1D(6, 5), (20, 2), 16 * 5 * 2 * 6),
        (layers.Dense(7), (4, 4, 3), 16 * 3 * 7),  # a Dense on a feature map: per position
    ]
    for layer, shape, expected in cases:
        sequential(layer, shape=shape)
        assert forward_macs(layer) == expected, type(layer).__name__


def test_nested_models_are_counted_and_weighted_layers_we_skip_are_named():
    block = keras.Sequential([layers.Flatten(), layers.Dense(3)], name="head")
    model = sequential(layers.Conv2D(2, 1), layers.BatchNormalization(name="bn"), block)
    counted = flops_per_image(model)
    assert counted["macs"] == 8 * 8 * 3 * 2 + 8 * 8 * 2 * 3
    assert counted["uncounted"] == ["bn"]


def test_the_classic_tutorial_model_matches_its_hand_count():
    from bench.models import classic_model

    # 150 → conv 148 → pool 74 → conv 72 → pool 36 → conv 34 → pool 17 → conv 15 → pool 7
    hand = (
        148 * 148 * 3 * 3 * 3 * 32
        + 72 * 72 * 3 * 3 * 32 * 64
        + 34 * 34 * 3 * 3 * 64 * 128
        + 15 * 15 * 3 * 3 * 128 * 128
        + 7 * 7 * 128 * 512
        + 512 * 1
    )
    model = classic_model(150)
    assert model.count_params() == 3_453_121  # the tutorial's summary
    assert flops_per_image(model)["macs"] == hand == 236_095_488


def test_cpu_peak_is_cores_times_clock_times_flops_per_cycle(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\ncpu MHz\t\t: 2600.000\nflags\t\t: fpu sse avx2 fma avx512f\n"
    )
    peak = cpu_peak_flops(cpuinfo, cores=2)
    assert peak["flops_per_cycle"] == 64
    assert peak["peak_flops"] == pytest.approx(2 * 2.6e9 * 64) == pytest.approx(332.8e9)
    cpuinfo.write_text("cpu MHz\t\t: 3000.0\nflags\t\t: fpu avx2 fma\n")
    assert cpu_peak_flops(cpuinfo, cores=4)["peak_flops"] == pytest.approx(4 * 3e9 * 32)
    assert cpu_peak_flops(tmp_path / "missing", cores=2)["peak_flops"] is None
