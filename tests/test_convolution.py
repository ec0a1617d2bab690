"""Receptive fields computed from real Keras models, and the two convolution figures."""

import keras
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from helpers.convolution import plot_convolution_step, plot_receptive_fields, receptive_field


def sequential(*layers, shape=(28, 28, 1)):
    return keras.Sequential([keras.Input(shape), *layers])


def conv(filters=4, k=3, **kwargs):
    return keras.layers.Conv2D(filters, k, **kwargs)


def test_one_convolution_sees_its_kernel():
    assert receptive_field(sequential(conv(k=3))) == 3
    assert receptive_field(sequential(conv(k=5))) == 5


def test_stacked_convolutions_grow_the_field_by_k_minus_1_each():
    assert receptive_field(sequential(conv(), conv(), conv())) == 7


def test_pooling_doubles_the_step_of_every_later_layer():
    classic = sequential(
        conv(),
        keras.layers.MaxPooling2D(2),
        conv(),
        keras.layers.MaxPooling2D(2),
        conv(),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    )
    # 3 → 4 (pool) → 4 + 2·2 = 8 → 8 + 1·2 = 10 (pool) → 10 + 2·4 = 18
    assert receptive_field(classic) == 18


def test_strided_and_same_padded_convolutions_follow_the_same_rule():
    model = sequential(conv(strides=2, padding="same"), conv(padding="same"))
    assert receptive_field(model) == 3 + 2 * 2


def test_layers_without_a_window_change_nothing_and_flatten_stops_the_walk():
    model = sequential(
        keras.layers.Rescaling(1 / 255),
        conv(activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Flatten(),
        keras.layers.Dense(3),
    )
    assert receptive_field(model) == 3


def test_the_convolution_step_figure_marks_the_window_and_the_output():
    image = np.zeros((28, 28), "uint8")
    image[5:15, 10] = 255
    kernel = np.array([[1, 0, -1]] * 3, "float32")
    fmap = np.random.default_rng(0).normal(size=(26, 26)).astype("float32")
    fig = plot_convolution_step(image, kernel, fmap, row=4, col=9)
    left, middle, right = fig.axes
    window = [p for p in left.patches if isinstance(p, Rectangle)][0]
    assert window.get_xy() == (8.5, 3.5) and window.get_width() == 3
    assert [t.get_text() for t in middle.texts] == ["1", "0", "-1"] * 3
    assert right.get_title() == f"feature map: {fmap[4, 9]:.2f} at (4, 9)"
    marked = [p for p in right.patches if isinstance(p, Rectangle)][0]
    assert marked.get_xy() == (8.5, 3.5) and marked.get_width() == 1


def test_the_convolution_step_figure_refuses_a_map_of_the_wrong_size():
    with pytest.raises(ValueError, match="gives \\(26, 26\\)"):
        plot_convolution_step(np.zeros((28, 28)), np.ones((3, 3)), np.zeros((28, 28)), 0, 0)


def test_the_receptive_field_figure_draws_one_centred_square_per_network():
    fig = plot_receptive_fields(np.zeros((28, 28, 1)), {"with pooling": 18, "without": 7})
    squares = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert [(s.get_width(), s.get_xy()) for s in squares] == [(18, (4.5, 4.5)), (7, (10.0, 10.0))]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["with pooling: 18×18 px", "without: 7×7 px"]
