"""Looking inside a trained classifier: where it looks, how sure it is, what its features separate.

* **Grad-CAM** (Selvaraju et al., 2017): ``grad_cam`` weighs each channel of a convolution's
  output by how much the class score grows with it (its gradient, averaged over the map), sums
  the weighted channels and keeps the positive part — a heat map of the places whose features
  raised the score. ``show_grad_cam`` draws it over the images; ``border_share`` measures how
  much of it lies near the image's edges (where X-ray markers and text sit).
* **Calibration**: ``calibration_bins`` groups predictions by probability and compares each
  group's average probability with how often it was right, with the 95 % interval of that
  observed rate; ``plot_calibration`` draws it with scikit-learn's ``CalibrationDisplay``.
* **A 2-D map of features**: ``plot_feature_map`` projects feature vectors with PCA and t-SNE
  (scikit-learn), coloured by class, the mistakes marked.

TensorFlow, Keras and scikit-learn are imported only when a function needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from helpers.evidence import Rate, rate
from helpers.plots import (
    CURVE_COLORS,
    TITLE_SIZE,
    clean_image_axis,
    course_style,
    draw_image,
    grid_shape,
    set_suptitle,
    subplots_grid,
    text_width,
    unit_range,
)

__all__ = [
    "CalibrationBin",
    "border_share",
    "calibration_bins",
    "grad_cam",
    "plot_calibration",
    "plot_feature_map",
    "show_grad_cam",
]

#: Colour map of the heat maps (0 = no heat, 1 = the map's maximum).
HEAT_CMAP = "jet"

#: Layers that may follow a convolution and belong to it (its activation).
_ACTIVATIONS = ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU")


# --------------------------------------------------------------------------- Grad-CAM


def _last_convolution(model) -> Any:
    """The model's last top-level convolution, or the activation layer right after it."""
    import keras

    convolutions = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
    layers = list(model.layers)
    found = None
    for index, layer in enumerate(layers):
        if isinstance(layer, convolutions):
            found = index
    if found is None:
        raise ValueError(
            f"{model.name} has no Conv2D layer among its top-level layers "
            f"({', '.join(type(layer).__name__ for layer in layers)}); pass layer=<the name of "
            "the layer whose feature maps Grad-CAM should weigh>"
        )
    while found + 1 < len(layers) and type(layers[found + 1]).__name__ in _ACTIVATIONS:
        found += 1
    return layers[found]


def grad_cam(
    model, images: Any, layer: Any = None, class_index: Any = None, batch_size: int = 32
) -> np.ndarray:
    """Grad-CAM heat maps (N, H, W) in [0, 1], at the images' size: where a class score comes from.

    Args:
        model: A built Keras model (Sequential or functional) that takes ``images`` as they are
            (e.g. 0–255 pixels when its first layer rescales) and ends in one sigmoid unit
            (the probability of class 1) or in one unit per class.
        images: A batch (N, H, W, C) (or one image (H, W, C)).
        layer: The layer whose output is weighed, a name or the layer itself; by default the
            last top-level convolution, after its activation when that is a separate layer.
        class_index: The class to explain, one for all images or one per image; by default
            each image's predicted class. With one sigmoid unit, class 1's score is the
            probability p and class 0's is 1 − p.
        batch_size: Images per gradient computation (memory grows with it).

    Returns:
        One map per image, bilinearly resized to the image, each divided by its own maximum
        (a map with no positive evidence is all zeros).
    """

    batch = np.asarray(images, dtype=np.float32)
    if batch.ndim == 3:
        batch = batch[None]
    if batch.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W, C) or (H, W, C); got {batch.shape}")
    if layer is None:
        layer = _last_convolution(model)
    elif isinstance(layer, str):
        layer = model.get_layer(layer)
    probe = _probe(model, layer, batch.shape[1:])
    chosen = None if class_index is None else np.broadcast_to(np.asarray(class_index), len(batch))
    heat = [
        _grad_cam_batch(
            probe, batch[i : i + batch_size], None if chosen is None else chosen[i : i + batch_size]
        )
        for i in range(0, len(batch), batch_size)
    ]
    heat = np.concatenate(heat)
    peaks = heat.max(axis=(1, 2), keepdims=True)
    return np.divide(heat, peaks, out=np.zeros_like(heat), where=peaks > 0)


def _grad_cam_batch(probe, batch: np.ndarray, class_index: np.ndarray | None) -> np.ndarray:
    """Unnormalised Grad-CAM maps of one batch, at the images' size."""
    import tensorflow as tf

    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        maps, outputs = probe(x, training=False)
        tape.watch(maps)
        outputs = tf.cast(outputs, tf.float32)
        if outputs.shape[-1] == 1:  # one sigmoid unit: class 1 scores p, class 0 scores 1 - p
            p = outputs[:, 0]
            predicted = tf.cast(p >= 0.5, tf.int32)
            chosen = predicted if class_index is None else tf.constant(class_index, tf.int32)
            scores = tf.where(chosen == 1, p, 1.0 - p)
        else:
            predicted = tf.argmax(outputs, axis=-1, output_type=tf.int32)
            chosen = predicted if class_index is None else tf.constant(class_index, tf.int32)
            scores = tf.gather(outputs, chosen, axis=1, batch_dims=1)
    # Each image's score depends on its own feature maps only, so one gradient serves the batch.
    gradients = tf.cast(tape.gradient(scores, maps), tf.float32)
    maps = tf.cast(maps, tf.float32)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)  # one weight per channel
    heat = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1, keepdims=True))
    return tf.image.resize(heat, batch.shape[1:3], method="bilinear")[..., 0].numpy()


def _probe(model, layer, image_shape: tuple[int, ...]):
    """A model from the images to [the layer's feature maps, the model's output]."""
    import keras

    if isinstance(model, keras.Sequential):  # its layers have no symbolic outputs: trace them
        x = inputs = keras.Input(image_shape)
        maps = None
        for each in model.layers:
            x = each(x)
            if each is layer:
                maps = x
        if maps is None:
            raise ValueError(f"layer {layer.name} is not one of {model.name}'s layers")
        outputs = x
    else:
        inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
        maps, outputs = layer.output, model.output
    if len(maps.shape) != 4:
        raise ValueError(
            f"layer {layer.name} has output shape {tuple(maps.shape)}; Grad-CAM needs "
            "feature maps (batch, height, width, channels)"
        )
    return keras.Model(inputs, [maps, outputs])


def border_share(maps: Any, width: int) -> np.ndarray:
    """The share of each heat map's total heat that lies within ``width`` pixels of its edges.

    Args:
        maps: Heat maps (N, H, W) (or one (H, W)), non-negative, e.g. from ``grad_cam``.
        width: The border's width in pixels, on every side.

    Returns:
        One share in [0, 1] per map; NaN for a map without any heat. A map spread evenly over
        the image scores the border's share of the area, ``1 - (H - 2w)(W - 2w) / (H W)``.
    """
    heat = np.asarray(maps, dtype=np.float64)
    if heat.ndim == 2:
        heat = heat[None]
    if heat.ndim != 3:
        raise ValueError(f"maps must have shape (N, H, W) or (H, W); got {heat.shape}")
    height, width_px = heat.shape[1:]
    if not 0 < width < min(height, width_px) / 2:
        raise ValueError(f"a border of {width} px does not fit a {height}×{width_px} map")
    inner = heat[:, width:-width, width:-width].sum(axis=(1, 2))
    total = heat.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (total - inner) / total, np.nan)


def show_grad_cam(
    images: Any,
    maps: Any,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    title: str | None = "Grad-CAM: where the score comes from",
    alpha: float = 0.45,
) -> Figure:
    """Draw each image, and below it the same image with its Grad-CAM heat map over it.

    Args:
        images: The images (N, H, W[, C]), any value range ``show_images`` accepts.
        maps: Their heat maps (N, H, W) in [0, 1], e.g. from ``grad_cam``.
        titles: Optional title per image (above the plain image), e.g. the true class, the
            prediction and its probability.
        ncols: Images per row (each takes two panels, one above the other).
        title: Title above the grid.
        alpha: Opacity of the heat map over the image.

    Returns:
        The figure, with a colour bar: 0 = no heat, 1 = the map's own maximum.
    """
    batch = unit_range(np.asarray(images))
    if batch.ndim == 2 or (batch.ndim == 3 and batch.shape[-1] in (1, 3)):
        batch = batch[None]  # one image
    if batch.ndim not in (3, 4):
        raise ValueError(f"images must have shape (N, H, W[, C]); got {batch.shape}")
    heat = np.asarray(maps, dtype=np.float32)
    if heat.ndim == 2:
        heat = heat[None]
    if len(heat) != len(batch) or heat.shape[1:3] != batch.shape[1:3]:
        raise ValueError(
            f"got {len(batch)} images of {batch.shape[1:3]} and {len(heat)} maps of "
            f"{heat.shape[1:3]}: one map per image, of the image's size"
        )
    n = len(batch)
    if n == 0:
        raise ValueError("show_grad_cam got no images")
    titles = list(titles) if titles is not None else [""] * n
    if len(titles) != n:
        raise ValueError(f"got {n} images but {len(titles)} titles")
    nrows, ncols = grid_shape(n, ncols)
    lines = max((t.count("\n") + 1 for t in titles if t), default=0)
    widest = max(
        (text_width(line, TITLE_SIZE) for t in titles for line in t.split("\n")), default=0
    )
    width = max(1.6, widest + 0.3)
    height = 2 * min(width, 1.7) + 0.2 * lines
    with course_style():
        fig, axes = subplots_grid(
            2 * nrows, ncols, figsize=(width * ncols + 1.0, height * nrows + 0.5)
        )
        for i in range(nrows * ncols):
            plain, overlaid = (
                axes[2 * (i // ncols), i % ncols],
                axes[2 * (i // ncols) + 1, i % ncols],
            )
            if i >= n:
                plain.axis("off")
                overlaid.axis("off")
                continue
            draw_image(plain, batch[i])
            if titles[i]:
                plain.set_title(titles[i], fontsize=TITLE_SIZE)
            draw_image(overlaid, batch[i])
            overlaid.imshow(heat[i], cmap=HEAT_CMAP, vmin=0.0, vmax=1.0, alpha=alpha)
            clean_image_axis(overlaid)
        bar = fig.colorbar(
            ScalarMappable(Normalize(0.0, 1.0), HEAT_CMAP), ax=axes, shrink=0.6, aspect=30
        )
        bar.set_label("Grad-CAM heat (1 = the map's maximum)")
        set_suptitle(fig, title)
    return fig


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class CalibrationBin:
    """Predictions whose probability fell in [low, high]: their mean, and how often they were 1."""

    low: float
    high: float
    mean_probability: float
    observed: Rate  # the fraction of positives, with its 95 % interval and n


def calibration_bins(
    y_true: Any, probabilities: Any, n_bins: int = 10, strategy: str = "uniform"
) -> list[CalibrationBin]:
    """The reliability table: per probability bin, the mean probability and the observed rate.

    Args:
        y_true: Binary labels (N,), 1 = the positive class.
        probabilities: The model's probability of class 1 (N,).
        n_bins: Number of bins.
        strategy: ``"uniform"`` (bins of equal width on [0, 1]) or ``"quantile"`` (bins of
            equal counts), binned exactly as ``sklearn.calibration.calibration_curve`` does.

    Returns:
        The non-empty bins in order. A well calibrated model has each ``mean_probability``
        inside its bin's ``observed`` interval.
    """
    y = np.asarray(y_true).astype(int).ravel()
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if len(y) != len(p):
        raise ValueError(f"got {len(y)} labels but {len(p)} probabilities")
    if len(p) == 0 or p.min() < 0 or p.max() > 1:
        raise ValueError("probabilities must be a non-empty array of values in [0, 1]")
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, n_bins + 1))
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile', not {strategy!r}")
    ids = np.searchsorted(edges[1:-1], p)  # as scikit-learn's calibration_curve bins
    found = []
    for b in range(n_bins):
        inside = ids == b
        n = int(inside.sum())
        if n:
            hits = int(y[inside].sum())
            found.append(
                CalibrationBin(
                    float(edges[b]), float(edges[b + 1]), float(p[inside].mean()), rate(hits / n, n)
                )
            )
    return found


def plot_calibration(
    y_true: Any,
    probabilities: Any,
    n_bins: int = 10,
    strategy: str = "uniform",
    title: str | None = "Calibration",
    name: str = "model",
) -> Figure:
    """Draw a reliability diagram (scikit-learn's ``CalibrationDisplay``) with 95 % intervals.

    Above: for each bin of predictions, the mean predicted probability (x) against the share
    that were positive (y), with a vertical bar for that share's 95 % interval (Wilson), and
    the diagonal of a perfectly calibrated model. Below: each bin's range of probabilities, as wide
    as it is, and how many predictions fell in it.

    Args:
        y_true: Binary labels (N,), 1 = the positive class.
        probabilities: The model's probability of class 1 (N,).
        n_bins: Number of bins.
        strategy: ``"uniform"`` or ``"quantile"`` (see ``calibration_bins``).
        title: Title above the figure.
        name: The curve's name in the legend.

    Returns:
        The figure; its legend sits outside the plot, so it covers no point.
    """
    from sklearn.calibration import CalibrationDisplay

    y = np.asarray(y_true).astype(int).ravel()
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    bins = calibration_bins(y, p, n_bins, strategy)
    with course_style():
        fig, axes = subplots_grid(
            2, 1, figsize=(6.8, 6.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
        )
        curve, counts = axes[0, 0], axes[1, 0]
        CalibrationDisplay.from_predictions(
            y,
            p,
            n_bins=n_bins,
            strategy=strategy,
            ax=curve,
            name=name,
            ref_line=True,
            marker="o",
            color="tab:blue",
        )
        means = [b.mean_probability for b in bins]
        observed = [b.observed.value for b in bins]
        below = [b.observed.value - b.observed.low for b in bins]
        above = [b.observed.high - b.observed.value for b in bins]
        curve.errorbar(
            means,
            observed,
            yerr=[below, above],
            fmt="none",
            ecolor="tab:blue",
            alpha=0.6,
            capsize=3,
            label="95 % interval of the share",
        )
        curve.set_xlabel("")
        curve.set_ylabel("share that was positive")
        curve.set_xlim(-0.02, 1.02)
        curve.set_ylim(-0.02, 1.02)
        curve.grid(True)
        curve.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        counts.bar(
            [b.low for b in bins],
            [b.observed.n for b in bins],
            width=[b.high - b.low for b in bins],
            align="edge",
            color="tab:blue",
            alpha=0.7,
            edgecolor="white",
            label="predictions per bin",
        )
        counts.set_xlabel("predicted probability (above: the bin's mean; below: its range)")
        counts.set_ylabel("count")
        counts.grid(True, axis="y")
        counts.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        if title:
            curve.set_title(title, fontsize=13, fontweight="bold")
    return fig


# --------------------------------------------------------------------------- feature maps in 2-D


def _embed(features: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, tuple[str, str]]:
    """2-D coordinates of the features, and the two axis labels."""
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed)
        points = pca.fit_transform(features)
        shares = pca.explained_variance_ratio_
        return points, tuple(f"PC {i + 1} ({shares[i]:.0%} of the variance)" for i in (0, 1))
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(features) - 1) / 3)
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
        return tsne.fit_transform(features), ("t-SNE 1", "t-SNE 2")
    raise ValueError(f"method must be 'pca' or 'tsne', not {method!r}")


def plot_feature_map(
    features: Any,
    labels: Any,
    class_names: Sequence[str],
    mistakes: Any = None,
    methods: Sequence[str] = ("pca", "tsne"),
    title: str | None = "Features in two dimensions",
    seed: int = 0,
) -> Figure:
    """Draw feature vectors projected to 2-D (PCA, t-SNE), coloured by class, mistakes marked.

    Args:
        features: One feature vector per image (N, D), e.g. a frozen base's pooled outputs.
        labels: True class ids (N,).
        class_names: One name per class, for the legend.
        mistakes: Optional boolean mask (N,) of the images a model got wrong: drawn with a
            black cross over their dot.
        methods: One panel per method, side by side: ``"pca"`` (a linear projection on the two
            directions of largest variance; the axis labels give their share of it) and/or
            ``"tsne"`` (a non-linear map that keeps neighbours together; its distances and
            axes mean nothing in themselves).
        title: Title above the panels.
        seed: Random state of PCA's solver and of t-SNE.

    Returns:
        The figure; the legend sits outside the last panel, so it covers no point.
    """
    x = np.asarray(features, dtype=np.float32)
    y = np.asarray(labels).astype(int).ravel()
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(
            f"features must be (N, D) with one label each; got {x.shape}, {len(y)} labels"
        )
    wrong = np.zeros(len(y), bool) if mistakes is None else np.asarray(mistakes, bool).ravel()
    if len(wrong) != len(y):
        raise ValueError(f"got {len(y)} labels but {len(wrong)} mistakes")
    if not methods:
        raise ValueError("methods is empty: pass 'pca', 'tsne' or both")
    colors = CURVE_COLORS
    with course_style():
        fig, axes = subplots_grid(1, len(methods), figsize=(4.6 * len(methods) + 1.6, 4.4))
        for ax, method in zip(axes[0], methods, strict=True):
            points, (xlabel, ylabel) = _embed(x, method, seed)
            for c, name in enumerate(class_names):
                here = y == c
                ax.scatter(
                    points[here, 0],
                    points[here, 1],
                    s=10,
                    alpha=0.6,
                    color=colors[c % len(colors)],
                    label=f"{name} ({int(here.sum())})",
                )
            if wrong.any():
                ax.scatter(
                    points[wrong, 0],
                    points[wrong, 1],
                    s=40,
                    marker="x",
                    color="black",
                    linewidths=1.2,
                    label=f"misclassified ({int(wrong.sum())})",
                )
            ax.set_title("PCA" if method == "pca" else "t-SNE")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True)
        axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=1.5)
        set_suptitle(fig, title)
    return fig
