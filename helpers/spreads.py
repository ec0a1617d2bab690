"""What the course measured: the spread of a lab's results over seeds, precisions and CPU kinds.

``solutions/spreads.json`` holds every measured run of every lab (``python -m tools.spread``).
The labs quote those spreads by printing them from the file (``h.spread``), so the text never
holds a number the runs do not: a run of the lab's *current* recipe — its parameters as in
``solutions/``, without bars and seed, and the data split it was measured on — counts; older
recipes do not.
"""

from __future__ import annotations

import ast
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from helpers.config import REPO

__all__ = ["SPREADS", "Spread", "current_runs", "parameter_defaults", "recipe", "spread", "where"]

#: Where the measured spreads of every lab are kept.
SPREADS = REPO / "solutions" / "spreads.json"

#: Parameters that are bars or the seed, not part of the recipe a spread measures; and, last,
#: parameters that only choose what a lab shows after training (YOUR_PHOTO, Lab 5: the photo
#: the trained model is asked about), which change no measured number.
NOT_RECIPE = ("TARGET_ACCURACY", "MIN_", "SEED", "YOUR_PHOTO")


def parameter_defaults(notebook: Path) -> dict:
    """The values of a notebook's ``parameters`` cell (plain ``NAME = literal`` lines)."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise ValueError(f"{notebook} has no cell tagged 'parameters'")
    source = "".join(tagged[0]["source"])
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = node.targets[0].id
            try:
                values[name] = ast.literal_eval(node.value)
            except ValueError:
                written = ast.get_source_segment(source, node.value)
                raise ValueError(
                    f"{notebook}: the parameters cell sets {name} = {written}, "
                    "which is not a Python literal; write the value itself (e.g. 0.0005)"
                ) from None
    return values


def recipe(notebook: Path, settings: dict | None = None) -> dict:
    """What decides what a lab trains: its parameters (with overrides) minus bars and seed.

    A lab on cats and dogs also names the validation/test draw it was measured on: runs made on
    another split of the held-out photos are another experiment.
    """
    merged = {**parameter_defaults(notebook), **(settings or {})}
    kept = {k: v for k, v in merged.items() if not k.startswith(NOT_RECIPE)}
    if "load_cats_and_dogs" in Path(notebook).read_text():
        from helpers.data.loaders import HELD_OUT_SPLIT_SEED

        kept["cats_and_dogs_split"] = f"seeded draw {HELD_OUT_SPLIT_SEED}"
    return kept


def where(run: dict) -> str:
    """The kind of CPU a run was measured on (by its speed flags; older runs: the CPU's name)."""
    return run.get("cpu_kind") or run["cpu"]


def current_runs(lab: str, spreads: Path = SPREADS) -> list[dict]:
    """The successful stored runs of the lab's current recipe."""
    wanted = recipe(REPO / "solutions" / f"{lab}.ipynb")
    stored = json.loads(spreads.read_text()) if spreads.exists() else {}
    runs = stored.get(lab, {}).get("runs", [])
    return [run for run in runs if run["ok"] and run.get("recipe") == wanted]


@dataclass(frozen=True)
class Spread:
    """min / median / max of one metric over measured runs, and where they were measured."""

    metric: str
    values: tuple[float, ...]
    #: (seed, precision, CPU kind) of each value: pairs two metrics of the same runs
    runs: tuple[tuple, ...] = ()

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seed of each value."""
        return tuple(seed for seed, _, _ in self.runs)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of CPU the runs were measured on, sorted."""
        return tuple(sorted({kind for _, _, kind in self.runs}))

    def by_run(self) -> dict[tuple, float]:
        """Each value keyed by its run (seed, precision, CPU kind)."""
        return dict(zip(self.runs, self.values, strict=True))

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def __str__(self) -> str:
        if not self.values:
            return (
                f"not measured yet for this recipe (python -m tools.spread records {self.metric})"
            )
        seeds = len(set(self.seeds))
        return (
            f"{self.low:.1%}–{self.high:.1%} (median {self.median:.1%}; {len(self.values)} runs, "
            f"{seeds} seeds, on {' and '.join(self.kinds)})"
        )


def spread(lab: str, metric: str, precision: str | None = None, spreads: Path = SPREADS) -> Spread:
    """The spread of ``metric`` over the course's runs of the lab's current recipe.

    ``precision`` keeps only the runs computed in it (e.g. ``"float32"``). Before any run of the
    recipe is measured the spread is empty, and says so when printed.
    """
    runs = [
        run
        for run in current_runs(lab, spreads)
        if metric in run["metrics"] and precision in (None, run["precision"])
    ]
    return Spread(
        metric,
        tuple(float(run["metrics"][metric]) for run in runs),
        tuple((run["seed"], run["precision"], where(run)) for run in runs),
    )
