"""Figures for the labs: training curves, image grids, confusion matrices, filters, ROC curves.

Every function draws one ``matplotlib.figure.Figure`` and returns it without calling
``plt.show()``. In JupyterLab a figure made with pyplot is displayed once at the end of the
cell; write ``fig = plot_history(history)`` (or end the line with ``;``) so that the returned
figure is not displayed a second time as the cell's value.

The look (font sizes, spines, grid colour) is set inside each function with
``plt.rc_context``; nothing changes the global matplotlib settings.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, PercentFormatter

__all__ = [
    "plot_comparison",
    "plot_confusion_matrix",
    "plot_cv_scores",
    "plot_feature_maps",
    "plot_filters",
    "plot_history",
    "plot_roc_curve",
    "show_augmentations",
    "show_images",
    "show_misclassified",
]

#: Title colour of a correct prediction.
RIGHT_COLOR = "tab:green"
#: Title colour of a wrong prediction.
WRONG_COLOR = "tab:red"

#: show_images draws one panel per image; more than this is almost always a forgotten slice.
MAX_GRID_IMAGES = 256

#: Font size of the title above each image of a grid.
TITLE_SIZE = 9
#: Colours of the curves or classes one figure compares, in order.
CURVE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")

_RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlepad": 6,
    "grid.color": "#b0b0b0",
    "grid.alpha": 0.35,
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.0,
    "lines.markersize": 4,
}


@contextmanager
def course_style():
    """The course look, applied only to figures created inside this context.

    Only the course's own keys are restored afterwards. ``plt.rc_context`` would restore every
    setting, including the ``interactive`` flag that Jupyter's inline backend turns on when the
    first figure is made, and from then on no figure would be displayed.
    """
    saved = {key: plt.rcParams[key] for key in _RC}
    plt.rcParams.update(_RC)
    try:
        yield
    finally:
        plt.rcParams.update(saved)


def subplots_grid(
    nrows: int, ncols: int, figsize: tuple[float, float], **kwargs
) -> tuple[Figure, Any]:
    """A constrained-layout figure with a 2-D array of axes."""
    return plt.subplots(
        nrows, ncols, figsize=figsize, squeeze=False, layout="constrained", **kwargs
    )


def set_suptitle(fig: Figure, title: str | None) -> None:
    if title:
        fig.suptitle(title)


def _to_numpy(values: Any) -> np.ndarray:
    """A numpy array from an array, a tensor, or a list of arrays/tensors."""
    if isinstance(values, list | tuple):
        return np.stack([np.asarray(v) for v in values])
    return np.asarray(values)


def _as_class_ids(values: Any, name: str) -> np.ndarray:
    """Integer class ids from ids, one-hot rows, softmax rows, or sigmoid outputs.

    (N, C) rows are arg-maxed; (N,) or (N, 1) floats that are not whole numbers are
    thresholded at 0.5 (a sigmoid output).
    """
    values = _to_numpy(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim == 2:
        return values.argmax(axis=1)
    if values.ndim != 1:
        raise ValueError(
            f"{name} must be class ids of shape (N,) or scores (N, C); got {values.shape}"
        )
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        return (values >= 0.5).astype(int)
    return values.astype(int)


def unit_range(images: Any) -> np.ndarray:
    """Images (one or a batch) as float32 in [0, 1], the scale decided for all of them at once.

    Integer images are divided by 255; float images only when their overall maximum is
    above 1.5 (i.e. they are still on the 0-255 scale), so a dark image in a 0-255 batch is
    not mistaken for a bright one.
    """
    images = np.asarray(images)
    if images.dtype.kind in "iu":
        scaled = images.astype(np.float32) / 255.0
    else:
        scaled = images.astype(np.float32)
        if scaled.size and np.nanmax(scaled) > 1.5:
            scaled = scaled / 255.0
    return np.clip(scaled, 0.0, 1.0)


def _panel(image: np.ndarray) -> np.ndarray:
    """One image as (H, W) or (H, W, 3): a trailing channel axis of 1 is dropped."""
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] in (3, 4))):
        raise ValueError(
            f"expected an image of shape (H, W), (H, W, 1) or (H, W, 3); got {image.shape}"
        )
    return image


def _as_image_batch(images: Any) -> np.ndarray:
    """A batch (N, H, W[, C]) from an array, a tensor or a list of images."""
    batch = _to_numpy(images)
    if batch.ndim == 2:  # a single grayscale image
        batch = batch[None]
    if batch.ndim not in (3, 4):
        raise ValueError(
            f"images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3); got {batch.shape}"
        )
    return batch


def draw_image(ax, image: np.ndarray, **kwargs) -> None:
    """Draw one [0, 1] image without ticks or frame; grayscale uses the gray colormap."""
    shown = _panel(image)
    if shown.ndim == 2:
        ax.imshow(shown, cmap="gray", vmin=0.0, vmax=1.0, **kwargs)
    else:
        ax.imshow(shown, **kwargs)
    clean_image_axis(ax)


def clean_image_axis(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def grid_shape(n: int, ncols: int) -> tuple[int, int]:
    """(rows, columns) of a grid of ``n`` panels, at most ``ncols`` per row."""
    ncols = max(1, min(int(ncols), n))
    return math.ceil(n / ncols), ncols


def _image_grid(
    images: Sequence[Any],
    titles: Sequence[str],
    colors: Sequence[str | None],
    ncols: int,
    title: str | None,
) -> Figure:
    """One panel per [0, 1] image with its (possibly coloured) title; unused cells off."""
    n = len(images)
    nrows, ncols = grid_shape(n, ncols)
    lines = max((t.count("\n") + 1 for t in titles if t), default=0)
    title_lines = [line for t in titles for line in t.split("\n")]
    widest = max((text_width(line, TITLE_SIZE) for line in title_lines), default=0)
    width = max(1.5, widest + 0.3)  # inches per panel: room for the widest title line
    height = min(width, 1.8) + 0.2 * lines  # the image, plus one text line per title line
    figure_width = max(width * ncols, 1.15 * text_width(title or "", 13) + 0.5)  # bold suptitle
    with course_style():
        fig, axes = subplots_grid(nrows, ncols, figsize=(figure_width, height * nrows + 0.4))
        for i, ax in enumerate(axes.flat):
            if i >= n:
                ax.axis("off")
                continue
            draw_image(ax, images[i])
            if titles[i]:
                ax.set_title(titles[i], fontsize=TITLE_SIZE, color=colors[i] or "black")
        set_suptitle(fig, title)
    return fig


def text_width(text: str, size: float) -> float:
    """Width in inches of one line of text at a font size, in matplotlib's default font."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size), False)
    return width / 72


def _class_name(label: Any, class_names: Sequence[str] | None) -> str:
    if class_names is None:
        return str(label)
    return str(class_names[int(label)])


# --------------------------------------------------------------------------- training curves


def draw_epoch_line(ax, epoch: int, label: str) -> None:
    """A dotted vertical line at ``epoch`` (counted from 1), e.g. the epoch a checkpoint kept."""
    ax.axvline(epoch, color="dimgray", linestyle=":", linewidth=1.5, label=label)


def history_dict(history: Any) -> dict[str, list[float]]:
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be a keras History, a dict of metric lists, or a dict of those; "
            f"got {type(history).__name__}"
        )
    return {str(k): [float(v) for v in np.ravel(vals)] for k, vals in history.items()}


def _is_run(value: Any) -> bool:
    return isinstance(value, Mapping) or hasattr(value, "history")


def _pretty(metric: str) -> str:
    return metric.replace("_", " ").capitalize()


def _is_fraction_metric(metric: str, values: Sequence[float]) -> bool:
    """True for accuracy-like metrics whose values all lie in [0, 1] (shown as percent)."""
    words = ("acc", "auc", "precision", "recall")
    return any(w in metric.lower() for w in words) and all(0.0 <= v <= 1.0 for v in values)


def plot_history(
    history: Any,
    metrics: Sequence[str] | str = ("accuracy", "loss"),
    title: str | None = None,
    mark_epoch: int | None = None,
) -> Figure:
    """Draw training curves: one panel per metric, training solid and validation dashed.

    Args:
        history: What ``model.fit`` returned (a ``keras.callbacks.History``), its
            ``.history`` dict (``{"accuracy": [...], "val_accuracy": [...], ...}``), or a
            mapping label -> History/dict to compare runs, e.g.
            ``{"baseline": h1, "augmented": h2}``. Each run gets one colour; its
            ``val_<metric>`` curve is dashed.
        metrics: Metric names to draw, side by side (a single name is also accepted).
            Metrics that no run recorded are skipped.
        title: Optional title above all panels.
        mark_epoch: Optional epoch (counted from 1) marked by a dotted vertical line in every
            panel, e.g. the best epoch that a ModelCheckpoint kept.

    Returns:
        The figure. Accuracy-like metrics in [0, 1] get a percent axis.

    Raises:
        ValueError: If none of ``metrics`` is in the history (the message lists the keys
            that are there).
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    if isinstance(history, Mapping) and history and all(_is_run(v) for v in history.values()):
        runs = {str(label): history_dict(run) for label, run in history.items()}
        single = False
    else:
        runs = {"": history_dict(history)}
        single = True

    available = sorted({key for run in runs.values() for key in run})
    present = [m for m in metrics if any(run.get(m) for run in runs.values())]
    if not present:
        raise ValueError(
            f"none of the metrics {list(metrics)} is in the history; it has these keys: {available}"
        )

    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    with course_style():
        fig, axes = subplots_grid(1, len(present), figsize=(5.2 * len(present), 3.8))
        for ax, metric in zip(axes[0], present, strict=True):
            all_values: list[float] = []
            for i, (label, run) in enumerate(runs.items()):
                color = colors[i % len(colors)]
                prefix = "" if single else f"{label} "
                for key, style, kind in (
                    (metric, "-", "train"),
                    (f"val_{metric}", "--", "validation"),
                ):
                    values = run.get(key)
                    if not values:
                        continue
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(
                        epochs,
                        values,
                        linestyle=style,
                        color=color,
                        marker="o",
                        label=f"{prefix}{kind}",
                    )
                    all_values += values
            ax.set_title(_pretty(metric))
            ax.set_xlabel("epoch")
            ax.set_ylabel(metric)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if _is_fraction_metric(metric, all_values):
                ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
            if mark_epoch is not None:
                draw_epoch_line(ax, mark_epoch, f"epoch {mark_epoch}")
            ax.grid(True)
            ax.legend()
        set_suptitle(fig, title)
    return fig


# --------------------------------------------------------------------------- image grids


def show_images(
    images: Any,
    labels: Any = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    title: str | None = None,
    predictions: Any = None,
) -> Figure:
    """Draw a grid of images, each titled with its class (and the prediction, if given).

    Args:
        images: Array or tensor of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), or a list
            of such images. uint8 0-255, float in [0, 1] and float in [0, 255] are all
            accepted (a float batch whose maximum is above 1.5 is divided by 255).
            Grayscale images use the ``gray`` colormap. Pass a slice such as
            ``x_train[:32]``: at most ``MAX_GRID_IMAGES`` images are drawn.
        labels: Optional class ids (N,) (one-hot rows are arg-maxed) for the titles.
        class_names: Optional names indexed by class id; without them the id is shown.
        ncols: Panels per row.
        title: Optional title above the grid.
        predictions: Optional predicted class ids, or the model's probabilities
            (arg-maxed, or thresholded at 0.5 for a single sigmoid output). Titles become
            ``"true: X\\npred: Y"``, green when right and red when wrong; needs ``labels``.

    Returns:
        The figure; cells after the last image are switched off.
    """
    batch = _as_image_batch(images)
    n = len(batch)
    if n == 0:
        raise ValueError("show_images got no images")
    if n > MAX_GRID_IMAGES:
        raise ValueError(
            f"show_images draws one panel per image and got {n}; pass a slice such as images[:32]"
        )
    true = None if labels is None else _as_class_ids(labels, "labels")
    pred = None if predictions is None else _as_class_ids(predictions, "predictions")
    if pred is not None and true is None:
        raise ValueError("predictions need labels to compare with")
    for name, values in (("labels", true), ("predictions", pred)):
        if values is not None and len(values) != n:
            raise ValueError(f"got {n} images but {len(values)} {name}")

    titles: list[str] = [""] * n
    colors: list[str | None] = [None] * n
    if true is not None:
        for i in range(n):
            if pred is None:
                titles[i] = _class_name(true[i], class_names)
            else:
                titles[i] = (
                    f"true: {_class_name(true[i], class_names)}\n"
                    f"pred: {_class_name(pred[i], class_names)}"
                )
                colors[i] = RIGHT_COLOR if true[i] == pred[i] else WRONG_COLOR
    return _image_grid(unit_range(batch), titles, colors, ncols, title)


def _call_augment(augment: Callable, batch: np.ndarray) -> Any:
    """``augment(batch, training=True)``, or ``augment(batch)`` if it takes no ``training``."""
    try:
        params = inspect.signature(augment).parameters.values()
    except (TypeError, ValueError):
        return augment(batch, training=True)
    if any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in params):
        return augment(batch, training=True)
    return augment(batch)


def show_augmentations(
    image: Any,
    augment: Callable,
    n: int = 8,
    ncols: int = 4,
    title: str | None = "Augmented versions of one image",
    seed: int | None = 0,
) -> Figure:
    """Draw one image and ``n`` random augmentations of it, to see what the model trains on.

    Args:
        image: One image (H, W), (H, W, 1) or (H, W, 3), array or tensor, any of the
            value ranges ``show_images`` accepts. It is passed to ``augment`` as float32 on
            its original scale.
        augment: A Keras layer or ``keras.Sequential`` of random layers, or any callable
            taking a batch; it is called as ``augment(image[None], training=True)`` (without
            ``training`` if the callable does not accept it).
        n: Number of augmented panels after the original.
        ncols: Panels per row.
        title: Title above the grid (None for none).
        seed: Passed to ``keras.utils.set_random_seed`` first (None skips this). This
            seeds Python, NumPy and TensorFlow globally. Keras random layers draw from their
            own seed generator, fixed when the layer is built: for repeatable panels build
            them with ``seed=...`` or after ``keras.utils.set_random_seed``.

    Returns:
        The figure: panel 1 titled "original", then "augmented 1" ... "augmented n".
    """
    if seed is not None:
        try:
            import keras
        except ImportError:  # plain callables work without keras
            pass
        else:
            keras.utils.set_random_seed(seed)
    original = np.asarray(image)
    batch = original.astype(np.float32)
    if batch.ndim == 2:
        batch = batch[..., None]
    batch = batch[None]
    augmented = [np.asarray(_call_augment(augment, batch))[0] for _ in range(n)]
    # The original and the augmentations are scaled for display separately, so a uint8
    # original and float augmentations on the 0-255 scale look alike.
    panels = [unit_range(original)] + (list(unit_range(np.stack(augmented))) if n else [])
    titles = ["original"] + [f"augmented {i}" for i in range(1, n + 1)]
    fig = _image_grid(panels, titles, [None] * len(panels), ncols, title)
    fig.axes[0].title.set_fontweight("bold")
    return fig


# --------------------------------------------------------------------------- evaluation


def _check_class_ids(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> None:
    """Raise a ValueError unless both arrays have the same length and ids in 0..k-1."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if len(values) and (values.min() < 0 or values.max() >= k):
            raise ValueError(
                f"{name} has labels outside 0..{k - 1} (the {k} class_names): "
                f"{sorted(set(values[(values < 0) | (values >= k)].tolist()))[:10]}"
            )


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str],
    normalize: bool = False,
    title: str | None = "Confusion matrix",
) -> Figure:
    """Draw the confusion matrix with scikit-learn's ``ConfusionMatrixDisplay``, counts in cells.

    Row = true class, column = predicted class, so the diagonal holds the correct
    predictions. ``sklearn.metrics.ConfusionMatrixDisplay.from_predictions`` draws the same
    from your own code.

    Args:
        y_true: True class ids (N,) in 0..len(class_names)-1 (one-hot rows are arg-maxed).
        y_pred: Predicted class ids (N,), or the model's probabilities (arg-maxed, or
            thresholded at 0.5 for a single sigmoid output).
        class_names: One name per class, used as tick labels.
        normalize: If False, colour by count and write the count in each cell. If True,
            colour by the share of the true class (row percentage) and write the count
            with the row percentage on a second line, which makes rare classes readable.
        title: Title above the matrix.

    Returns:
        The figure.
    """
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    k = len(class_names)
    true, pred = _as_class_ids(y_true, "y_true"), _as_class_ids(y_pred, "y_pred")
    _check_class_ids(true, pred, k)
    counts = confusion_matrix(true, pred, labels=np.arange(k))
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    names = [str(c) for c in class_names]
    rotate = max((len(name) for name in names), default=0) > 4
    size = min(max(4.5, 0.6 * k + 2.5), 12.0)
    with course_style():
        fig, axes = subplots_grid(1, 1, figsize=(size + 1.0, size))
        ax = axes[0, 0]
        display = ConfusionMatrixDisplay(shares if normalize else counts, display_labels=names)
        display.plot(
            ax=ax,
            cmap="Blues",
            values_format=".0%" if normalize else "d",
            xticks_rotation=45 if rotate else "horizontal",
            text_kw={"fontsize": 9 if k <= 10 else 7},
        )
        if normalize:
            display.im_.set_clim(0.0, 1.0)
            display.im_.colorbar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
            for (i, j), text in np.ndenumerate(display.text_):
                text.set_text(f"{counts[i, j]}\n{text.get_text()}")
        display.im_.colorbar.set_label("share of the true class" if normalize else "count")
        if rotate:
            plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
        if title:
            ax.set_title(title, fontsize=13, fontweight="bold")
    return fig


def show_misclassified(
    images: Any,
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str],
    probabilities: Any = None,
    max_images: int = 16,
    ncols: int = 8,
    title: str | None = "Misclassified examples",
    most_confident_first: bool = False,
) -> Figure:
    """Draw the images the model got wrong, titled with the true and the predicted class.

    Args:
        images: The evaluated images, shape (N, H, W[, C]) (see ``show_images``).
        y_true: True class ids (N,).
        y_pred: Predicted class ids (N,), or probabilities (arg-maxed / thresholded at 0.5).
        class_names: One name per class.
        probabilities: Optional model outputs: (N,) = probability of class 1 for a binary
            model, or (N, C) softmax rows. Titles then get a third line "p = 0.93", the
            probability the model gave to the class it predicted.
        max_images: Show at most this many mistakes, the first ones in dataset order (or the
            most confident ones, see ``most_confident_first``).
        ncols: Panels per row (each panel is as wide as its longest title line).
        title: Title above the grid; " (first 16 of 123)" is appended when not all
            mistakes fit (" (16 most confident of 123)" with ``most_confident_first``).
        most_confident_first: Order the mistakes by the probability the model gave to the
            class it predicted, highest first, instead of in dataset order (needs
            ``probabilities``): the mistakes it was surest of.

    Returns:
        The figure. With no mistakes it holds only the text "No misclassified images".
    """
    batch = _as_image_batch(images)
    true = _as_class_ids(y_true, "y_true")
    pred = _as_class_ids(y_pred, "y_pred")
    if not len(batch) == len(true) == len(pred):
        raise ValueError(
            f"got {len(batch)} images, {len(true)} y_true and {len(pred)} y_pred; "
            "they must have the same length"
        )
    wrong = np.flatnonzero(true != pred)
    if len(wrong) == 0:
        with course_style():
            fig, axes = subplots_grid(1, 1, figsize=(5, 1.8))
            ax = axes[0, 0]
            ax.axis("off")
            ax.text(
                0.5,
                0.5,
                "No misclassified images",
                ha="center",
                va="center",
                fontsize=13,
                transform=ax.transAxes,
            )
            set_suptitle(fig, title)
        return fig

    probs = None if probabilities is None else _to_numpy(probabilities).astype(float)
    if probs is not None and probs.ndim == 2 and probs.shape[1] == 1:
        probs = probs[:, 0]
    if most_confident_first:
        if probs is None:
            raise ValueError(
                "most_confident_first needs the probabilities to order the mistakes by"
            )
        sure = (
            probs[wrong, pred[wrong]]
            if probs.ndim == 2
            else np.where(pred[wrong] == 1, probs[wrong], 1.0 - probs[wrong])
        )
        wrong = wrong[np.argsort(-sure, kind="stable")]
    shown = wrong[: max(int(max_images), 1)]
    titles = []
    for i in shown:
        text = (
            f"true: {_class_name(true[i], class_names)}\npred: {_class_name(pred[i], class_names)}"
        )
        if probs is not None:
            if probs.ndim == 1:
                p = probs[i] if pred[i] == 1 else 1.0 - probs[i]
            else:
                p = probs[i, pred[i]]
            text += f"\np = {p:.2f}"
        titles.append(text)
    if title and len(shown) < len(wrong):
        first = f"{len(shown)} most confident" if most_confident_first else f"first {len(shown)}"
        title = f"{title} ({first} of {len(wrong)})"
    panels = unit_range(batch)[shown]  # scaled like the whole batch
    return _image_grid(panels, titles, [WRONG_COLOR] * len(shown), ncols, title)


def plot_roc_curve(
    y_true: Any = None,
    scores: Any = None,
    title: str | None = "ROC curve",
    mark_thresholds: Sequence[float] = (0.5,),
    name: str = "model",
    *,
    curves: Mapping[str, tuple[Any, Any]] | None = None,
) -> Figure:
    """Draw ROC curves with scikit-learn's ``RocCurveDisplay``, their AUCs and operating points.

    ``sklearn.metrics.RocCurveDisplay.from_predictions`` draws each curve, its area under the
    curve (in the legend) and the chance level; this adds a dot for each decision threshold on
    every curve, in the curve's colour. The legend sits in the lower right corner, below the
    chance diagonal, where a curve better than chance never passes.

    Args:
        y_true: Binary labels (N,), 0/1 or False/True; 1 is the positive class.
        scores: The model's score for the positive class (N,) (e.g. a sigmoid output);
            (N, 1) is flattened and (N, 2) softmax rows use column 1.
        title: Title above the plot.
        mark_thresholds: Decision thresholds to mark on each curve with a dot and the
            label "threshold 0.5" (two significant digits); a sample counts as positive
            when ``score >= threshold``.
        name: The curve's name in the legend.
        curves: Instead of ``y_true`` and ``scores``: several curves to overlay, as
            ``{name: (y_true, scores)}`` in drawing order, e.g. ``{"validation": (y_val, p_val),
            "test": (y_test, p_test)}``.

    Returns:
        The figure; the legend reads "model (AUC = 0.97)" for each curve, then the chance level.
    """
    from sklearn.metrics import RocCurveDisplay

    colors = CURVE_COLORS

    def positive_scores(values: Any) -> np.ndarray:
        s = _to_numpy(values).astype(float)
        if s.ndim == 2:
            s = s[:, 0] if s.shape[1] == 1 else s[:, 1]
        return s

    if curves is None:
        if y_true is None or scores is None:
            raise ValueError("pass y_true and scores, or curves={name: (y_true, scores)}")
        curves = {name: (y_true, scores)}
    elif y_true is not None or scores is not None:
        raise ValueError("pass either y_true and scores, or curves, not both")
    if not curves:
        raise ValueError("curves is empty: pass at least one {name: (y_true, scores)}")
    if len(curves) > len(colors):
        raise ValueError(f"at most {len(colors)} curves fit one plot, got {len(curves)}")
    drawn = [
        (label, np.asarray(y).astype(int).ravel(), positive_scores(s), color)
        for (label, (y, s)), color in zip(curves.items(), colors, strict=False)
    ]

    with course_style():
        fig, axes = subplots_grid(1, 1, figsize=(5.2, 5.0))
        ax = axes[0, 0]
        for index, (label, y, s, color) in enumerate(drawn):
            RocCurveDisplay.from_predictions(
                y,
                s,
                ax=ax,
                name=label,
                plot_chance_level=index == len(drawn) - 1,  # last, so it closes the legend
                curve_kwargs={"color": color},
                chance_level_kw={"color": "gray", "linestyle": "--", "linewidth": 1.2},
            )
        for index, (_, y, s, color) in enumerate(drawn):
            positives, negatives = s[y == 1], s[y == 0]
            for threshold in mark_thresholds:
                point_fpr = float(np.mean(negatives >= threshold))
                point_tpr = float(np.mean(positives >= threshold))
                ax.plot(
                    [point_fpr],
                    [point_tpr],
                    "o",
                    color=color,
                    markeredgecolor="black",
                    markersize=7,
                    zorder=3,
                )
                ax.annotate(
                    f"threshold {threshold:.2g}",
                    (point_fpr, point_tpr),
                    xytext=(8, -14 - 12 * index),  # one curve's labels under the other's
                    textcoords="offset points",
                    color=color,
                )
        ax.set_xlabel("false positive rate (1 − specificity)")
        ax.set_ylabel("true positive rate (sensitivity)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True)
        ax.legend(loc="lower right")
        if title:
            ax.set_title(title, fontsize=13, fontweight="bold")
    return fig


def plot_cv_scores(
    scores: Sequence[float],
    title: str | None = "Cross-validation accuracy per fold",
) -> Figure:
    """Draw per-fold accuracy as bars with the mean ± standard deviation as a line and band.

    Args:
        scores: One accuracy per fold (fold 1..k), e.g. from ``cross_val_score``.
        title: Title above the plot.

    Returns:
        The figure. The legend reads "mean 0.987 ± 0.003" with the population standard
        deviation (``np.std``, ddof=0). The y axis is zoomed to the scores (it does not start
        at 0) so that fold-to-fold differences are visible; each bar is labelled with its
        value.
    """
    values = np.asarray(scores, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("plot_cv_scores got no scores")
    mean, std = float(values.mean()), float(values.std(ddof=0))
    folds = np.arange(1, len(values) + 1)
    spread = max(float(values.max() - values.min()), std, 0.005)
    low, high = float(values.min()) - 1.5 * spread, float(values.max()) + 1.0 * spread
    if values.min() >= 0:
        low = max(low, 0.0)
    if values.max() <= 1:
        high = min(high, 1.0 + 0.2 * spread)

    with course_style():
        fig, axes = subplots_grid(1, 1, figsize=(max(4.5, 0.8 * len(values) + 2.5), 3.8))
        ax = axes[0, 0]
        bars = ax.bar(folds, values, color="#9ecae1", edgecolor="#3182bd", width=0.6, zorder=2)
        ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], padding=2, fontsize=8)
        ax.axhspan(mean - std, mean + std, color="tab:orange", alpha=0.15, zorder=1)
        ax.axhline(
            mean, color="tab:orange", linewidth=2, zorder=3, label=f"mean {mean:.3f} ± {std:.3f}"
        )
        ax.set_xticks(folds)
        ax.set_xlabel("fold")
        ax.set_ylabel("accuracy")
        ax.set_ylim(low, high)
        ax.grid(True, axis="y")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%.3f"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        if title:
            ax.set_title(title, fontsize=13, fontweight="bold")
    return fig


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plot_comparison(
    results: Mapping[str, Mapping[str, Any]],
    metric: str = "test_accuracy",
    secondary: str | None = "seconds",
    title: str | None = None,
) -> Figure:
    """Draw horizontal bars comparing runs: the metric on the left, e.g. seconds on the right.

    Args:
        results: Label -> dict of numbers, e.g.
            ``{"Lab 2 baseline": {"test_accuracy": 0.74, "seconds": 80}, ...}``; bars are
            drawn top to bottom in this order. Missing or non-numeric values show "n/a".
        metric: Key drawn on the left. An accuracy (name containing "acc") with all values
            in [0, 1] is drawn in percent and annotated "74.0 %".
        secondary: Key drawn on the right (annotated "80 s" when the name contains
            "second"); the panel is left out when no entry has it, or when None.
        title: Optional title above both panels.

    Returns:
        The figure.

    Raises:
        ValueError: If no entry has ``metric``.
    """
    labels = [str(label) for label in results]
    rows = list(results.values())
    main = [_number(row.get(metric)) for row in rows]
    if all(v is None for v in main):
        keys = sorted({str(k) for row in rows for k in row})
        raise ValueError(f"no entry of results has {metric!r}; the keys are: {keys}")
    second = [_number(row.get(secondary)) for row in rows] if secondary else []
    panels = [(metric, main)]
    if any(v is not None for v in second):
        panels.append((secondary, second))

    positions = np.arange(len(labels))
    with course_style():
        fig, axes = subplots_grid(
            1,
            len(panels),
            figsize=(4.6 * len(panels) + 1.6, 0.5 * len(labels) + 1.6),
            sharey=True,
        )
        for ax, (key, values), color in zip(axes[0], panels, ("#3182bd", "#9e9ac8"), strict=False):
            present = [v for v in values if v is not None]
            percent = "acc" in key.lower() and all(0.0 <= v <= 1.0 for v in present)
            scale = 100.0 if percent else 1.0
            widths = [0.0 if v is None else v * scale for v in values]
            ax.barh(positions, widths, color=color, height=0.6, zorder=2)
            top = max(max(widths), 1e-9)
            for y, v in zip(positions, values, strict=True):
                if v is None:
                    text = "n/a"
                elif percent:
                    text = f"{v * 100:.1f} %"
                elif "second" in key.lower():
                    text = f"{v:.0f} s" if abs(v) >= 10 else f"{v:.1f} s"
                else:
                    text = f"{v:.3g}"
                ax.text(
                    (0.0 if v is None else v * scale) + 0.01 * top, y, text, va="center", fontsize=9
                )
            ax.set_xlim(0, 100.0 * 1.12 if percent else top * 1.22)
            ax.set_title(_pretty(key))
            ax.set_xlabel(f"{key.replace('_', ' ')}" + (" (%)" if percent else ""))
            ax.grid(True, axis="x")
        axes[0, 0].set_yticks(positions, labels)
        axes[0, 0].invert_yaxis()
        set_suptitle(fig, title)
    return fig


# --------------------------------------------------------------------------- inside the network


def plot_filters(
    kernel: Any,
    ncols: int = 8,
    title: str | None = "First-layer filters",
) -> Figure:
    """Draw each first-layer convolution filter as a small image.

    Args:
        kernel: Array of shape (kh, kw, in_channels, out_channels), e.g.
            ``conv_layer.get_weights()[0]``; a Conv2D layer itself is accepted too.
            in_channels must be 1 (drawn in grayscale) or 3 (drawn as RGB); for a deeper
            layer, pick one input channel: ``kernel[:, :, :1, :]``.
        ncols: Panels per row.
        title: Title above the grid.

    Returns:
        The figure. Panel "filter i" shows ``kernel[:, :, :, i]`` (the filter that makes
        channel i of the layer's output), min-max scaled on its own: darkest = its lowest
        weight, brightest = its highest.
    """
    if hasattr(kernel, "get_weights"):
        kernel = kernel.get_weights()[0]
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4:
        raise ValueError(
            f"kernel must have shape (kh, kw, in_channels, out_channels); got {kernel.shape}"
        )
    in_ch, out_ch = kernel.shape[2], kernel.shape[3]
    if in_ch not in (1, 3):
        raise ValueError(
            f"plot_filters draws kernels with 1 (grayscale) or 3 (RGB) input channels; this one "
            f"has {in_ch}. Pick one input channel, e.g. kernel[:, :, :1, :]"
        )
    nrows, ncols = grid_shape(out_ch, ncols)
    with course_style():
        fig, axes = subplots_grid(nrows, ncols, figsize=(1.2 * ncols + 0.3, 1.3 * nrows + 0.6))
        for i, ax in enumerate(axes.flat):
            if i >= out_ch:
                ax.axis("off")
                continue
            weights = kernel[:, :, :, i]
            low, high = float(weights.min()), float(weights.max())
            scaled = (weights - low) / (high - low) if high > low else np.zeros_like(weights)
            if in_ch == 1:
                ax.imshow(scaled[:, :, 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(scaled, interpolation="nearest")
            clean_image_axis(ax)
            ax.set_title(f"filter {i}", fontsize=9)
        set_suptitle(fig, title)
        fig.supxlabel(
            "each filter scaled to its own range: darkest = lowest weight, brightest = highest",
            fontsize=8,
            color="dimgray",
        )
    return fig


def plot_feature_maps(
    feature_maps: Sequence[Any],
    layer_names: Sequence[str] | None = None,
    max_channels: int = 8,
    title: str | None = "Feature maps",
) -> Figure:
    """Draw the activations of successive layers for one image, one row per layer.

    Args:
        feature_maps: List of activations, each (H, W, C) or (1, H, W, C), e.g. the
            outputs of ``keras.Model(model.inputs, [l.output for l in conv_layers])`` on
            ``image[None]``. A single array is taken as one layer.
        layer_names: Optional name per layer (default "layer 1", "layer 2", ...).
        max_channels: Channels shown per row (the first ones: channel 0, 1, ...).
        title: Title above the grid.

    Returns:
        The figure. Each row is labelled "name\\nH×W×C", e.g. "conv2d\\n26×26×32", so one
        sees convolutions and pooling shrink height and width while depth grows. Each
        panel uses viridis scaled to its own range.
    """
    if not isinstance(feature_maps, list | tuple):
        feature_maps = [feature_maps]
    maps = []
    for index, fmap in enumerate(feature_maps):
        array = np.asarray(fmap)
        if array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != 3:
            raise ValueError(
                f"feature map {index} has shape {array.shape}; expected (H, W, C) or (1, H, W, C) "
                "(the activations of one image)"
            )
        maps.append(array)
    if not maps:
        raise ValueError("plot_feature_maps got no feature maps")
    if layer_names is None:
        layer_names = [f"layer {i}" for i in range(1, len(maps) + 1)]
    if len(layer_names) != len(maps):
        raise ValueError(f"got {len(maps)} feature maps but {len(layer_names)} layer_names")

    ncols = max(1, min(int(max_channels), max(m.shape[-1] for m in maps)))
    with course_style():
        fig, axes = subplots_grid(
            len(maps), ncols, figsize=(1.3 * ncols + 1.2, 1.35 * len(maps) + 0.6)
        )
        titled: set[int] = set()
        for row, (fmap, name) in enumerate(zip(maps, layer_names, strict=True)):
            height, width, channels = fmap.shape
            for col in range(ncols):
                ax = axes[row, col]
                if col >= channels:
                    ax.axis("off")
                    continue
                ax.imshow(fmap[:, :, col], cmap="viridis", interpolation="nearest")
                clean_image_axis(ax)
                if col not in titled:  # label each column once, on its first panel
                    ax.set_title(f"channel {col}", fontsize=8)
                    titled.add(col)
            axes[row, 0].set_ylabel(
                f"{name}\n{height}×{width}×{channels}",
                fontsize=9,
                rotation=0,
                ha="right",
                va="center",
            )
        set_suptitle(fig, title)
    return fig
