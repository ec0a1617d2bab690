"""helpers.interpret on models and data with known answers: Grad-CAM, calibration, 2-D maps."""

from __future__ import annotations

import inspect
import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import interpret  # noqa: E402

SIDE = 24
#: Where the two squares of the known-answer images sit: (rows, columns).
WHITE = (slice(2, 8), slice(14, 20))  # the evidence for class 1
BLACK = (slice(15, 21), slice(3, 9))  # the evidence for class 0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def squares(white: float = 1.0, black: float = 0.0) -> np.ndarray:
    """A gray 0–255 image with a white square (top right) and a black one (bottom left)."""
    image = np.full((SIDE, SIDE, 1), 127.5, np.float32)
    image[WHITE] = 255 * white
    image[BLACK] = 255 * black
    return image


def known_answer_model(keras, activation_layer: bool = False):
    """A convnet whose evidence is known: bright pixels say class 1, dark pixels say class 0.

    A 1×1 convolution with two filters makes channel 0 = relu(2x − 1) (on only where a pixel is
    brighter than gray) and channel 1 = relu(1 − 2x) (on only where it is darker); the score is
    sigmoid(4 · mean(channel 0) − 4 · mean(channel 1)). So class 1's score comes from the white
    square alone and class 0's from the black square alone: Grad-CAM must find exactly those.
    """
    inputs = keras.Input((SIDE, SIDE, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    conv = keras.layers.Conv2D(2, 1, activation=None if activation_layer else "relu", name="conv")
    x = conv(x)
    if activation_layer:
        x = keras.layers.Activation("relu", name="after_conv")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(1, activation="sigmoid")
    outputs = dense(x)
    model = keras.Model(inputs, outputs)
    conv.set_weights([np.array([[[[2.0, -2.0]]]], np.float32), np.array([-1.0, 1.0], np.float32)])
    dense.set_weights([np.array([[40.0], [-40.0]], np.float32), np.zeros(1, np.float32)])
    return model


def region_heat(heat: np.ndarray, region) -> float:
    return float(heat[region].mean())


# --------------------------------------------------------------------------- the module as a whole


@pytest.mark.parametrize("name", ["show_grad_cam", "plot_calibration", "plot_feature_map"])
def test_every_drawing_function_documents_what_it_draws_and_its_arguments(name):
    doc = inspect.getdoc(getattr(interpret, name))
    first, _, rest = doc.partition("\n")
    assert first.startswith("Draw") and first.endswith("."), first
    assert "Args:" in rest


def test_the_helpers_front_module_declares_each_public_function():
    import helpers

    for name in ("grad_cam", "border_share", "show_grad_cam", "calibration_bins"):
        assert name in helpers.__all__ and getattr(helpers, name) is getattr(interpret, name)
    assert "interpret" in helpers._SUBMODULES


# --------------------------------------------------------------------------- grad_cam


def test_grad_cam_finds_the_white_square_for_class_1_and_the_black_one_for_class_0(keras):
    model = known_answer_model(keras)
    image = squares()[None]

    for_one = interpret.grad_cam(model, image, class_index=1)[0]
    for_zero = interpret.grad_cam(model, image, class_index=0)[0]

    assert for_one.shape == for_zero.shape == (SIDE, SIDE)
    assert for_one.max() == pytest.approx(1.0) and for_one.min() >= 0
    assert region_heat(for_one, WHITE) > 0.9 and region_heat(for_one, BLACK) < 0.05
    assert region_heat(for_zero, BLACK) > 0.9 and region_heat(for_zero, WHITE) < 0.05
    peak = np.unravel_index(np.argmax(for_one), for_one.shape)
    assert WHITE[0].start <= peak[0] < WHITE[0].stop and WHITE[1].start <= peak[1] < WHITE[1].stop


def test_grad_cam_explains_each_image_by_its_predicted_class_by_default(keras):
    model = known_answer_model(keras)
    # A bright white square and a faint black one: class 1. The reverse: class 0.
    images = np.stack([squares(white=1.0, black=0.45), squares(white=0.55, black=0.0)])
    p = np.asarray(model(images))[:, 0]
    assert p[0] > 0.5 > p[1]

    maps = interpret.grad_cam(model, images)

    assert region_heat(maps[0], WHITE) > region_heat(maps[0], BLACK) + 0.5
    assert region_heat(maps[1], BLACK) > region_heat(maps[1], WHITE) + 0.5


def test_grad_cam_in_small_batches_gives_the_maps_of_one_big_batch(keras):
    model = known_answer_model(keras)
    images = np.stack([squares(white=w, black=b) for w, b in ((1, 0.45), (0.55, 0), (1, 0))])
    classes = [1, 0, 0]
    whole = interpret.grad_cam(model, images, class_index=classes)
    np.testing.assert_allclose(
        interpret.grad_cam(model, images, class_index=classes, batch_size=2), whole, atol=1e-6
    )
    assert region_heat(whole[2], BLACK) > 0.9  # the third image's own class, across batches


def test_grad_cam_weighs_the_activation_layer_after_a_convolution_and_takes_a_layer_name(keras):
    model = known_answer_model(keras, activation_layer=True)
    assert interpret._last_convolution(model).name == "after_conv"
    image = squares()[None]
    default = interpret.grad_cam(model, image, class_index=1)[0]
    named = interpret.grad_cam(model, image, layer="after_conv", class_index=1)[0]
    np.testing.assert_allclose(default, named)
    assert region_heat(default, WHITE) > 0.9 and region_heat(default, BLACK) < 0.05


def test_grad_cam_of_a_sequential_model_like_lab_4s(keras):
    functional = known_answer_model(keras)
    conv, dense = functional.get_layer("conv"), functional.layers[-1]
    model = keras.Sequential(
        [
            keras.Input((SIDE, SIDE, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(2, 1, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.layers[1].set_weights(conv.get_weights())
    model.layers[3].set_weights(dense.get_weights())
    image = squares()[None]
    heat = interpret.grad_cam(model, image, class_index=1)[0]
    np.testing.assert_allclose(heat, interpret.grad_cam(functional, image, class_index=1)[0])
    assert region_heat(heat, WHITE) > 0.9 and region_heat(heat, BLACK) < 0.05


def test_grad_cam_works_under_mixed_bfloat16_like_lab_4(keras):
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        model = known_answer_model(keras)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    heat = interpret.grad_cam(model, squares()[None], class_index=1)[0]
    assert heat.dtype == np.float32
    assert region_heat(heat, WHITE) > 0.9 and region_heat(heat, BLACK) < 0.05


def test_grad_cam_of_a_softmax_model_explains_the_class_asked_for(keras):
    inputs = keras.Input((SIDE, SIDE, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    conv = keras.layers.Conv2D(2, 1, activation="relu")
    x = keras.layers.GlobalAveragePooling2D()(conv(x))
    dense = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(inputs, dense(x))
    conv.set_weights([np.array([[[[2.0, -2.0]]]], np.float32), np.array([-1.0, 1.0], np.float32)])
    # class 0's logit grows with bright pixels (channel 0), class 1's with dark ones (channel 1)
    dense.set_weights([np.array([[20.0, -20.0], [-20.0, 20.0]], np.float32), np.zeros(2, "f")])
    image = squares()[None]
    for_zero, for_one = (interpret.grad_cam(model, image, class_index=[c])[0] for c in (0, 1))
    assert region_heat(for_zero, WHITE) > 0.9 and region_heat(for_zero, BLACK) < 0.05
    assert region_heat(for_one, BLACK) > 0.9 and region_heat(for_one, WHITE) < 0.05


def test_grad_cam_without_a_convolution_says_to_name_a_layer(keras):
    model = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="no Conv2D layer.*pass layer="):
        interpret.grad_cam(model, np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="feature maps"):
        interpret.grad_cam(model, np.zeros((1, 4, 4, 1)), layer=model.layers[-1])
    functional = known_answer_model(keras)
    with pytest.raises(ValueError, match="feature maps"):
        interpret.grad_cam(functional, np.zeros((1, SIDE, SIDE, 1)), layer=functional.layers[-1])


# --------------------------------------------------------------------------- border_share


def test_border_share_of_even_heat_is_the_borders_share_of_the_area():
    even = np.ones((2, 20, 20))
    np.testing.assert_allclose(interpret.border_share(even, 2), 1 - 16 * 16 / 400)


def test_border_share_is_0_for_heat_in_the_middle_1_for_heat_on_the_edge_and_nan_for_none():
    middle, edge, none = np.zeros((3, 20, 20))
    middle[8:12, 8:12] = 1
    edge[0, :] = 1
    share = interpret.border_share(np.stack([middle, edge, none]), 3)
    assert share[0] == 0 and share[1] == 1 and np.isnan(share[2])
    with pytest.raises(ValueError, match="does not fit"):
        interpret.border_share(middle, 10)


# --------------------------------------------------------------------------- show_grad_cam


def test_show_grad_cam_draws_each_image_plain_then_with_its_heat_map_over_it():
    images = np.stack([squares(), squares(white=0.6)]).astype(np.uint8)
    maps = np.zeros((2, SIDE, SIDE), np.float32)
    maps[0][WHITE] = 1.0
    fig = interpret.show_grad_cam(images, maps, ["NORMAL\np = 0.10", "PNEUMONIA"], ncols=2)

    drawn = [ax for ax in fig.axes if ax.get_images()]
    plain = [ax for ax in drawn if len(ax.get_images()) == 1]
    overlaid = [ax for ax in drawn if len(ax.get_images()) == 2]
    assert len(plain) == len(overlaid) == 2
    assert [ax.get_title() for ax in plain] == ["NORMAL\np = 0.10", "PNEUMONIA"]
    heat = overlaid[0].get_images()[1]
    np.testing.assert_array_equal(heat.get_array(), maps[0])
    assert heat.get_clim() == (0.0, 1.0) and 0 < heat.get_alpha() < 1
    assert any("Grad-CAM heat" in ax.get_ylabel() for ax in fig.axes)  # the colour bar
    assert fig.get_suptitle() == "Grad-CAM: where the score comes from"


def test_show_grad_cam_titles_do_not_overlap_at_4_columns_like_lab_4():
    images = np.stack([squares()] * 8).astype(np.uint8)
    titles = ["true: PNEUMONIA\npred: NORMAL\np = 0.97"] * 8
    fig = interpret.show_grad_cam(images, np.zeros((8, SIDE, SIDE)), titles, ncols=4)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    titled = [ax for ax in fig.axes if ax.get_title()]
    boxes = [ax.title.get_window_extent(renderer) for ax in titled]
    pictures = [im.get_window_extent(renderer) for ax in fig.axes for im in ax.get_images()[:1]]
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[i + 1 :])
        assert not any(box.overlaps(picture) for picture in pictures)


def test_show_grad_cam_wants_one_map_of_the_images_size_per_image():
    with pytest.raises(ValueError, match="one map per image"):
        interpret.show_grad_cam(np.zeros((2, 8, 8)), np.zeros((2, 4, 4)))


# --------------------------------------------------------------------------- calibration


@pytest.fixture(scope="module")
def predictions():
    """500 probabilities and labels drawn from them: a calibrated model, by construction."""
    rng = np.random.default_rng(0)
    p = rng.beta(0.7, 0.7, size=500)
    return (rng.random(500) < p).astype(int), p


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibration_bins_are_scikit_learns_with_an_interval_for_each(predictions, strategy):
    from sklearn.calibration import calibration_curve

    y, p = predictions
    bins = interpret.calibration_bins(y, p, n_bins=8, strategy=strategy)
    observed, predicted = calibration_curve(y, p, n_bins=8, strategy=strategy)

    np.testing.assert_allclose([b.observed.value for b in bins], observed)
    np.testing.assert_allclose([b.mean_probability for b in bins], predicted)
    assert sum(b.observed.n for b in bins) == len(y)
    assert all(b.observed.low <= b.observed.value <= b.observed.high for b in bins)
    assert all(b.low <= b.mean_probability <= b.high for b in bins)


def test_a_calibrated_model_sits_inside_its_intervals_and_a_squashed_one_does_not(predictions):
    y, p = predictions
    honest = interpret.calibration_bins(y, p, n_bins=5)
    outside = [b for b in honest if not b.observed.low <= b.mean_probability <= b.observed.high]
    assert len(outside) <= 1  # 95 % intervals: one bin in twenty may miss
    overconfident = interpret.calibration_bins(y, (p > 0.5).astype(float) * 0.98 + 0.01, n_bins=5)
    assert all(not b.observed.low <= b.mean_probability <= b.observed.high for b in overconfident)


def test_plot_calibration_draws_sklearns_curve_intervals_and_counts_with_the_legend_aside(
    predictions,
):
    y, p = predictions
    fig = interpret.plot_calibration(y, p, n_bins=5, title="Test set")
    curve, counts = fig.axes
    bins = interpret.calibration_bins(y, p, n_bins=5)

    lines = {line.get_label(): line for line in curve.get_lines()}
    model = lines["model"]
    np.testing.assert_allclose(model.get_xdata(), [b.mean_probability for b in bins])
    np.testing.assert_allclose(model.get_ydata(), [b.observed.value for b in bins])
    assert "Perfectly calibrated" in lines
    assert [bar.get_height() for bar in counts.patches] == [b.observed.n for b in bins]
    assert [bar.get_x() for bar in counts.patches] == pytest.approx([b.low for b in bins])
    assert [bar.get_width() for bar in counts.patches] == pytest.approx(
        [b.high - b.low for b in bins]
    )
    assert curve.get_ylabel() == "share that was positive"
    assert counts.get_xlabel().startswith("predicted probability")
    assert curve.get_title() == "Test set"

    fig.canvas.draw()
    for ax in (curve, counts):
        box = ax.get_legend().get_window_extent()
        assert box.x0 >= ax.get_window_extent().x1  # beside the plot: it covers no point
    points = curve.transData.transform(model.get_xydata())
    assert not [q for q in points if curve.get_legend().get_window_extent().contains(*q)]


# --------------------------------------------------------------------------- plot_feature_map


@pytest.fixture(scope="module")
def blobs():
    """Two classes of 60 points in 20 dimensions, apart along one direction."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 60)
    features = rng.normal(size=(120, 20)).astype(np.float32)
    features[:, 3] += 6 * labels
    return features, labels


def test_plot_feature_map_draws_pca_and_tsne_coloured_by_class_with_mistakes_crossed(blobs):
    from sklearn.decomposition import PCA

    features, labels = blobs
    wrong = np.zeros(len(labels), bool)
    wrong[[0, 70]] = True
    fig = interpret.plot_feature_map(features, labels, ["cats", "dogs"], mistakes=wrong)

    pca, tsne = fig.axes
    assert [pca.get_title(), tsne.get_title()] == ["PCA", "t-SNE"]
    cats, dogs, crosses = pca.collections
    expected = PCA(n_components=2, random_state=0).fit_transform(features)
    np.testing.assert_allclose(cats.get_offsets(), expected[labels == 0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(crosses.get_offsets(), expected[wrong], rtol=1e-4, atol=1e-4)
    assert pca.get_xlabel().startswith("PC 1 (") and "of the variance" in pca.get_xlabel()
    assert [t.get_text() for t in tsne.get_legend().get_texts()] == [
        "cats (60)",
        "dogs (60)",
        "misclassified (2)",
    ]
    # PCA's first axis separates the classes, as the data were built
    assert abs(cats.get_offsets()[:, 0].mean() - dogs.get_offsets()[:, 0].mean()) > 4

    fig.canvas.draw()
    box = tsne.get_legend().get_window_extent()
    for ax in fig.axes:
        for points in ax.collections:
            shown = ax.transData.transform(points.get_offsets())
            assert not [q for q in shown if box.contains(*q)], "the legend covers points"


def test_plot_feature_map_draws_one_method_and_names_wrong_arguments(blobs):
    features, labels = blobs
    fig = interpret.plot_feature_map(features, labels, ["a", "b"], methods=("pca",))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    with pytest.raises(ValueError, match="'pca' or 'tsne'"):
        interpret.plot_feature_map(features, labels, ["a", "b"], methods=("umap",))
    with pytest.raises(ValueError, match="mistakes"):
        interpret.plot_feature_map(features, labels, ["a", "b"], mistakes=[True])
