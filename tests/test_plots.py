"""Tests of helpers.plots on small real inputs: MNIST digits, a real History, real Keras layers."""

from __future__ import annotations

import inspect
import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import matplotlib  # noqa: E402
import matplotlib.colors  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import plots  # noqa: E402

DIGITS = [str(d) for d in range(10)]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _close_figures_and_forbid_show(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("helpers.plots must return figures, not call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def mnist(course_data):
    with np.load(course_data("mnist")) as data:
        return {key: data[key][:1000] for key in ("x_train", "y_train", "x_test", "y_test")}


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.fixture(scope="module")
def history(mnist, keras):
    """A real History: a 2-layer Dense model trained 2 epochs on 200 digits."""
    keras.utils.set_random_seed(0)
    x = mnist["x_train"][:200].reshape(200, -1).astype("float32") / 255.0
    y = mnist["y_train"][:200]
    x_val = mnist["x_test"][:100].reshape(100, -1).astype("float32") / 255.0
    y_val = mnist["y_test"][:100]
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=2, batch_size=50, validation_data=(x_val, y_val), verbose=0)


def image_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_images()]


def titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in image_axes(fig)]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def all_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --------------------------------------------------------------------------- the module as a whole


@pytest.mark.parametrize("name", plots.__all__)
def test_every_public_function_documents_what_it_draws_and_its_arguments(name):
    doc = inspect.getdoc(getattr(plots, name))
    assert doc, f"{name} has no docstring"
    first, _, rest = doc.partition("\n")
    assert first.startswith("Draw") and first.endswith("."), first
    assert "Args:" in rest


# --------------------------------------------------------------------------- plot_history


def test_plot_history_of_a_real_run_draws_solid_train_and_dashed_validation_curves(history):
    fig = plots.plot_history(history)

    assert isinstance(fig, Figure)
    accuracy, loss = fig.axes
    assert [accuracy.get_title(), loss.get_title()] == ["Accuracy", "Loss"]
    for ax, metric in ((accuracy, "accuracy"), (loss, "loss")):
        train, validation = ax.get_lines()
        assert legend_texts(ax) == ["train", "validation"]
        assert train.get_linestyle() == "-"
        assert validation.get_linestyle() == "--"
        assert same_color(train.get_color(), validation.get_color())
        np.testing.assert_allclose(train.get_ydata(), history.history[metric])
        np.testing.assert_allclose(validation.get_ydata(), history.history[f"val_{metric}"])
        assert ax.get_ylabel() == metric
        assert ax.get_xlabel() == "epoch"
        assert list(train.get_xdata()) == [1, 2]
        assert any(line.get_visible() for line in ax.get_xgridlines())


def test_plot_history_shows_accuracy_on_a_percent_axis_but_not_loss(history):
    fig = plots.plot_history(history, title="Lab 1")
    accuracy, loss = fig.axes
    formatter = accuracy.yaxis.get_major_formatter()
    assert formatter(0.5, 0).endswith("%")
    assert not loss.yaxis.get_major_formatter()(0.5, 0).endswith("%")
    assert fig.get_suptitle() == "Lab 1"


def test_plot_history_compares_runs_with_one_colour_per_run(history):
    plain = {key: list(values) for key, values in history.history.items()}
    fig = plots.plot_history({"baseline": history, "augmented": plain}, metrics=("accuracy",))

    (ax,) = fig.axes
    assert legend_texts(ax) == [
        "baseline train",
        "baseline validation",
        "augmented train",
        "augmented validation",
    ]
    base_train, base_val, aug_train, aug_val = ax.get_lines()
    assert same_color(base_train.get_color(), base_val.get_color())
    assert same_color(aug_train.get_color(), aug_val.get_color())
    assert not same_color(base_train.get_color(), aug_train.get_color())
    assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--", "-", "--"]


def test_plot_history_skips_metrics_the_history_does_not_have():
    fig = plots.plot_history({"loss": [0.9, 0.5, 0.4]}, metrics=("accuracy", "loss"))
    (ax,) = fig.axes
    assert ax.get_title() == "Loss"
    assert legend_texts(ax) == ["train"]


def test_plot_history_accepts_a_single_metric_name_as_a_string(history):
    fig = plots.plot_history(history, metrics="loss")
    assert [ax.get_title() for ax in fig.axes] == ["Loss"]


def test_plot_history_without_any_requested_metric_says_which_keys_exist(history):
    with pytest.raises(ValueError, match="auc") as error:
        plots.plot_history(history, metrics=("auc",))
    message = str(error.value)
    for key in ("accuracy", "loss", "val_accuracy", "val_loss"):
        assert f"'{key}'" in message


# --------------------------------------------------------------------------- show_images


def test_show_images_titles_each_digit_with_its_class_name_and_hides_unused_cells(mnist):
    x, y = mnist["x_train"][:10], mnist["y_train"][:10]
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    fig = plots.show_images(x, y, class_names=names, ncols=4, title="Ten digits")

    assert len(fig.axes) == 12
    assert len(image_axes(fig)) == 10
    assert titles(fig) == [names[label] for label in y]
    assert [ax.axison for ax in fig.axes[10:]] == [False, False]
    for ax in image_axes(fig):
        assert ax.get_xticks().size == 0 and ax.get_yticks().size == 0
    assert fig.get_suptitle() == "Ten digits"


def test_show_images_titles_with_the_label_when_there_are_no_class_names(mnist):
    fig = plots.show_images(mnist["x_train"][:3], mnist["y_train"][:3])
    assert titles(fig) == [str(label) for label in mnist["y_train"][:3]]


@pytest.mark.parametrize("shape", ["N,H,W", "N,H,W,1"])
def test_show_images_draws_grayscale_digits_with_the_gray_colormap(mnist, shape):
    x = mnist["x_train"][:4]
    if shape == "N,H,W,1":
        x = x[..., None]
    fig = plots.show_images(x)
    for ax in image_axes(fig):
        image = ax.get_images()[0]
        assert image.get_cmap().name == "gray"
        assert image.get_array().shape == (28, 28)


def test_show_images_rescales_float_images_on_the_0_255_scale(mnist):
    x = mnist["x_train"][:4]
    fig = plots.show_images(x.astype("float32"))
    for ax, digit in zip(image_axes(fig), x, strict=True):
        shown = ax.get_images()[0].get_array()
        assert shown.max() <= 1.0
        np.testing.assert_allclose(shown, digit / 255.0, atol=1e-6)


def test_show_images_scales_a_float_batch_as_a_whole_so_a_dark_image_stays_dark(mnist):
    batch = mnist["x_train"][:2].astype("float32")
    batch[1] = batch[1] / 255.0  # a very dark image on the 0-255 scale: max 1.0
    fig = plots.show_images(batch)
    dark = image_axes(fig)[1].get_images()[0].get_array()
    assert dark.max() == pytest.approx(1.0 / 255.0)


def test_show_images_leaves_float_images_in_0_1_and_divides_uint8_by_255(mnist):
    x = mnist["x_train"][:2]
    from_float = plots.show_images(x / 255.0)
    from_uint8 = plots.show_images(x)
    for a, b in zip(image_axes(from_float), image_axes(from_uint8), strict=True):
        np.testing.assert_allclose(a.get_images()[0].get_array(), b.get_images()[0].get_array())
        assert b.get_images()[0].get_array().max() == pytest.approx(1.0)


def test_show_images_colours_prediction_titles_green_when_right_and_red_when_wrong(mnist):
    x, y = mnist["x_test"][:3], mnist["y_test"][:3]
    wrong = (y[1] + 1) % 10
    predictions = np.array([y[0], wrong, y[2]])
    fig = plots.show_images(x, y, class_names=DIGITS, predictions=predictions)

    axes = image_axes(fig)
    assert axes[1].get_title() == f"true: {y[1]}\npred: {wrong}"
    assert [same_color(ax.title.get_color(), plots.RIGHT_COLOR) for ax in axes] == [
        True,
        False,
        True,
    ]
    assert same_color(axes[1].title.get_color(), plots.WRONG_COLOR)


def test_show_images_takes_softmax_rows_as_predictions(mnist):
    y = mnist["y_test"][:4]
    probabilities = np.eye(10)[y] * 0.9 + 0.01
    fig = plots.show_images(mnist["x_test"][:4], y, DIGITS, predictions=probabilities)
    assert titles(fig) == [f"true: {d}\npred: {d}" for d in y]


def test_show_images_accepts_a_list_of_tensors_and_draws_rgb_in_colour(mnist):
    tf = pytest.importorskip("tensorflow")
    rgb = np.stack([mnist["x_train"][:3]] * 3, axis=-1)  # (3, 28, 28, 3) uint8
    rgb[..., 0] = 255 - rgb[..., 0]
    fig = plots.show_images([tf.constant(image) for image in rgb], labels=[0, 1, 2])
    assert len(image_axes(fig)) == 3
    assert image_axes(fig)[0].get_images()[0].get_array().shape == (28, 28, 3)


def test_show_images_refuses_a_whole_dataset_with_a_hint_to_slice(mnist):
    with pytest.raises(ValueError, match=r"images\[:32\]"):
        plots.show_images(mnist["x_train"])


# --------------------------------------------------------------------------- show_augmentations


def test_show_augmentations_shows_the_original_then_flipped_versions_of_a_digit(mnist, keras):
    digit = mnist["x_train"][0]
    flip = keras.layers.RandomFlip("horizontal", seed=1)
    fig = plots.show_augmentations(digit, flip, n=6, ncols=4)

    assert titles(fig) == ["original"] + [f"augmented {i}" for i in range(1, 7)]
    assert len(fig.axes) == 8 and [ax.axison for ax in fig.axes[7:]] == [False]
    assert fig.get_suptitle() == "Augmented versions of one image"
    shown = [ax.get_images()[0].get_array() for ax in image_axes(fig)]
    expected = digit / 255.0
    np.testing.assert_allclose(shown[0], expected, atol=1e-6)
    for panel in shown[1:]:
        assert np.allclose(panel, expected, atol=1e-6) or np.allclose(
            panel, expected[:, ::-1], atol=1e-6
        )
    assert any(np.allclose(panel, expected[:, ::-1], atol=1e-6) for panel in shown[1:])


def test_show_augmentations_works_with_a_keras_sequential_of_random_layers(mnist, keras):
    augment = keras.Sequential(
        [keras.layers.RandomRotation(0.1, seed=2), keras.layers.RandomZoom(0.1, seed=3)]
    )
    fig = plots.show_augmentations(mnist["x_train"][:1][..., None][0], augment, n=3)
    shown = [ax.get_images()[0].get_array() for ax in image_axes(fig)]
    assert len(shown) == 4
    assert all(panel.shape == (28, 28) and panel.max() <= 1.0 for panel in shown)
    assert not np.allclose(shown[0], shown[1])


def test_show_augmentations_calls_a_plain_function_without_the_training_argument(mnist):
    def upside_down(batch):
        return batch[:, ::-1]

    fig = plots.show_augmentations(mnist["x_train"][0], upside_down, n=2, seed=None)
    original, first, _ = (ax.get_images()[0].get_array() for ax in image_axes(fig))
    np.testing.assert_allclose(first, original[::-1], atol=1e-6)


# --------------------------------------------------------------------------- plot_confusion_matrix


def cell_texts(fig: Figure) -> list[str]:
    """The numbers written in the cells of a confusion matrix, row by row."""
    return [t.get_text() for t in fig.axes[0].texts]


def test_plot_confusion_matrix_shows_the_counts_of_a_hand_computed_matrix():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 1, 2, 0, 2, 2]
    expected = np.array([[2, 1, 0], [0, 2, 0], [1, 0, 3]])
    fig = plots.plot_confusion_matrix(y_true, y_pred, ["cat", "dog", "bird"])

    ax, colorbar = fig.axes
    image = ax.get_images()[0]
    np.testing.assert_array_equal(image.get_array(), expected)
    assert image.get_cmap().name == "Blues"
    assert cell_texts(fig) == [str(v) for v in expected.ravel()]
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]
    assert ax.get_title() == "Confusion matrix"
    assert colorbar.get_ylabel() == "count"


def test_plot_confusion_matrix_writes_light_on_dark_cells_and_dark_on_light_ones():
    fig = plots.plot_confusion_matrix([0, 0, 0, 0, 1], [0, 0, 0, 0, 0], ["a", "b"])
    brightness = {
        t.get_text(): sum(matplotlib.colors.to_rgb(t.get_color())) / 3 for t in fig.axes[0].texts
    }
    assert brightness["4"] > 0.9 and brightness["1"] < 0.5  # 4 is the darkest cell


def test_plot_confusion_matrix_normalized_colours_by_row_share_and_adds_it_to_the_count():
    y_true = np.array([0, 0, 0, 0, 1])
    y_pred = np.array([0, 0, 0, 1, 1])
    fig = plots.plot_confusion_matrix(y_true, y_pred, ["no", "yes"], normalize=True)
    assert cell_texts(fig) == ["3\n75%", "1\n25%", "0\n0%", "1\n100%"]
    np.testing.assert_allclose(fig.axes[0].get_images()[0].get_array(), [[0.75, 0.25], [0, 1]])
    assert fig.axes[1].get_ylabel() == "share of the true class"


def test_plot_confusion_matrix_of_real_digit_predictions_matches_a_loop_count(mnist):
    rng = np.random.default_rng(0)
    y_true = mnist["y_test"][:300]
    y_pred = np.where(rng.random(300) < 0.8, y_true, rng.integers(0, 10, 300))
    expected = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    fig = plots.plot_confusion_matrix(y_true, y_pred, DIGITS)
    assert cell_texts(fig) == [str(v) for v in expected.ravel()]


def test_plot_confusion_matrix_rejects_labels_outside_the_class_names():
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        plots.plot_confusion_matrix([0, 1, 2], [0, 1, 1], ["a", "b"])


# --------------------------------------------------------------------------- show_misclassified


def test_show_misclassified_shows_only_the_wrong_predictions_in_order(mnist):
    x, y = mnist["x_test"][:20], mnist["y_test"][:20]
    y_pred = y.copy()
    wrong = [3, 7, 15]
    y_pred[wrong] = (y[wrong] + 1) % 10
    fig = plots.show_misclassified(x, y, y_pred, DIGITS)

    assert titles(fig) == [f"true: {y[i]}\npred: {y_pred[i]}" for i in wrong]
    for ax, i in zip(image_axes(fig), wrong, strict=True):
        np.testing.assert_allclose(ax.get_images()[0].get_array(), x[i] / 255.0)
        assert same_color(ax.title.get_color(), plots.WRONG_COLOR)
    assert fig.get_suptitle() == "Misclassified examples"


def test_show_misclassified_adds_the_probability_of_the_predicted_class(mnist):
    x, y = mnist["x_test"][:5], np.array([0, 1, 1, 0, 1])
    p_class1 = np.array([0.1, 0.93, 0.2, 0.75, 0.8])  # binary sigmoid outputs
    fig = plots.show_misclassified(x, y, p_class1 >= 0.5, ["normal", "pneumonia"], p_class1)
    assert titles(fig) == [
        "true: pneumonia\npred: normal\np = 0.80",
        "true: normal\npred: pneumonia\np = 0.75",
    ]

    softmax = np.array([[0.7, 0.2, 0.1], [0.05, 0.05, 0.9]])
    fig = plots.show_misclassified(x[:2], [0, 1], softmax, ["a", "b", "c"], softmax)
    assert titles(fig) == ["true: b\npred: c\np = 0.90"]


def test_show_misclassified_shows_at_most_max_images_and_says_how_many_there_are(mnist):
    x, y = mnist["x_test"][:40], mnist["y_test"][:40]
    fig = plots.show_misclassified(x, y, (y + 1) % 10, DIGITS, max_images=5, ncols=5)
    assert len(image_axes(fig)) == 5
    assert fig.get_suptitle() == "Misclassified examples (first 5 of 40)"


def test_show_misclassified_can_show_the_most_confident_mistakes_first(mnist):
    x, y = mnist["x_test"][:6], np.array([0, 1, 1, 0, 1, 0])
    p_class1 = np.array([0.6, 0.03, 0.2, 0.99, 0.4, 0.1])  # wrong: 0, 1, 2, 3, 4 (not 5)
    fig = plots.show_misclassified(
        x, y, p_class1 >= 0.5, ["cat", "dog"], p_class1, max_images=3, most_confident_first=True
    )
    assert [t.rsplit("= ", 1)[1] for t in titles(fig)] == ["0.99", "0.97", "0.80"]
    assert fig.get_suptitle() == "Misclassified examples (3 most confident of 5)"
    shown = [ax.get_images()[0].get_array() for ax in image_axes(fig)]
    np.testing.assert_allclose(shown[0], x[3] / 255.0)  # the picture goes with its title
    softmax = np.array([[0.2, 0.8], [0.45, 0.55], [0.9, 0.1]])
    fig = plots.show_misclassified(
        x[:3], [0, 0, 1], softmax, ["a", "b"], softmax, ncols=3, most_confident_first=True
    )
    assert [t.rsplit("= ", 1)[1] for t in titles(fig)] == ["0.90", "0.80", "0.55"]
    with pytest.raises(ValueError, match="needs the probabilities"):
        plots.show_misclassified(x, y, 1 - y, ["cat", "dog"], most_confident_first=True)


def test_show_misclassified_for_a_perfect_classifier_says_there_are_none(mnist):
    x, y = mnist["x_test"][:10], mnist["y_test"][:10]
    fig = plots.show_misclassified(x, y, y, DIGITS)
    assert image_axes(fig) == []
    assert all_texts(fig) == ["No misclassified images"]


def overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Panel titles whose boxes overlap, or overlap another panel's image; a cut-off suptitle."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = image_axes(fig)
    boxes = [ax.title.get_window_extent(renderer) for ax in axes]
    clashes = []
    suptitle = fig.get_suptitle() and fig._suptitle.get_window_extent(renderer)
    if suptitle and not (fig.bbox.x0 <= suptitle.x0 and suptitle.x1 <= fig.bbox.x1):
        clashes.append((fig.get_suptitle(), "the edge of the figure"))
    for i, (ax, box) in enumerate(zip(axes, boxes, strict=True)):
        for j, other in enumerate(axes):
            if j == i:
                continue
            if j > i and box.overlaps(boxes[j]):
                clashes.append((ax.get_title(), other.get_title()))
            if box.overlaps(other.get_images()[0].get_window_extent(renderer)):
                clashes.append((ax.get_title(), f"image of {other.get_title()!r}"))
    return clashes


def test_the_overlap_check_sees_titles_that_run_into_each_other(mnist):
    fig = plots.show_images(mnist["x_test"][:4], [0, 1, 2, 3], ncols=4)
    for ax in image_axes(fig):
        ax.set_title("a title far too long for a panel of one and a half inches")
    assert overlaps(fig)


def test_misclassified_titles_never_overlap_at_8_columns_like_lab_1(mnist):
    x, y = mnist["x_test"][:200], mnist["y_test"][:200]
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(10), size=200)
    fig = plots.show_misclassified(
        x, y, probabilities, DIGITS, probabilities=probabilities, max_images=16
    )
    assert len(image_axes(fig)) == 16 and titles(fig)[0].count("\n") == 2
    assert overlaps(fig) == []


def test_misclassified_titles_never_overlap_at_4_columns_like_lab_4(mnist):
    x = np.repeat(mnist["x_test"][:40, :, :, None], 3, axis=1)[:, :80, :, :]  # 80×28 "X-rays"
    y = np.arange(40) % 2
    p_pneumonia = np.where(y == 1, 0.07, 0.93)  # every prediction wrong and confident
    fig = plots.show_misclassified(
        x,
        y,
        p_pneumonia >= 0.5,
        ["NORMAL", "PNEUMONIA"],
        p_pneumonia,
        max_images=8,
        ncols=4,
        title="Test X-rays the model gets wrong (chosen threshold)",
    )
    assert "pred: PNEUMONIA" in titles(fig)[0]
    assert overlaps(fig) == []


def test_prediction_titles_of_show_images_never_overlap(mnist):
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"] * 2
    y = mnist["y_test"][:16]
    fig = plots.show_images(mnist["x_test"][:16], y, names, predictions=(y + 1) % 10)
    assert overlaps(fig) == []


# --------------------------------------------------------------------------- plot_filters


def test_plot_filters_draws_each_grayscale_filter_of_a_real_conv2d_min_max_scaled(keras):
    keras.utils.set_random_seed(0)
    conv = keras.layers.Conv2D(6, 3)
    conv.build((None, 28, 28, 1))
    kernel = conv.get_weights()[0]
    fig = plots.plot_filters(kernel, ncols=4)

    assert titles(fig) == [f"filter {i}" for i in range(6)]
    assert len(fig.axes) == 8 and [ax.axison for ax in fig.axes[6:]] == [False, False]
    for i, ax in enumerate(image_axes(fig)):
        image = ax.get_images()[0]
        shown = image.get_array()
        assert image.get_cmap().name == "gray"
        assert shown.shape == (3, 3)
        assert shown.min() == pytest.approx(0.0) and shown.max() == pytest.approx(1.0)
        w = kernel[:, :, 0, i]
        np.testing.assert_allclose(shown, (w - w.min()) / (w.max() - w.min()), rtol=1e-5)
    assert fig.get_suptitle() == "First-layer filters"


def test_plot_filters_draws_rgb_filters_in_colour_and_takes_the_layer_itself(keras):
    conv = keras.layers.Conv2D(4, 5)
    conv.build((None, 32, 32, 3))
    fig = plots.plot_filters(conv)
    shown = [ax.get_images()[0].get_array() for ax in image_axes(fig)]
    assert len(shown) == 4
    assert all(a.shape == (5, 5, 3) and a.min() == 0.0 and a.max() == 1.0 for a in shown)


def test_plot_filters_explains_how_to_draw_a_deeper_layer():
    with pytest.raises(ValueError, match=r"kernel\[:, :, :1, :\]"):
        plots.plot_filters(np.zeros((3, 3, 32, 64)))


# --------------------------------------------------------------------------- plot_feature_maps


def test_plot_feature_maps_draws_one_row_per_layer_labelled_with_its_shape(mnist, keras):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((28, 28, 1))
    conv = keras.layers.Conv2D(4, 3, activation="relu", name="conv2d")(inputs)
    pool = keras.layers.MaxPooling2D(name="max_pooling2d")(conv)
    deeper = keras.layers.Conv2D(10, 3, activation="relu", name="conv2d_1")(pool)
    probe = keras.Model(inputs, [conv, pool, deeper])
    maps = probe(mnist["x_train"][:1, :, :, None].astype("float32") / 255.0)

    fig = plots.plot_feature_maps(maps, ["conv2d", "max_pooling2d", "conv2d_1"], max_channels=6)

    grid = np.array(fig.axes).reshape(3, 6)
    assert [ax.get_ylabel() for ax in grid[:, 0]] == [
        "conv2d\n26×26×4",
        "max_pooling2d\n13×13×4",
        "conv2d_1\n11×11×10",
    ]
    images_per_row = [sum(bool(ax.get_images()) for ax in row) for row in grid]
    assert images_per_row == [4, 4, 6]
    assert [ax.axison for ax in grid[0, 4:]] == [False, False]
    assert grid[0, 0].get_images()[0].get_cmap().name == "viridis"
    np.testing.assert_allclose(
        grid[1, 2].get_images()[0].get_array(), np.asarray(maps[1])[0, :, :, 2]
    )
    assert [ax.get_title() for ax in grid[0, :4]] + [grid[2, 4].get_title()] == [
        "channel 0",
        "channel 1",
        "channel 2",
        "channel 3",
        "channel 4",
    ]
    assert fig.get_suptitle() == "Feature maps"


def test_plot_feature_maps_names_layers_by_number_and_rejects_a_batch():
    fig = plots.plot_feature_maps([np.ones((8, 8, 2)), np.ones((1, 4, 4, 3))])
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == [
        "layer 1\n8×8×2",
        "layer 2\n4×4×3",
    ]
    with pytest.raises(ValueError, match="one image"):
        plots.plot_feature_maps([np.ones((5, 8, 8, 2))])


# --------------------------------------------------------------------------- plot_roc_curve


@pytest.fixture(scope="module")
def three_or_eight(mnist):
    """Real scores: a logistic regression telling 3s from 8s on raw pixels."""
    from sklearn.linear_model import LogisticRegression

    x, y = mnist["x_train"], mnist["y_train"]
    keep = (y == 3) | (y == 8)
    x, y = x[keep].reshape(keep.sum(), -1) / 255.0, (y[keep] == 8).astype(int)
    half = len(y) // 2
    model = LogisticRegression(C=0.01, max_iter=300).fit(x[:half], y[:half])
    return y[half:], model.predict_proba(x[half:])[:, 1]


def test_plot_roc_curve_draws_sklearns_curve_its_auc_and_the_chance_level(three_or_eight):
    from sklearn.metrics import roc_auc_score, roc_curve

    y, scores = three_or_eight
    fig = plots.plot_roc_curve(y, scores)

    ax = fig.axes[0]
    assert legend_texts(ax) == [
        f"model (AUC = {roc_auc_score(y, scores):.2f})",
        "Chance level (AUC = 0.5)",
    ]
    curve, chance = ax.get_lines()[:2]
    fpr, tpr, _ = roc_curve(y, scores)
    np.testing.assert_allclose(curve.get_xdata(), fpr)
    np.testing.assert_allclose(curve.get_ydata(), tpr)
    assert chance.get_linestyle() == "--"
    np.testing.assert_allclose(chance.get_xydata(), [[0, 0], [1, 1]])
    assert ax.get_xlabel() == "false positive rate (1 − specificity)"
    assert ax.get_ylabel() == "true positive rate (sensitivity)"
    assert ax.get_title() == "ROC curve"


def test_plot_roc_curve_marks_each_threshold_at_its_operating_point(three_or_eight):
    y, scores = three_or_eight
    fig = plots.plot_roc_curve(y, scores, mark_thresholds=(0.5, 0.9))
    ax = fig.axes[0]
    assert all_texts(fig) == ["threshold 0.5", "threshold 0.9"]
    dots = ax.get_lines()[2:]
    for dot, threshold in zip(dots, (0.5, 0.9), strict=True):
        predicted = scores >= threshold
        assert dot.get_xdata()[0] == pytest.approx(predicted[y == 0].mean())  # FPR
        assert dot.get_ydata()[0] == pytest.approx(predicted[y == 1].mean())  # TPR
        assert dot.get_marker() == "o"


def test_plot_roc_curve_overlays_labelled_curves_each_with_its_auc_and_operating_point(
    three_or_eight,
):
    from sklearn.metrics import roc_auc_score, roc_curve

    y, scores = three_or_eight
    half = len(y) // 2
    curves = {"validation": (y[:half], scores[:half]), "test": (y[half:], scores[half:])}
    fig = plots.plot_roc_curve(curves=curves, mark_thresholds=(0.4,), title="Both halves")

    ax = fig.axes[0]
    assert legend_texts(ax) == [
        f"validation (AUC = {roc_auc_score(y[:half], scores[:half]):.2f})",
        f"test (AUC = {roc_auc_score(y[half:], scores[half:]):.2f})",
        "Chance level (AUC = 0.5)",
    ]
    first, second, chance = ax.get_lines()[:3]
    for line, (labels, s) in zip((first, second), curves.values(), strict=True):
        fpr, tpr, _ = roc_curve(labels, s)
        np.testing.assert_allclose(line.get_xdata(), fpr)
        np.testing.assert_allclose(line.get_ydata(), tpr)
    assert not same_color(first.get_color(), second.get_color())
    assert chance.get_linestyle() == "--"
    dots = ax.get_lines()[3:]
    assert len(dots) == 2 and all_texts(fig) == ["threshold 0.4", "threshold 0.4"]
    for dot, line, (labels, s) in zip(dots, (first, second), curves.values(), strict=True):
        predicted = s >= 0.4
        assert dot.get_xdata()[0] == pytest.approx(predicted[labels == 0].mean())  # FPR
        assert dot.get_ydata()[0] == pytest.approx(predicted[labels == 1].mean())  # TPR
        assert same_color(dot.get_color(), line.get_color())
    assert ax.get_title() == "Both halves"


def test_plot_roc_curve_keeps_its_legend_off_the_curves_and_operating_points(three_or_eight):
    y, scores = three_or_eight
    half = len(y) // 2
    curves = {"validation": (y[:half], scores[:half]), "test": (y[half:], scores[half:])}
    fig = plots.plot_roc_curve(curves=curves, mark_thresholds=(0.5, 0.1))
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    for line in ax.get_lines():
        if line.get_linestyle() == "--":
            continue  # the chance diagonal is not data
        points = ax.transData.transform(line.get_xydata())
        inside = [p for p in points if box.contains(*p)]
        assert not inside, f"the legend covers {len(inside)} point(s) of {line.get_label()!r}"


def test_plot_roc_curve_takes_either_one_curve_or_several():
    with pytest.raises(ValueError, match="either"):
        plots.plot_roc_curve([0, 1], [0.2, 0.8], curves={"a": ([0, 1], [0.2, 0.8])})
    with pytest.raises(ValueError, match="pass y_true and scores"):
        plots.plot_roc_curve()
    with pytest.raises(ValueError, match="empty"):
        plots.plot_roc_curve(curves={})


# --------------------------------------------------------------------------- plot_cv_scores


def test_plot_cv_scores_draws_one_bar_per_fold_and_the_mean_with_its_std():
    scores = [0.99, 0.985, 0.984, 0.99, 0.986]
    fig = plots.plot_cv_scores(scores)
    ax = fig.axes[0]

    assert [bar.get_height() for bar in ax.patches[: len(scores)]] == scores
    assert list(ax.get_xticks()) == [1, 2, 3, 4, 5]
    assert ax.get_xlabel() == "fold" and ax.get_ylabel() == "accuracy"
    mean, std = np.mean(scores), np.std(scores)  # population std, ddof=0
    assert legend_texts(ax) == [f"mean {mean:.3f} ± {std:.3f}"]
    assert legend_texts(ax) == ["mean 0.987 ± 0.003"]
    (mean_line,) = ax.get_lines()
    assert mean_line.get_ydata()[0] == pytest.approx(mean)
    assert all_texts(fig) == ["0.990", "0.985", "0.984", "0.990", "0.986"]
    assert ax.get_title() == "Cross-validation accuracy per fold"


# --------------------------------------------------------------------------- plot_comparison


RESULTS = {
    "Lab 2 baseline": {"test_accuracy": 0.74, "seconds": 80},
    "Lab 3 augmented": {"test_accuracy": 0.8125, "seconds": 142.4},
    "Lab 4 transfer": {"test_accuracy": 0.961, "seconds": 7.25},
}


def test_plot_comparison_draws_accuracy_in_percent_next_to_seconds():
    fig = plots.plot_comparison(RESULTS, title="Labs compared")
    accuracy, seconds = fig.axes

    assert [t.get_text() for t in accuracy.get_yticklabels()] == list(RESULTS)
    np.testing.assert_allclose([bar.get_width() for bar in accuracy.patches], [74.0, 81.25, 96.1])
    assert [t.get_text() for t in accuracy.texts] == ["74.0 %", "81.2 %", "96.1 %"]
    assert [t.get_text() for t in seconds.texts] == ["80 s", "142 s", "7.2 s"]
    assert accuracy.get_title() == "Test accuracy" and seconds.get_title() == "Seconds"
    assert accuracy.get_xlabel() == "test accuracy (%)"
    assert accuracy.get_ylim()[0] > accuracy.get_ylim()[1], "first entry should be on top"
    assert fig.get_suptitle() == "Labs compared"


def test_plot_comparison_leaves_out_the_secondary_panel_when_nobody_has_it():
    fig = plots.plot_comparison({"a": {"test_accuracy": 0.5}, "b": {"test_accuracy": 0.6}})
    assert len(fig.axes) == 1


def test_plot_comparison_marks_missing_values_and_names_the_keys_when_the_metric_is_absent():
    fig = plots.plot_comparison({"a": {"test_accuracy": 0.5, "seconds": 3}, "b": {"seconds": 4}})
    assert [t.get_text() for t in fig.axes[0].texts] == ["50.0 %", "n/a"]
    with pytest.raises(ValueError, match=r"'test_auc'.*\['seconds', 'test_accuracy'\]"):
        plots.plot_comparison({"a": {"test_accuracy": 0.5, "seconds": 3}}, metric="test_auc")


# --------------------------------------------------------------------------- the whole set


def test_every_function_returns_its_figure_and_leaves_global_settings_alone(mnist, history):
    before = dict(plt.rcParams)
    x, y = mnist["x_test"][:8], mnist["y_test"][:8]
    figures = [
        plots.plot_history(history),
        plots.show_images(x, y),
        plots.show_augmentations(x[0], lambda batch: batch, n=1),
        plots.plot_confusion_matrix(y, y, DIGITS),
        plots.show_misclassified(x, y, y, DIGITS),
        plots.plot_filters(np.random.default_rng(0).normal(size=(3, 3, 1, 4))),
        plots.plot_feature_maps([np.ones((6, 6, 2))]),
        plots.plot_roc_curve([0, 1, 0, 1], [0.1, 0.8, 0.4, 0.3]),
        plots.plot_cv_scores([0.9, 0.8]),
        plots.plot_comparison(RESULTS),
    ]
    assert all(isinstance(fig, Figure) for fig in figures)
    for fig in figures:
        fig.canvas.draw()  # layout and text rendering work
    assert dict(plt.rcParams) == before


def test_a_setting_turned_on_while_drawing_survives_like_jupyters_interactive_flag(monkeypatch):
    # Jupyter's inline backend switches `interactive` on when the first figure is created; if the
    # course style restored it afterwards, no later figure would be displayed in the notebook.
    real_subplots = plots.plt.subplots

    def subplots_that_activate_a_backend(*args, **kwargs):
        plt.rcParams["interactive"] = True
        return real_subplots(*args, **kwargs)

    monkeypatch.setattr(plots.plt, "subplots", subplots_that_activate_a_backend)
    plt.rcParams["interactive"] = False
    try:
        plots.plot_cv_scores([0.9, 0.92, 0.91])
        assert plt.rcParams["interactive"] is True
    finally:
        plt.rcParams["interactive"] = False


def test_plot_history_marks_an_epoch_in_every_panel():
    history = {
        "accuracy": [0.5, 0.7, 0.9],
        "val_accuracy": [0.5, 0.6, 0.55],
        "loss": [1, 0.5, 0.2],
        "val_loss": [1, 0.8, 0.9],
    }
    fig = plots.plot_history(history, mark_epoch=2)
    for ax in fig.axes:
        marks = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
        assert len(marks) == 1 and list(marks[0].get_xdata()) == [2, 2]
        assert "epoch 2" in [text.get_text() for text in ax.get_legend().get_texts()]
    unmarked = plots.plot_history(history)
    assert not [
        line for ax in unmarked.axes for line in ax.get_lines() if line.get_linestyle() == ":"
    ]
