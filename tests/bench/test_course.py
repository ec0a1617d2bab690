"""The course's side of the race is Lab 3's modern convnet: its settings, model and augmentation.

The copies in ``bench.course`` are checked against the lab itself: against the functions its
code cells define (built here from the notebook's source, nothing else of it run) and against
the parameter count the stored notebook printed.
"""

import dataclasses
import re

import keras
import nbformat
import papermill
import pytest

from bench import course
from tools.kernel import KERNELSPEC


def lab(tmp_path, parameters: str, *code: str):
    """A notebook whose parameters cell is ``parameters``, followed by ``code`` cells."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
    nb.cells = [
        nbformat.v4.new_code_cell("import helpers as h"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(source) for source in code),
    ]
    path = tmp_path / "03_lab.ipynb"
    nbformat.write(nb, path)
    return path


def layers_of(model: keras.Model) -> list[tuple[str, dict]]:
    """Each layer's class and configuration, without its name and dtype policy."""
    return [
        (
            type(layer).__name__,
            {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")},
        )
        for layer in model.layers
    ]


def test_the_recipe_comes_from_the_parameters_cell_and_defaults_fill_the_rest(tmp_path):
    cell = "IMAGE_SIZE = 96  # px\nEPOCHS = 12\nBN_MOMENTUM = 0.99\nDROPOUT = 0.5\n"
    recipe = course.read_recipe(lab(tmp_path, cell))
    assert recipe == course.Recipe(image_size=96, epochs=12, bn_momentum=0.99)
    assert recipe.augmentation_strength == course.Recipe().augmentation_strength


def test_a_parameter_that_is_not_a_literal_is_an_error_that_says_so(tmp_path):
    with pytest.raises(ValueError, match=r"LEARNING_RATE = 1e-3 / 2, which is not a Python lit"):
        course.read_recipe(lab(tmp_path, "LEARNING_RATE = 1e-3 / 2\n"))


def test_lab_3_sets_every_setting_of_the_recipe_in_its_parameters_cell():
    """No default of Recipe silently stands in for a setting the lab no longer has."""
    parameters = papermill.inspect_notebook(str(course.LAB3))
    names = [f.name for f in dataclasses.fields(course.Recipe)]
    missing = [name for name in names if name.upper() not in parameters]
    assert missing == []
    recipe = course.read_recipe()
    assert recipe.image_size >= 32 and recipe.epochs >= 1 and 0 < recipe.learning_rate < 1


def printed_parameter_count(notebook=course.LAB3) -> int:
    """The parameter count Lab 3 printed, in its stored run, after building its modern convnet."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and "build_modern(IMAGE_SIZE)" in cell.source:
            text = "".join(output.get("text", "") for output in cell.outputs)
            found = re.match(r"([\d,]+) parameters", text)
            assert found, f"Lab 3's model cell printed {text!r}, not its parameter count"
            return int(found[1].replace(",", ""))
    raise AssertionError("Lab 3 has no cell calling build_modern(IMAGE_SIZE)")


def test_the_course_model_is_lab_3s_own_layer_by_layer():
    recipe = course.read_recipe()
    ours = course.course_model(recipe, steps_per_epoch=10)
    theirs = course.lab_model(recipe)
    assert ours.count_params() == theirs.count_params() == printed_parameter_count()
    assert layers_of(ours) == layers_of(theirs)
    norms = [layer for layer in ours.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert [norm.momentum for norm in norms] == [recipe.bn_momentum] * 8  # 4 stages, 2 blocks × 2


def test_a_model_that_differs_from_the_labs_is_caught(tmp_path):
    """The comparison above fails on a change that keeps the parameter count (the dropout rate)."""
    cells = [c.source for c in nbformat.read(course.LAB3, as_version=4).cells if "def " in c.source]
    changed = [source.replace("Dropout(0.3)", "Dropout(0.5)") for source in cells]
    assert changed != cells
    recipe = course.Recipe()
    theirs = course.lab_model(recipe, lab(tmp_path, "SEED = 42", *changed))
    ours = course.modern_model(recipe)
    assert ours.count_params() == theirs.count_params()
    assert layers_of(ours) != layers_of(theirs)


def test_a_lab_without_the_model_functions_is_an_error_that_names_them(tmp_path):
    notebook = lab(tmp_path, "SEED = 42", "def stage(x, filters):\n    return x\n")
    with pytest.raises(ValueError, match=r"defines no residual_block, build_modern: update bench"):
        course.lab_model(course.Recipe(), notebook)


def test_the_augmentation_is_lab_3s_at_the_recipes_strength():
    recipe = course.read_recipe()
    build = course.lab_functions(["build_augmentation"], recipe)["build_augmentation"]
    theirs = build(recipe.augmentation_strength)
    ours = course.augmentation(recipe.augmentation_strength)
    assert layers_of(ours) == layers_of(theirs)
    assert all(layer.dtype_policy.name == "float32" for layer in ours.layers)


def test_the_course_model_computes_in_the_labs_precision_with_its_schedule(monkeypatch):
    monkeypatch.setenv("CNN_LABS_PRECISION", "mixed_bfloat16")
    recipe = course.Recipe(image_size=32, epochs=4, learning_rate=5e-4, warmup_epochs=1)
    model = course.course_model(recipe, steps_per_epoch=10)
    convolution = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert convolution.compute_dtype == "bfloat16"
    assert model.layers[-1].compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # restored after building
    schedule = model.optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "CosineDecay"
    assert schedule["config"]["warmup_target"] == 5e-4  # after a warm-up of one epoch
    assert schedule["config"]["warmup_steps"] == 10
    assert schedule["config"]["decay_steps"] == 3 * 10
