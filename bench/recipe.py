"""The course's recipe, read from the ``parameters`` cells of the Lab 2 and Lab 3 solutions.

The benchmark must train what the labs train. Rather than copy their settings, it reads each
lab's cell tagged ``parameters`` (the one papermill overrides) and evaluates its assignments
*safely*: Python literals (numbers, strings, None, tuples…), arithmetic on them (``2 ** 7``,
``5e-4 * 2``) and names assigned earlier in the same cell — never a call or an import. Anything
else is skipped and listed. When a notebook is not there (yet), the documented defaults apply:
128 px, batch 32, Adam 5e-4 with cosine decay, 12 epochs, seed 42 (Lab 3: dropout 0.5).
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from helpers.config import REPO

__all__ = [
    "LAB2_NOTEBOOK",
    "LAB3_NOTEBOOK",
    "Recipe",
    "parameters_cell",
    "parse_parameters",
    "read_recipe",
    "stored_total_params",
]

LAB2_NOTEBOOK = REPO / "solutions" / "02_cats_dogs_baseline.ipynb"
LAB3_NOTEBOOK = REPO / "solutions" / "03_data_augmentation.ipynb"

_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


class UnsafeExpression(ValueError):
    """A parameter's value is not a literal, arithmetic on literals, or an earlier parameter."""


def safe_eval(node: ast.AST, known: dict):
    """Evaluate a literal expression: constants, containers, + - * / // % **, earlier names."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in known:
        return known[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](safe_eval(node.operand, known))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = safe_eval(node.left, known), safe_eval(node.right, known)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise UnsafeExpression("exponent too large")
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [safe_eval(item, known) for item in node.elts]
        return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {
            safe_eval(k, known): safe_eval(v, known)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    raise UnsafeExpression(ast.dump(node)[:80])


def parse_parameters(source: str) -> tuple[dict, list[str]]:
    """The values assigned in a parameters cell, and the names that could not be evaluated."""
    values: dict = {}
    skipped: list[str] = []
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        try:
            result = safe_eval(value, values)
        except (UnsafeExpression, ArithmeticError, TypeError, ValueError):
            skipped.extend(names)
            continue
        for name in names:
            values[name] = result
    return values, skipped


def parameters_cell(notebook: Path | str) -> str | None:
    """The source of the notebook's cell tagged ``parameters``; None without notebook or cell."""
    import nbformat

    path = Path(notebook)
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return cell.source
    return None


@dataclass(frozen=True)
class Recipe:
    """What a lab trains with. ``source`` says where the values came from."""

    image_size: int = 128
    batch_size: int = 32
    epochs: int = 12
    learning_rate: float = 5e-4
    seed: int = 42
    dropout: float = 0.0
    source: str = "defaults"
    parameters: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


#: Recipe fields and the parameter names a lab may use for them (first match wins).
FIELDS = {
    "image_size": ("IMAGE_SIZE",),
    "batch_size": ("BATCH_SIZE",),
    "epochs": ("EPOCHS",),
    "learning_rate": ("LEARNING_RATE", "LR"),
    "seed": ("SEED",),
    "dropout": ("DROPOUT", "DROPOUT_RATE"),
}


def recipe_from_parameters(values: dict, defaults: Recipe, source: str, skipped=()) -> Recipe:
    """A Recipe from a parameters dict, falling back to ``defaults`` field by field."""
    chosen = {}
    for name, keys in FIELDS.items():
        default = getattr(defaults, name)
        found = next((values[k] for k in keys if k in values and values[k] is not None), default)
        if isinstance(found, tuple | list):  # IMAGE_SIZE = (128, 128): square images only here
            found = found[0]
        chosen[name] = type(default)(found)
    plain = {k: v for k, v in values.items() if isinstance(v, int | float | str | bool | None)}
    return Recipe(**chosen, source=source, parameters=plain, skipped=list(skipped))


def read_recipe(notebook: Path | str, defaults: Recipe | None = None) -> Recipe:
    """The recipe in ``notebook``'s parameters cell, or ``defaults`` when there is none."""
    defaults = defaults or Recipe()
    path = Path(notebook)
    source = parameters_cell(path)
    if source is None:
        why = "has no parameters cell" if path.is_file() else "absent"
        return Recipe(**{**defaults.as_dict(), "source": f"defaults ({path.name} {why})"})
    values, skipped = parse_parameters(source)
    return recipe_from_parameters(values, defaults, path.name, skipped)


LAB3_DEFAULTS = Recipe(dropout=0.5)

_TOTAL_PARAMS = re.compile(r"Total params:\s*([\d,]+)")


def stored_total_params(notebook: Path | str) -> int | None:
    """The ``Total params`` of the first ``model.summary()`` stored in a notebook's outputs."""
    import nbformat

    path = Path(notebook)
    if not path.is_file():
        return None
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = output.get("text") or output.get("data", {}).get("text/plain") or ""
            match = _TOTAL_PARAMS.search("".join(text) if isinstance(text, list) else text)
            if match:
                return int(match.group(1).replace(",", ""))
    return None
