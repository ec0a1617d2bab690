"""Exercise contracts: the names a student's answer must define, because later cells use them.

A student writes each exercise from its instructions, with names of their own for anything the
instructions don't name. So whenever a later cell of *given* code reads a name whose latest
binding is inside an exercise's solution region, that exercise's instructions must name it (in
backticks), and the exercise's checkpoint must check that it exists (``h.check_defined``) before
using it — else a correct answer meets a NameError, or silently the wrong object.

Usage::

    python -m tools.contracts            # every solution notebook; exit 1 on a broken contract
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.config import REPO
from tools.notebook_io import shown
from tools.notebooks import cell_spans, kept_cells

#: An exercise heading in a markdown cell: "## Exercise 3 — ..." or "### Exercise 3 — ...".
HEADING = re.compile(r"^#+ Exercise (\d+)\b", re.MULTILINE)

#: Text between backticks in markdown.
CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Problem:
    """A broken contract: which lab, exercise and name, and what is wrong."""

    lab: str
    exercise: int
    name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.lab}, Exercise {self.exercise}: `{self.name}` {self.problem}"


@dataclass
class Exercise:
    """One solution region and what the notebook around it says and does."""

    number: int
    cell: int  # index in the notebook
    instructions: str  # the markdown from its heading down to its cell
    contract: set[str]  # names later given code reads from it


def _bound(node: ast.AST) -> set[str]:
    """Names a statement binds in the scope it runs in (not inside functions it defines)."""
    names: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
    return names


def _read(node: ast.AST) -> set[str]:
    """Names a statement reads, including inside the functions it defines (minus their own)."""
    loads = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    local: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            local |= {a.arg for a in child.args.args + child.args.kwonlyargs}
            body = child.body if isinstance(child.body, list) else []  # a lambda: an expression
            for statement in body:
                local |= _bound(statement)
        if isinstance(child, ast.comprehension):
            local |= {n.id for n in ast.walk(child.target) if isinstance(n, ast.Name)}
    return loads - local


def _at(node: ast.stmt, where: ast.stmt) -> ast.stmt:
    """A synthetic statement placed at the line of ``where``."""
    ast.copy_location(node, where)
    return ast.fix_missing_locations(node)


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements in execution order, with if/for/while/with/try opened up.

    The header of a compound statement (its test, its iterable and target, its context manager
    and ``as`` name) becomes a statement of its own at the header's line, so that a header in
    given code and a body in a solution region are told apart.
    """
    flat: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.If | ast.While):
            flat.append(_at(ast.Expr(statement.test), statement))
            flat += _statements(statement.body) + _statements(statement.orelse)
        elif isinstance(statement, ast.For):
            flat.append(_at(ast.Assign([statement.target], statement.iter), statement))
            flat += _statements(statement.body) + _statements(statement.orelse)
        elif isinstance(statement, ast.With):
            for item in statement.items:
                flat.append(_at(ast.Expr(item.context_expr), statement))
                if item.optional_vars is not None:
                    target = ast.Assign([item.optional_vars], ast.Constant(None))
                    flat.append(_at(target, statement))
            flat += _statements(statement.body)
        elif isinstance(statement, ast.Try):
            flat += _statements(statement.body)
            for handler in statement.handlers:
                flat += _statements(handler.body)
            flat += _statements(statement.orelse) + _statements(statement.finalbody)
        else:
            flat.append(statement)
    return flat


def _region_of(line: int, spans: list[tuple[int, int]], first: int) -> int | None:
    """The exercise number of the region holding a (1-based) source line, or None."""
    for offset, (begin, end) in enumerate(spans):
        if begin < line - 1 < end:
            return first + offset
    return None


def exercises_of(nb: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises of a solution notebook with their instructions and contracts."""
    cells = list(kept_cells(nb))
    exercises: list[Exercise] = []
    headings: dict[int, int] = {}  # exercise number -> index of its heading cell
    region_cells: list[tuple[int, list[tuple[int, int]], int]] = []
    for index, cell in cells:
        if cell.cell_type == "markdown":
            for number in HEADING.findall(cell.source):
                headings.setdefault(int(number), index)
        elif cell.cell_type == "code":
            spans = cell_spans(cell, index)
            if spans:
                region_cells.append((index, spans, len(exercises) + 1))
                for _ in spans:
                    exercises.append(Exercise(len(exercises) + 1, index, "", set()))
    by_index = dict(cells)
    for exercise in exercises:
        start = headings.get(exercise.number, exercise.cell)
        exercise.instructions = "\n".join(
            by_index[i].source
            for i in range(start, exercise.cell)
            if i in by_index and by_index[i].cell_type == "markdown"
        )
    binder: dict[str, int | None] = {}  # name -> exercise that bound it last (None: given code)
    first_exercise = {index: first for index, _, first in region_cells}
    for index, cell in cells:
        if cell.cell_type != "code":
            continue
        spans = cell_spans(cell, index)
        tree = ast.parse(cell.source)
        for statement in _statements(tree.body):
            region = _region_of(statement.lineno, spans, first_exercise.get(index, 0))
            if region is None:
                for name in _read(statement):
                    owner = binder.get(name)
                    if owner is not None:
                        exercises[owner - 1].contract.add(name)
                for name in _bound(statement):
                    binder[name] = None
            else:
                for name in _bound(statement):
                    binder[name] = region
    return exercises


def named_in(instructions: str, name: str) -> bool:
    """True when the name appears as an identifier inside some backtick span of the text."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    return any(word.search(span) for span in CODE_SPAN.findall(instructions))


def checkpoint_guards(nb: nbformat.NotebookNode, exercise: Exercise) -> set[str]:
    """Names that the first statement of the exercise's checkpoint passes to h.check_defined."""
    later = [i for i, cell in kept_cells(nb) if i > exercise.cell and cell.cell_type == "code"]
    if not later:
        return set()
    body = [
        s
        for s in ast.parse(nb.cells[later[0]].source).body
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
    ]
    for statement in body:
        call = statement.value
        if isinstance(call.func, ast.Attribute) and call.func.attr == "check_defined":
            return {a.value for a in call.args if isinstance(a, ast.Constant)}
    return set()


def problems_in(path: Path) -> list[Problem]:
    """Every broken contract of one solution notebook."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for exercise in exercises_of(nb):
        guarded = checkpoint_guards(nb, exercise)
        for name in sorted(exercise.contract):
            if not named_in(exercise.instructions, name):
                problems.append(
                    Problem(
                        path.stem,
                        exercise.number,
                        name,
                        "is used by later cells but the instructions never name it",
                    )
                )
            if name not in guarded:
                problems.append(
                    Problem(
                        path.stem,
                        exercise.number,
                        name,
                        "is not checked by h.check_defined(...) at the top of the checkpoint",
                    )
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check every solution notebook; print the problems; exit 1 if there are any."""
    paths = [Path(p) for p in argv or []] or sorted((REPO / "solutions").glob("*.ipynb"))
    problems = [problem for path in paths for problem in problems_in(path)]
    for problem in problems:
        print(problem)
    print(
        f"{len(problems)} broken contract(s) in {len(paths)} notebook(s)"
        if problems
        else f"OK: every exercise names what later cells use ({', '.join(shown(p) for p in paths)})"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
