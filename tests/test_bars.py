"""Accuracy bars come from measured spreads: every correct run we measured passes with margin.

``solutions/spreads.json`` holds runs of each lab over several seeds and precisions
(``python -m tools.spread``). A checkpoint bar (``TARGET_ACCURACY``…) must sit below the lowest
measured value of the metric it checks, by at least ``MARGIN`` — and not so far below that it
stops meaning anything. The runs must be of the lab's current recipe: change a setting and the
spread has to be measured again.
"""

import ast
import json

import pytest

from helpers.config import REPO
from helpers.spreads import current_runs, parameter_defaults, where

#: Each lab's bars, and the recorded metric each one checks: always a *validation* metric of the
#: model the lab keeps (the test set is looked at once, at the end, and never compared with a bar).
BARS = {
    "01_mnist_convnet": {"TARGET_ACCURACY": ["val_accuracy"]},
    "02_cats_dogs_baseline": {"TARGET_ACCURACY": ["best_val_accuracy"]},
    "03_data_augmentation": {"TARGET_ACCURACY": ["modern_val_accuracy"]},
    "04_chest_xray_lab": {"TARGET_ACCURACY": ["val_accuracy"]},
    "05_transfer_learning": {
        "TARGET_ACCURACY": ["feature_extraction_val_accuracy", "val_accuracy"],
    },
}

#: A bar sits at least this far below the lowest measured run (one point of accuracy)...
MARGIN = 0.01
#: ...and at most this far, or it would pass a model that learned little.
MAX_SLACK = 0.12
#: Seeds measured in float32 (the precision of most laptops, and the only one of CPUs without
#: fast bfloat16), at least.
MIN_SEEDS = 3


def parameters(stem: str) -> dict:
    """The lab's parameters cell, as values."""
    return parameter_defaults(REPO / "solutions" / f"{stem}.ipynb")


@pytest.mark.parametrize("stem", sorted(BARS))
def test_the_spread_of_the_current_recipe_is_measured(stem):
    runs = current_runs(stem)
    seeds = {run["seed"] for run in runs if run["precision"] == "float32"}
    assert len(seeds) >= MIN_SEEDS, (
        f"{stem}: {len(seeds)} float32 seeds measured for the current recipe; run "
        f"`python -m tools.spread {stem} --seeds 42 1 2 --precisions float32 "
        "--set TARGET_ACCURACY=0.0`"
    )


@pytest.mark.parametrize("stem", sorted(BARS))
def test_every_run_names_its_cpu_kind_flags_and_compute_policies(stem):
    """Two CPUs of one name can be of two kinds: a run is placed by the flags that decide it."""
    for run in current_runs(stem):
        assert run.get("cpu_kind") and "cpu_flags" in run, f"{stem}: seed {run['seed']} has no kind"
        assert run["metrics"].get("compute_policies"), f"{stem}: seed {run['seed']}: no policies"


def lowest_by_kind(runs: list[dict], metric: str) -> str:
    """The lowest value of a metric on each kind of CPU, for messages."""
    kinds = sorted({where(run) for run in runs})
    lows = {k: min(r["metrics"][metric] for r in runs if where(r) == k) for k in kinds}
    return "; ".join(f"{kind}: {low}" for kind, low in lows.items())


@pytest.mark.parametrize(
    ("stem", "bar"), [(stem, bar) for stem, bars in sorted(BARS.items()) for bar in bars]
)
def test_every_bar_sits_below_every_measured_run_with_margin(stem, bar):
    value = parameters(stem)[bar]
    runs = current_runs(stem)
    assert runs, f"{stem}: no measured run of the current recipe"
    for metric in BARS[stem][bar]:
        lowest = min(run["metrics"][metric] for run in runs)
        assert value <= lowest - MARGIN, (
            f"{stem}: {bar} = {value} but a correct run scored {metric} {lowest}: lower the bar "
            f"to at most {lowest - MARGIN:.3f} (lowest by CPU kind: {lowest_by_kind(runs, metric)})"
        )
        assert value >= lowest - MAX_SLACK, (
            f"{stem}: {bar} = {value} is more than {MAX_SLACK:.0%} below the lowest run "
            f"({metric} {lowest}): it would pass a model that learned little"
        )


def test_bars_are_tested_for_every_lab_with_an_accuracy_checkpoint():
    labs = sorted(path.stem for path in (REPO / "solutions").glob("*.ipynb"))
    assert sorted(BARS) == labs
    for stem in labs:
        declared = {name for name in parameters(stem) if name.startswith(("TARGET_ACC", "MIN_"))}
        assert declared == set(BARS[stem]), f"{stem}: bars {declared} vs tested {set(BARS[stem])}"


def bar_checks(stem: str) -> list[tuple[str, str]]:
    """Every ``h.check_at_least(label, value, bar)`` in the lab: (label, the value's source)."""
    cells = json.loads((REPO / "solutions" / f"{stem}.ipynb").read_text())["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "check_at_least":
                label, value = node.args[0], node.args[1]
                text = label.value if isinstance(label, ast.Constant) else ast.unparse(label)
                found.append((text, ast.unparse(value)))
    return found


@pytest.mark.parametrize("stem", sorted(BARS))
def test_no_checkpoint_compares_a_test_metric_with_a_bar(stem):
    checks = bar_checks(stem)
    assert checks, f"{stem}: no accuracy checkpoint found"
    for label, value in checks:
        assert "test" not in label.lower() and "test" not in value.lower(), (
            f"{stem}: a checkpoint compares {value} ({label!r}) with a bar; bars read validation"
        )
        assert "validation" in label.lower(), f"{stem}: say which set the bar reads: {label!r}"


def test_lab3s_modern_convnet_beats_the_classic_cure_on_validation_in_every_measured_run():
    """Lab 3 teaches that the modern network wins at the same recipe: every run must show it."""
    runs = current_runs("03_data_augmentation")
    assert runs, "03_data_augmentation: no measured run of the current recipe"
    for run in runs:
        modern = run["metrics"]["modern_val_accuracy"]
        classic = run["metrics"]["ablation_val_accuracy_both"]
        assert modern > classic, (
            f"seed {run['seed']} ({run['precision']}, {run.get('cpu_kind')}): modern {modern} vs "
            f"classic cure {classic} on validation; the text's claim no longer holds"
        )
