"""FLOPs per image of a Keras model, counted from its layers, and this CPU's float32 peak.

Convention (the usual one, e.g. Kaplan et al. 2020, "Scaling laws for neural language models"):

* one multiply-add (MAC) = **2 FLOPs**;
* only the layers that do the arithmetic are counted — ``Conv1D/2D/3D`` (with groups),
  ``DepthwiseConv1D/2D``, ``SeparableConv1D/2D``, ``Conv1D/2D/3DTranspose`` and ``Dense``. Biases,
  activations, pooling, normalisation, rescaling and augmentation add well under 1 % for the
  course's convnets and are left out (``uncounted`` lists layers with weights that were skipped);
* **training ≈ 3 × forward**: the backward pass computes a gradient for the layer's input and one
  for its weights, each costing about one forward pass. (The first layer does not need its input
  gradient, so the true figure is slightly below 3×; we keep the round convention.)

Per layer, with ``kernel.size`` the number of weights in the kernel:

* convolution (any rank, grouped or depthwise): MACs = output positions × ``kernel.size`` —
  every output position applies every kernel weight once;
* transposed convolution: MACs = *input* positions × ``kernel.size``;
* separable convolution: output positions × (depthwise + pointwise kernel sizes);
* dense: MACs = ``kernel.size`` × positions (1 for a flat input; h·w for a Dense on a feature map).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["cpu_peak_flops", "flops_per_image", "forward_macs"]

#: float32 FLOPs per cycle per core: 2 AVX-512 FMA units × 16 float32 lanes × 2 (multiply + add).
FLOPS_PER_CYCLE_AVX512 = 64
#: Without AVX-512: 2 AVX2 FMA units × 8 lanes × 2.
FLOPS_PER_CYCLE_AVX2 = 32
#: Training cost relative to the forward pass (see the module docstring).
TRAINING_FACTOR = 3


def _positions(shape) -> int:
    """Number of spatial positions of a (batch, *spatial, channels) shape."""
    return math.prod(int(d) for d in shape[1:-1])


def _size(variable) -> int:
    return math.prod(int(d) for d in variable.shape)


def forward_macs(layer) -> int | None:
    """Multiply-adds of one layer for one image, or None for a layer we do not count."""
    import keras

    layers = keras.layers
    separable = (layers.SeparableConv1D, layers.SeparableConv2D)
    transposed = (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)
    convolutions = (
        layers.Conv1D,
        layers.Conv2D,
        layers.Conv3D,
        layers.DepthwiseConv1D,
        layers.DepthwiseConv2D,
    )
    if isinstance(layer, separable):
        kernels = _size(layer.depthwise_kernel) + _size(layer.pointwise_kernel)
        return _positions(layer.output.shape) * kernels
    if isinstance(layer, transposed):
        return _positions(layer.input.shape) * _size(layer.kernel)
    if isinstance(layer, convolutions):
        return _positions(layer.output.shape) * _size(layer.kernel)
    if isinstance(layer, layers.Dense):
        return _positions(layer.input.shape) * _size(layer.kernel)
    return None


def _leaf_layers(model):
    """Every layer of a model, descending into nested models (e.g. a Sequential block)."""
    for layer in model.layers:
        inner = getattr(layer, "layers", None)
        if inner:
            yield from _leaf_layers(layer)
        else:
            yield layer


def flops_per_image(model) -> dict:
    """FLOPs of one image through ``model``: forward, training (3× forward), and per layer.

    Returns ``{"forward", "training", "macs", "layers": [{"name", "type", "macs"}, …],
    "uncounted": [names of skipped layers that have weights]}``. The model must be built with a
    known input shape (e.g. ``keras.Input((150, 150, 3))`` as its first layer).
    """
    per_layer, uncounted = [], []
    for layer in _leaf_layers(model):
        macs = forward_macs(layer)
        if macs is None:
            if layer.weights:
                uncounted.append(layer.name)
            continue
        per_layer.append({"name": layer.name, "type": type(layer).__name__, "macs": macs})
    macs = sum(entry["macs"] for entry in per_layer)
    return {
        "macs": macs,
        "forward": 2 * macs,
        "training": TRAINING_FACTOR * 2 * macs,
        "layers": per_layer,
        "uncounted": uncounted,
    }


def _cpu_field(text: str, name: str) -> str | None:
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def cpu_peak_flops(cpuinfo: Path | str = "/proc/cpuinfo", cores: int | None = None) -> dict:
    """float32 peak of this CPU: cores × GHz × FLOPs/cycle (64 with AVX-512 FMA, else 32).

    Cores are the CPUs this process may run on; the clock is ``cpu MHz`` of /proc/cpuinfo (the
    nominal clock a VM reports; turbo would raise the true peak a little). Returns the inputs too.
    """
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        text = ""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mhz = _cpu_field(text, "cpu MHz")
    ghz = float(mhz) / 1000 if mhz else None
    flags = (_cpu_field(text, "flags") or "").split()
    per_cycle = FLOPS_PER_CYCLE_AVX512 if "avx512f" in flags else FLOPS_PER_CYCLE_AVX2
    peak = cores * ghz * 1e9 * per_cycle if ghz else None
    return {"cores": cores, "ghz": ghz, "flops_per_cycle": per_cycle, "peak_flops": peak}
