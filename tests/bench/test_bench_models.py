"""The benchmark's models mirror the labs' (shapes, parameters, precision, augmentation)."""

import numpy as np

from bench.models import augmentation, classic_model, course_model


def lab_param_count(image_size):
    """Lab 2's own checkpoint formula: conv blocks, then Dense(512) and Dense(1)."""
    final = image_size
    for _ in range(4):
        final = (final - 2) // 2
    return (896 + 18_496 + 73_856 + 147_584) + (final * final * 128 * 512 + 512) + (512 + 1)


def test_lab2_and_lab3_models_have_the_labs_parameter_counts_and_precision():
    lab2 = course_model(128, 5e-4, 12, 63, policy="mixed_bfloat16")
    assert lab2.count_params() == lab_param_count(128) == 2_601_153
    assert lab2.layers[1].dtype_policy.name == "mixed_bfloat16"
    assert lab2.layers[-1].dtype_policy.name == "float32"  # the output layer
    lab3 = course_model(128, 1e-3, 40, 63, dropout=0.5, initializer="he_uniform", policy="float32")
    kinds = [type(layer).__name__ for layer in lab3.layers]
    assert kinds.index("Dropout") == kinds.index("Flatten") + 1
    assert lab3.count_params() == lab2.count_params()
    assert type(lab3.layers[1].kernel_initializer).__name__ == "HeUniform"


def test_the_classic_model_is_float32_and_fed_rescaled_pixels():
    model = classic_model(150)
    assert model.input_shape == (None, 150, 150, 3)
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    assert "Rescaling" not in [type(layer).__name__ for layer in model.layers]
    assert type(model.optimizer).__name__ == "RMSprop"
    assert float(model.optimizer.learning_rate) == np.float32(1e-4)


def test_the_augmentation_is_lab3s_and_leaves_shapes_alone():
    stage = augmentation(seed=0)
    kinds = sorted(type(layer).__name__ for layer in stage.layers)
    assert kinds == ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"]
    assert all(layer.dtype_policy.name == "float32" for layer in stage.layers)
    photos = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("uint8")
    assert stage(photos, training=True).shape == photos.shape
