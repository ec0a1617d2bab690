"""h.spread quotes the course's measured runs of a lab's current recipe, and nothing else."""

import json

import pytest

from helpers.config import REPO
from helpers.spreads import parameter_defaults, recipe, spread

LAB = "02_cats_dogs_baseline"


def run(seed, value, recipe_of_run, kind="AMX (fast bfloat16)", ok=True, precision="float32"):
    return {
        "seed": seed,
        "precision": precision,
        "cpu": "x",
        "cpu_kind": kind,
        "ok": ok,
        "recipe": recipe_of_run,
        "metrics": {"best_val_accuracy": value},
    }


@pytest.fixture
def spreads(tmp_path):
    today = recipe(REPO / "solutions" / f"{LAB}.ipynb")
    older = {**today, "EPOCHS": today["EPOCHS"] + 1}
    path = tmp_path / "spreads.json"
    runs = [
        run(1, 0.70, today),
        run(2, 0.74, today, kind="AVX2 only (float32)"),
        run(3, 0.72, today, precision="mixed_bfloat16"),
        run(4, 0.10, today, ok=False),
        run(5, 0.99, older),
    ]
    path.write_text(json.dumps({LAB: {"runs": runs}}))
    return path


def test_a_spread_counts_only_successful_runs_of_the_current_recipe(spreads):
    measured = spread(LAB, "best_val_accuracy", spreads=spreads)
    assert measured.values == (0.70, 0.74, 0.72)
    assert (measured.low, measured.median, measured.high) == (0.70, 0.72, 0.74)
    assert str(measured) == (
        "70.0%–74.0% (median 72.0%; 3 runs, 3 seeds, "
        "on AMX (fast bfloat16) and AVX2 only (float32))"
    )
    assert spread(LAB, "best_val_accuracy", precision="float32", spreads=spreads).values == (
        0.70,
        0.74,
    )


def test_an_unmeasured_recipe_says_so_instead_of_quoting_older_runs(spreads):
    assert "not measured yet" in str(spread(LAB, "test_accuracy", spreads=spreads))
    assert "not measured yet" in str(
        spread(LAB, "best_val_accuracy", spreads=spreads / "none.json")
    )


def test_the_recipe_names_the_cats_and_dogs_split_and_leaves_out_bars_and_seed():
    cats = recipe(REPO / "solutions" / f"{LAB}.ipynb")
    assert cats["cats_and_dogs_split"].startswith("seeded draw")
    assert not {"SEED", "TARGET_ACCURACY"} & set(cats)
    mnist = REPO / "solutions" / "01_mnist_convnet.ipynb"
    assert "cats_and_dogs_split" not in recipe(mnist)
    assert recipe(mnist, {"EPOCHS": 1})["EPOCHS"] == 1 != parameter_defaults(mnist)["EPOCHS"]


def test_two_metrics_of_the_same_runs_pair_up_by_run(spreads):
    measured = spread(LAB, "best_val_accuracy", spreads=spreads).by_run()
    assert measured == {
        (1, "float32", "AMX (fast bfloat16)"): 0.70,
        (2, "float32", "AVX2 only (float32)"): 0.74,
        (3, "mixed_bfloat16", "AMX (fast bfloat16)"): 0.72,
    }


def test_the_photo_lab_5_is_asked_about_is_not_part_of_its_recipe():
    """YOUR_PHOTO picks a photo after training: it must leave the measured spreads in place."""
    lab5 = REPO / "solutions" / "05_transfer_learning.ipynb"
    today = recipe(lab5)
    assert "YOUR_PHOTO" not in today
    assert recipe(lab5, {"YOUR_PHOTO": "my_photos/cat.jpg"}) == today
    assert recipe(lab5, {"EPOCHS_NOT_A_PHOTO": 1}) != today  # other settings still count
