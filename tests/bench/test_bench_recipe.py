"""Reading the course recipe from a lab's parameters cell, safely."""

import nbformat
import pytest

from bench.recipe import (
    LAB3_DEFAULTS,
    Recipe,
    parse_parameters,
    read_recipe,
    stored_total_params,
)

CELL = """\
IMAGE_SIZE = 160  # pixels
BATCH_SIZE = 2 ** 4
EPOCHS = 15
LEARNING_RATE = 1e-3 / 2
TRAIN_SIZE = None  # None = all 2,000
SUBSET = 1_000
WARMUP = EPOCHS // 5
NAME: str = "baseline"
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
SEED = -(-7)
HACK = __import__("os").system("echo owned")
CALL = len("abc")
HUGE = 10 ** 10 ** 10
a, b = 1, 2
"""


def test_literals_arithmetic_and_earlier_names_are_evaluated_and_calls_are_not():
    values, skipped = parse_parameters(CELL)
    assert values["IMAGE_SIZE"] == 160 and values["BATCH_SIZE"] == 16
    assert values["LEARNING_RATE"] == pytest.approx(5e-4)
    assert values["TRAIN_SIZE"] is None and values["SUBSET"] == 1000
    assert values["WARMUP"] == 3 and values["NAME"] == "baseline" and values["SEED"] == 7
    assert values["SHAPE"] == (160, 160, 3)
    assert set(skipped) == {"HACK", "CALL", "HUGE"}
    assert "a" not in values  # tuple unpacking is not a parameter


def notebook(path, source, tags=("parameters",)):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Lab"),
        nbformat.v4.new_code_cell("import helpers as h"),
        nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}),
    ]
    nbformat.write(nb, path)
    return path


def test_the_recipe_comes_from_the_parameters_cell(tmp_path):
    path = notebook(tmp_path / "02_lab.ipynb", CELL)
    recipe = read_recipe(path)
    assert (recipe.image_size, recipe.batch_size, recipe.epochs) == (160, 16, 15)
    assert recipe.learning_rate == pytest.approx(5e-4) and recipe.seed == 7
    assert recipe.source == "02_lab.ipynb"
    assert recipe.parameters["TRAIN_SIZE"] is None and "HACK" in recipe.skipped


def test_defaults_fill_what_the_cell_does_not_set(tmp_path):
    path = notebook(tmp_path / "03_lab.ipynb", "EPOCHS = 30\nDROPOUT = None\n")
    recipe = read_recipe(path, LAB3_DEFAULTS)
    assert recipe.epochs == 30 and recipe.dropout == 0.5 and recipe.image_size == 128
    tuple_size = read_recipe(notebook(tmp_path / "t.ipynb", "IMAGE_SIZE = (96, 96)\n"))
    assert tuple_size.image_size == 96


def test_without_notebook_or_parameters_cell_the_documented_defaults_apply(tmp_path):
    absent = read_recipe(tmp_path / "nothing.ipynb")
    assert (absent.image_size, absent.batch_size, absent.epochs) == (128, 32, 12)
    assert absent.learning_rate == 5e-4 and absent.seed == 42
    assert absent.source == "defaults (nothing.ipynb absent)"
    untagged = read_recipe(notebook(tmp_path / "x.ipynb", "EPOCHS = 3\n", tags=()))
    assert untagged.epochs == Recipe().epochs
    assert untagged.source == "defaults (x.ipynb has no parameters cell)"


def test_the_parameter_count_of_a_stored_model_summary(tmp_path):
    path = notebook(tmp_path / "lab.ipynb", "EPOCHS = 3\n")
    assert stored_total_params(path) is None
    nb = nbformat.read(path, as_version=4)
    summary = (
        'Model: "sequential"\n…\n Total params: 2,601,153 (9.92 MB)\n Trainable params: 2,601,153\n'
    )
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=summary)]
    nbformat.write(nb, path)
    assert stored_total_params(path) == 2_601_153
    assert stored_total_params(tmp_path / "absent.ipynb") is None
