"""cnn-labs helpers: one import for all the plumbing the labs share (``import helpers as h``).

* data — ``fetch``, ``load_mnist``, ``load_cats_and_dogs``, ``load_chest_xray`` (helpers.data)
* plots — curves, image grids, confusion matrices, feature maps… (helpers.plots)
* convolution — receptive fields, one convolution step drawn out (helpers.convolution)
* training — seeds, mixed precision, one-line-per-epoch logs, timing (helpers.training)
* checkpoints — PASS/FAIL lines after each exercise (helpers.checks)
* results — a lab's headline metrics for ``make solutions`` (helpers.results)
"""

import os
import sys

# Before TensorFlow is imported anywhere: keep its C++ start-up messages out of the notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (oneDNN notice, absl warning) kept off stderr.

    TensorFlow 2.21 writes them before its log settings apply, so TF_CPP_MIN_LOG_LEVEL alone
    does not hide them; errors still surface as Python exceptions.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)


_import_tensorflow_quietly()

from helpers.checks import (  # noqa: E402
    CheckpointFailed,
    check,
    check_at_least,
    check_defined,
    check_model,
    check_param_count,
    check_shape,
)
from helpers.config import build_dir, models_dir  # noqa: E402
from helpers.convolution import (  # noqa: E402
    plot_convolution_step,
    plot_receptive_fields,
    receptive_field,
)
from helpers.data.fetch import DataError, fetch  # noqa: E402
from helpers.data.loaders import (  # noqa: E402
    ImageDataset,
    ImageSplit,
    load_cats_and_dogs,
    load_chest_xray,
    load_mnist,
    patient_id,
)
from helpers.plots import (  # noqa: E402
    plot_comparison,
    plot_confusion_matrix,
    plot_cv_scores,
    plot_feature_maps,
    plot_filters,
    plot_history,
    plot_roc_curve,
    show_augmentations,
    show_images,
    show_misclassified,
)
from helpers.results import load_results, record_results  # noqa: E402
from helpers.training import (  # noqa: E402
    EpochLogger,
    Timer,
    peak_memory_mb,
    set_seed,
    use_mixed_precision,
    warmup_cosine,
)

__all__ = [
    "CheckpointFailed",
    "DataError",
    "EpochLogger",
    "ImageDataset",
    "ImageSplit",
    "Timer",
    "check",
    "build_dir",
    "check_at_least",
    "check_defined",
    "check_model",
    "check_param_count",
    "check_shape",
    "fetch",
    "load_cats_and_dogs",
    "load_chest_xray",
    "load_mnist",
    "load_results",
    "models_dir",
    "patient_id",
    "peak_memory_mb",
    "plot_comparison",
    "plot_confusion_matrix",
    "plot_convolution_step",
    "plot_cv_scores",
    "plot_feature_maps",
    "plot_filters",
    "plot_history",
    "plot_receptive_fields",
    "plot_roc_curve",
    "receptive_field",
    "record_results",
    "set_seed",
    "show_augmentations",
    "show_images",
    "show_misclassified",
    "use_mixed_precision",
    "warmup_cosine",
]
