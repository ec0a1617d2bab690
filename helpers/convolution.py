"""What a convolution sees: receptive fields of a Keras model, and two figures for Lab 1.

* ``receptive_field(model)`` — how many input pixels (per side) one value of the last spatial
  layer depends on;
* ``plot_convolution_step`` — one output of a convolution: the window on the image, the filter,
  and where the result lands in the feature map;
* ``plot_receptive_fields`` — squares of given sides drawn on an image, to compare networks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from helpers.plots import clean_image_axis, course_style, set_suptitle, subplots_grid, unit_range

__all__ = ["plot_convolution_step", "plot_receptive_fields", "receptive_field"]


def _pair(value: Any) -> int:
    """The first of a Keras (height, width) pair, or the value itself."""
    return int(value[0] if isinstance(value, tuple | list) else value)


def receptive_field(model) -> int:
    """Side, in input pixels, of the patch that one value of the model's last spatial layer sees.

    Walks the layers in order with the usual recursion: a layer with window ``k`` and stride ``s``
    grows the field by ``(k - 1) · jump`` and multiplies the jump (the input-pixel distance between
    neighbouring outputs) by ``s``. Convolutions and poolings count; every other layer (Rescaling,
    activations, Dropout, BatchNormalization) leaves it unchanged. It stops at the first layer
    without height and width (Flatten, Dense, global pooling).
    """
    field, jump = 1, 1
    for layer in model.layers:
        if len(layer.output.shape) != 4:
            break
        config = layer.get_config()
        window = config.get("kernel_size", config.get("pool_size"))
        if window is None:
            continue
        strides = config.get("strides") or window  # pooling defaults its stride to its window
        dilation = _pair(config.get("dilation_rate", 1))
        field += (dilation * (_pair(window) - 1)) * jump
        jump *= _pair(strides)
    return field


def plot_convolution_step(
    image: Any,
    kernel: Any,
    feature_map: Any,
    row: int,
    col: int,
    title: str | None = "One output of a convolution",
) -> Figure:
    """Three panels: the image with the kernel's window at (row, col), the kernel with its
    weights written in, and the feature map with the output at (row, col) marked.

    ``image`` is (H, W) or (H, W, 1); ``kernel`` (k, k) or (k, k, 1, 1); ``feature_map`` the
    'valid' convolution of the two, (H - k + 1, W - k + 1) or with a trailing channel axis of 1.
    """
    picture = unit_range(np.asarray(image)).reshape(np.shape(image)[:2])
    weights = np.asarray(kernel, dtype=np.float32)
    weights = weights.reshape(weights.shape[:2])
    fmap = np.asarray(feature_map, dtype=np.float32)
    fmap = fmap.reshape(fmap.shape[:2])
    k = weights.shape[0]
    if fmap.shape != (picture.shape[0] - k + 1, picture.shape[1] - k + 1):
        raise ValueError(
            f"a {k}×{k} 'valid' convolution of a {picture.shape} image gives "
            f"{(picture.shape[0] - k + 1, picture.shape[1] - k + 1)}; got a {fmap.shape} map"
        )
    window_box = {"fill": False, "edgecolor": "tab:red", "linewidth": 2.0}
    with course_style():
        fig, axes = subplots_grid(1, 3, figsize=(10.5, 3.8), width_ratios=[1.0, 0.75, 1.0])
        left, middle, right = axes[0]
        left.imshow(picture, cmap="gray", vmin=0.0, vmax=1.0)
        left.add_patch(Rectangle((col - 0.5, row - 0.5), k, k, **window_box))
        left.set_title(f"image: the {k}×{k} window at row {row}, column {col}")
        limit = float(np.abs(weights).max()) or 1.0
        middle.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (i, j), w in np.ndenumerate(weights):
            color = "white" if abs(w) > 0.6 * limit else "black"
            middle.text(j, i, f"{w:g}", ha="center", va="center", fontsize=12, color=color)
        middle.set_title("kernel (weights)")
        bound = float(np.abs(fmap).max()) or 1.0
        right.imshow(fmap, cmap="RdBu_r", vmin=-bound, vmax=bound)
        right.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, **window_box))
        right.set_title(f"feature map: {fmap[row, col]:.2f} at ({row}, {col})")
        for ax in (left, middle, right):
            clean_image_axis(ax)
        set_suptitle(fig, title)
        fig.supxlabel(
            "output = sum of (window × kernel), element by element; "
            "red = positive, blue = negative",
            fontsize=9,
            color="dimgray",
        )
    return fig


def plot_receptive_fields(
    image: Any,
    fields: Mapping[str, int],
    title: str | None = "What one value of the last layer sees",
) -> Figure:
    """The image with one centred square per entry of ``fields`` (label → side in pixels)."""
    picture = unit_range(np.asarray(image))
    picture = picture.reshape(picture.shape[:2])
    height, width = picture.shape
    colors = ["tab:orange", "tab:blue", "tab:green", "tab:red"]
    with course_style():
        fig, axes = subplots_grid(1, 1, figsize=(4.6, 4.4))
        ax = axes[0, 0]
        ax.imshow(picture, cmap="gray", vmin=0.0, vmax=1.0)
        for (label, side), color in zip(fields.items(), colors, strict=False):
            corner = ((width - side) / 2 - 0.5, (height - side) / 2 - 0.5)
            ax.add_patch(Rectangle(corner, side, side, fill=False, edgecolor=color, linewidth=2.5))
            ax.plot([], [], color=color, linewidth=2.5, label=f"{label}: {side}×{side} px")
        ax.set_xlim(-0.5, width - 0.5)
        ax.set_ylim(height - 0.5, -0.5)
        clean_image_axis(ax)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncols=1, frameon=False)
        set_suptitle(fig, title)
    return fig
