"""The front module ``helpers``: light to import, quiet about TensorFlow, and the notebooks' API."""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

import helpers
from helpers.config import REPO

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))

#: What TensorFlow 2.21 writes to stderr while it loads (oneDNN/CPU notice, absl warning).
START_UP_LINES = ("absl::InitializeLog", "cpu_feature_guard", "oneDNN", "rebuild TensorFlow")


def python(code: str, *args: str, tf_log_level: str | None = "0") -> subprocess.CompletedProcess:
    """Run ``python -c code`` (or ``python args``) in the repository with a chosen TF log level.

    Level "0" lets TensorFlow print everything, so only helpers can be what keeps it quiet.
    """
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if tf_log_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = tf_log_level
    command = [sys.executable, *args] if args else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------- light and quiet


def test_import_helpers_loads_neither_tensorflow_nor_matplotlib():
    run = python(
        "import sys, helpers\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_data_info_command_imports_no_tensorflow():
    run = python("", "-X", "importtime", "-m", "helpers.data", "info")
    assert run.returncode == 0, run.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()]
    assert "helpers.data" in imported  # importtime did report
    heavy = [name for name in imported if name.split(".")[0] in ("tensorflow", "keras")]
    assert heavy == []


def test_keras_imported_after_helpers_starts_tensorflow_quietly():
    loud = python("import keras")
    if not any(line in loud.stderr for line in START_UP_LINES):
        pytest.skip("this TensorFlow prints nothing at start-up, so there is nothing to hide")

    run = python("import helpers, sys\nimport keras\nprint('still here', file=sys.stderr)")

    assert run.returncode == 0
    assert run.stderr == "still here\n"  # stderr works again once TensorFlow is loaded


def test_a_helper_that_needs_tensorflow_imports_it_quietly_on_first_use():
    run = python(
        "import sys, helpers as h\n"
        "assert 'tensorflow' not in sys.modules\n"
        "h.set_seed(0)\n"
        "print('tensorflow' in sys.modules, type(sys.modules['tensorflow'].__loader__).__name__)"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "SourceFileLoader"]  # the wrapper leaves no trace
    assert not [line for line in START_UP_LINES if line in run.stderr], run.stderr


#: What TensorFlow prints when it aborts on a CPU without the instructions it was built for.
FATAL = (
    "F0000 00:00:1796514936.1 cpu_feature_guard.cc:110] The TensorFlow library was compiled to "
    "use AVX instructions, but these aren't available on your machine."
)


def test_a_fatal_message_while_tensorflow_loads_still_reaches_stderr(tmp_path):
    """An imitation TensorFlow writes the real start-up notices, then a fatal line, and aborts."""
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import os\n"
        "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\\n')\n"
        "os.write(2, b'I0000 00:00:17965.0 port.cc:153] oneDNN custom operations are on.\\n')\n"
        f"os.write(2, {FATAL!r}.encode() + b'\\n')\n"
        "os.abort()\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    run = subprocess.run(
        [sys.executable, "-c", "import helpers\nimport tensorflow"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0  # the process died, as TensorFlow's abort makes it
    assert FATAL in run.stderr
    assert "oneDNN" not in run.stderr and "absl::InitializeLog" not in run.stderr


#: A real retracing warning: one tf.function called with six input shapes traces six times.
RETRACE = (
    "import tensorflow as tf\n"
    "f = tf.function(lambda x: x + 1)\n"
    "for n in range(1, 7):\n"
    "    f(tf.zeros([n]))\n"
)


def test_without_helpers_tensorflow_prints_its_retracing_warning():
    run = python(RETRACE, tf_log_level="2")
    assert "triggered tf.function retracing" in run.stdout + run.stderr


def test_tensorflow_warnings_go_to_the_build_log_and_errors_still_show(tmp_path):
    code = (
        "import helpers\n"
        + RETRACE
        + "tf.get_logger().error('an error TensorFlow reports')\nprint('done')\n"
    )
    env_build = {"CNN_LABS_BUILD": str(tmp_path)}
    os.environ.update(env_build)
    try:
        run = python(code, tf_log_level="2")
    finally:
        del os.environ["CNN_LABS_BUILD"]
    assert run.returncode == 0, run.stderr
    printed = run.stdout + run.stderr
    assert "retracing" not in printed
    assert "an error TensorFlow reports" in printed  # errors are not hidden
    logged = (tmp_path / "logs" / "tensorflow.log").read_text()
    assert "WARNING" in logged and "triggered tf.function retracing" in logged
    assert "an error TensorFlow reports" not in logged


@pytest.mark.slow
def test_a_notebook_that_imports_helpers_then_keras_gets_no_start_up_lines(course_kernel):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import helpers as h"),
            nbformat.v4.new_code_cell("import keras\nprint('keras', keras.__version__)"),
        ]
    )
    saved = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # the kernel inherits it: TF would print it all
    try:
        NotebookClient(nb, kernel_name="cnn-labs", timeout=300).execute(cwd=str(REPO))
    finally:
        if saved is None:
            del os.environ["TF_CPP_MIN_LOG_LEVEL"]
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = saved
    outputs = [output for cell in nb.cells for output in cell.outputs]
    assert [o.get("name") for o in outputs] == ["stdout"]
    assert outputs[0].text.startswith("keras 3.")


# --------------------------------------------------------------------------- the declared API


@pytest.mark.parametrize("name", helpers.__all__)
def test_every_declared_name_resolves_and_documents_itself(name):
    value = getattr(helpers, name)
    if inspect.isfunction(value) or inspect.isclass(value):
        assert inspect.getdoc(value), f"helpers.{name} has no docstring"


def test_the_places_notebooks_use():
    assert helpers.REPO == REPO and (helpers.REPO / "helpers").is_dir()
    assert helpers.models_dir() == REPO / "build" / "models" and helpers.models_dir().is_dir()
    assert helpers.patient_id("person1004_bacteria_2935.jpeg") == "person1004"


def test_an_undeclared_name_is_an_attribute_error_that_points_at_all():
    with pytest.raises(AttributeError, match=r"no attribute 'plot_everything'.*helpers\.__all__"):
        helpers.plot_everything  # noqa: B018


def parse_cell(source: str) -> ast.Module:
    """A code cell as Python (IPython magics turned into calls, as IPython runs them)."""
    return ast.parse(TransformerManager().transform_cell(source))


def helpers_aliases(trees: list[ast.Module]) -> set[str]:
    """The names ``helpers`` is imported as (``h`` for ``import helpers as h``)."""
    return {
        alias.asname or alias.name
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "helpers"
    }


def helpers_uses(tree: ast.Module, aliases: set[str]) -> list[tuple[str, str, int]]:
    """Every ``h.<name>`` a cell uses: (name, the whole expression, line), ``h`` being helpers.

    ``from helpers import x`` counts as using ``x``; ``from helpers.data import x`` as ``data``.
    """
    uses = []
    chains = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "helpers":
            inside = node.module.split(".")[1:]
            for a in node.names:
                imported = f"from {node.module} import {a.name}"
                uses.append((inside[0] if inside else a.name, imported, node.lineno))
        if isinstance(node, ast.Attribute) and id(node) not in chains:  # a whole a.b.c chain
            base = node
            while isinstance(base.value, ast.Attribute):
                base = base.value
            if isinstance(base.value, ast.Name) and base.value.id in aliases:
                uses.append((base.attr, ast.unparse(node), node.lineno))
    return uses


def test_the_use_finder_sees_names_chains_and_imports():
    source = (
        "%matplotlib inline\nimport helpers as h\nfrom helpers.data import loaders\n"
        "h.check(True, 'x')\npath = h.config.REPO / 'build'\nh.data.loaders.patient_id(f)"
    )
    tree = parse_cell(source)
    assert sorted(helpers_uses(tree, helpers_aliases([tree]))) == [
        ("check", "h.check", 4),
        ("config", "h.config.REPO", 5),
        ("data", "from helpers.data import loaders", 3),
        ("data", "h.data.loaders.patient_id", 6),
    ]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_notebooks_use_only_the_names_helpers_declares(solution):
    nb = nbformat.read(solution, as_version=4)
    trees = {i: parse_cell(c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    aliases = helpers_aliases(list(trees.values()))
    assert aliases, f"{solution.name} never imports helpers"
    undeclared = [
        f"cell {index}, line {line}: {expression}  (`{name}` is not in helpers.__all__)"
        for index, tree in trees.items()
        for name, expression, line in helpers_uses(tree, aliases)
        if name not in helpers.__all__
    ]
    assert not undeclared, f"{solution.name} reaches into helpers' internals:\n" + "\n".join(
        undeclared
    )
