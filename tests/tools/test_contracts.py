"""Exercise contracts: what later cells use from an exercise must be named and checked."""

from pathlib import Path

import nbformat
import pytest

from tools.contracts import exercises_of, named_in, problems_in

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))


def notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(make(source))
    return nb


def problems(nb: nbformat.NotebookNode, tmp_path: Path) -> list[str]:
    path = tmp_path / "lab.ipynb"
    nbformat.write(nb, path)
    kind = lambda p: "used" if "never name" in p.problem else "checked"  # noqa: E731
    return [f"{p.exercise}:{p.name}:{kind(p)}" for p in problems_in(path)]


EXERCISE = ("code", "### BEGIN SOLUTION\nmy_model = build()\n### END SOLUTION")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_course_exercise_names_and_checks_what_later_cells_use(solution):
    broken = problems_in(solution)
    assert not broken, "\n".join(str(problem) for problem in broken)


def test_a_name_used_later_but_never_named_is_a_broken_contract(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — build\n\nBuild a model."),
        EXERCISE,
        ("code", "h.check_defined('my_model', exercise=1)"),
        ("code", "print(my_model.summary())"),
    )
    assert problems(nb, tmp_path) == ["1:my_model:used"]


def test_a_named_name_must_also_be_checked_by_the_checkpoint(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — build\n\nBuild `my_model`."),
        EXERCISE,
        ("code", "print(my_model)"),
    )
    assert problems(nb, tmp_path) == ["1:my_model:checked"]


def test_named_and_checked_is_a_kept_contract(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — build\n\nBuild `my_model`."),
        EXERCISE,
        ("code", "h.check_defined('my_model', exercise=1)\nprint(my_model)"),
    )
    assert problems(nb, tmp_path) == []


def test_given_code_that_rebinds_the_name_first_needs_no_contract(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — build\n\nBuild a model."),
        EXERCISE,
        ("code", "my_model = load()\nprint(my_model)"),
    )
    assert problems(nb, tmp_path) == []


def test_the_latest_binding_counts_a_given_model_overwritten_by_an_exercise(tmp_path):
    nb = notebook(
        ("code", "model = build()  # given: the untrained model of a checkpoint"),
        ("md", "## Exercise 1 — train\n\nTrain a fresh model."),
        ("code", "### BEGIN SOLUTION\nmodel = train(build())\n### END SOLUTION"),
        ("code", "h.check_defined('model', exercise=1)\nmodel.save('x')"),
    )
    assert problems(nb, tmp_path) == ["1:model:used"]


def test_a_function_body_exercise_binds_only_local_names(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — a function\n\nWrite `build_model`."),
        (
            "code",
            "def build_model():\n    ### BEGIN SOLUTION\n    layers = 3\n"
            "    return layers\n    ### END SOLUTION",
        ),
        ("code", "layers = build_model()\nprint(layers)"),
    )
    assert exercises_of(nb)[0].contract == set()


def test_a_given_header_and_a_solution_body_are_told_apart(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — time it\n\nTrain `history`, timed with `with h.Timer() as t:`."),
        (
            "code",
            "with h.Timer() as t:\n    ### BEGIN SOLUTION\n"
            "    history = fit()\n    ### END SOLUTION",
        ),
        ("code", "h.check_defined('history', exercise=1)\nprint(history, t.seconds)"),
    )
    assert exercises_of(nb)[0].contract == {"history"}  # `t` is bound by the given header
    assert problems(nb, tmp_path) == []


def test_names_count_only_as_identifiers_inside_backticks():
    assert named_in("keep it in `history`", "history")
    assert named_in("use `with h.Timer() as training:`", "training")
    assert not named_in("keep the history", "history")
    assert not named_in("call `data.pipeline(...)`", "pipeline")


def test_lambdas_and_comprehensions_in_given_code_are_understood(tmp_path):
    nb = notebook(
        ("md", "## Exercise 1 — runs\n\nFill `runs`."),
        ("code", "### BEGIN SOLUTION\nruns = {'a': 1}\n### END SOLUTION"),
        ("code", "h.check_defined('runs', exercise=1)\nbest = min(runs, key=lambda n: runs[n])"),
        ("code", "print([name for name in runs])"),
    )
    assert exercises_of(nb)[0].contract == {"runs"}
    assert problems(nb, tmp_path) == []
