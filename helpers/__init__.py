"""cnn-labs helpers: one import for all the plumbing the labs share (``import helpers as h``).

* data — ``fetch``, ``load_mnist``, ``load_cats_and_dogs``, ``load_chest_xray``, ``patient_id``
* plots — curves, image grids, confusion matrices, feature maps… (helpers.plots)
* experiment_plots — runs side by side, accuracy per second (helpers.experiment_plots)
* convolution — receptive fields, one convolution step drawn out (helpers.convolution)
* interpret — inside a trained model: Grad-CAM heat maps, calibration, features in 2-D
  (helpers.interpret)
* photos — a photo of your own, from a file, ``load_photo`` (helpers.photos)
* training — seeds, mixed precision, one-line-per-epoch logs, timing (helpers.training)
* checkpoints — PASS/FAIL lines after each exercise (helpers.checks)
* evidence — an accuracy on n cases with its 95 % interval, ``rate`` (helpers.evidence)
* spreads — what the course measured over seeds and CPU kinds, ``spread`` (helpers.spreads)
* results — a lab's headline metrics for ``make solutions`` (helpers.results)
* places — ``REPO`` (the repository), ``build_dir()`` and ``models_dir()`` (where labs keep
  their models and run records)

``__all__`` is the API notebooks use (a test holds them to it). ``import helpers`` itself is
light: each name is imported on first use (PEP 562), so the command-line tools never load
TensorFlow unless they need it. It also makes the first import of TensorFlow quiet, whoever
does it (``h.set_seed``, ``import keras`` in a notebook…): see ``helpers.quiet_tensorflow``.
"""

import importlib
import os

from helpers import quiet_tensorflow

# Before TensorFlow is imported anywhere: keep its C++ log messages out of the notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
quiet_tensorflow.install()

#: Every public name and the module it lives in (imported when the name is first used).
_HOMES = {
    "CheckpointFailed": "helpers.checks",
    "check": "helpers.checks",
    "check_at_least": "helpers.checks",
    "check_defined": "helpers.checks",
    "check_model": "helpers.checks",
    "check_param_count": "helpers.checks",
    "check_shape": "helpers.checks",
    "REPO": "helpers.config",
    "build_dir": "helpers.config",
    "models_dir": "helpers.config",
    "plot_convolution_step": "helpers.convolution",
    "plot_receptive_fields": "helpers.convolution",
    "receptive_field": "helpers.convolution",
    "DataError": "helpers.data.errors",
    "fetch": "helpers.data.fetch",
    "rate": "helpers.evidence",
    "Rate": "helpers.evidence",
    "ImageDataset": "helpers.data.loaders",
    "ImageSplit": "helpers.data.loaders",
    "load_cats_and_dogs": "helpers.data.loaders",
    "load_chest_xray": "helpers.data.loaders",
    "load_mnist": "helpers.data.loaders",
    "patient_id": "helpers.data.loaders",
    "border_share": "helpers.interpret",
    "calibration_bins": "helpers.interpret",
    "grad_cam": "helpers.interpret",
    "plot_calibration": "helpers.interpret",
    "plot_feature_map": "helpers.interpret",
    "show_grad_cam": "helpers.interpret",
    "load_photo": "helpers.photos",
    "peak_memory_mb": "helpers.machine",
    "plot_accuracy_per_second": "helpers.experiment_plots",
    "plot_comparison": "helpers.plots",
    "plot_confusion_matrix": "helpers.plots",
    "plot_cv_scores": "helpers.plots",
    "plot_feature_maps": "helpers.plots",
    "plot_filters": "helpers.plots",
    "plot_history": "helpers.plots",
    "plot_roc_curve": "helpers.plots",
    "plot_runs_side_by_side": "helpers.experiment_plots",
    "show_augmentations": "helpers.plots",
    "show_images": "helpers.plots",
    "show_misclassified": "helpers.plots",
    "spread": "helpers.spreads",
    "load_results": "helpers.results",
    "record_results": "helpers.results",
    "EpochLogger": "helpers.training",
    "Timer": "helpers.training",
    "set_seed": "helpers.training",
    "use_mixed_precision": "helpers.training",
    "warmup_cosine": "helpers.training",
}

#: Submodules, for tools and tests (notebooks use the names in ``__all__``).
_SUBMODULES = (
    "checks",
    "config",
    "convolution",
    "data",
    "evidence",
    "experiment_plots",
    "interpret",
    "machine",
    "photos",
    "plots",
    "results",
    "spreads",
    "training",
)

__all__ = sorted(_HOMES, key=str.casefold)


def __getattr__(name: str):
    """Import a public name (or a submodule) on first use, and keep it for the next time."""
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(
        f"module 'helpers' has no attribute {name!r}; the names the labs use are in helpers.__all__"
    )


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
