"""`helpers` works on Windows: no Unix-only module at module level, no reliance on /proc.

Windows has no ``resource``, ``fcntl``, ``termios``, ``pwd`` or ``grp`` and no /proc. The runtime
test imports every helpers module in a fresh Python where those modules raise
ModuleNotFoundError and Python-level reads under /proc fail, as they would there; the static test
reads every helpers source file, including modules ``import helpers`` does not load.
"""

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from helpers.config import REPO

UNIX_ONLY = ("resource", "fcntl", "termios", "pwd", "grp", "posix", "pty", "tty", "syslog", "crypt")

#: Run first in the child: make the Unix-only modules unimportable and /proc unreadable.
BLOCKERS = textwrap.dedent(
    """
    import builtins, io, os, sys

    BLOCKED = ("resource", "fcntl", "termios", "pwd", "grp")

    def block_unix_modules():
        for name in BLOCKED:
            sys.modules[name] = None  # `import name` now raises ModuleNotFoundError

    real_open, real_os_open = builtins.open, os.open

    def refuse_proc(path):
        if isinstance(path, int):
            return
        path = os.fsdecode(os.fspath(path))
        if os.path.abspath(path) == "/proc" or os.path.abspath(path).startswith("/proc/"):
            raise PermissionError(13, "no /proc here (as on Windows)", path)

    def guarded_open(file, *args, **kwargs):
        refuse_proc(file)
        return real_open(file, *args, **kwargs)

    def guarded_os_open(path, *args, **kwargs):
        refuse_proc(path)
        return real_os_open(path, *args, **kwargs)

    def block_proc(on=True):
        builtins.open = io.open = guarded_open if on else real_open
        os.open = guarded_os_open if on else real_os_open

    block_unix_modules()
    block_proc()
    for name in BLOCKED:  # the blockers work, or this test proves nothing
        try:
            __import__(name)
        except ModuleNotFoundError:
            pass
        else:
            raise SystemExit(f"blocker failed: {name} imported")
    try:
        open("/proc/self/status").close()
    except PermissionError:
        pass
    else:
        raise SystemExit("blocker failed: /proc readable")
    """
)

CHILD = BLOCKERS + textwrap.dedent(
    """
    import importlib, pkgutil
    import helpers
    from helpers import training

    for module in pkgutil.walk_packages(helpers.__path__, "helpers."):
        importlib.import_module(module.name)
    print("imported", len(list(pkgutil.walk_packages(helpers.__path__, "helpers."))), "modules")

    assert training.cpu_has_fast_bfloat16() is False  # no /proc/cpuinfo: no claim of bfloat16
    print("policy", training.choose_precision(gpu=None)[0])

    # peak_memory_mb without `resource` falls back to psutil (on Windows: the peak working set).
    # psutil's Linux backend itself needs /proc and `resource`, which its Windows one does not,
    # so let psutil load as it would there, then take `resource` away again.
    block_proc(on=False)
    sys.modules.pop("resource")
    import psutil
    block_unix_modules()
    megabytes = helpers.peak_memory_mb()
    assert 50 < megabytes < 50_000, megabytes
    print(f"peak {megabytes:.0f} MiB")
    """
)


def test_helpers_imports_and_runs_without_unix_only_modules_or_proc():
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("imported") and int(lines[0].split()[1]) >= 10
    assert lines[1] == "policy float32"
    assert lines[2].startswith("peak")


def test_the_blockers_do_block_a_module_level_unix_import(tmp_path):
    """Control: a module with a top-level `import resource` fails under the same blockers."""
    (tmp_path / "unix_only_module.py").write_text("import resource\n")
    child = BLOCKERS + "import sys\nsys.path.insert(0, sys.argv[1])\nimport unix_only_module\n"
    result = subprocess.run(
        [sys.executable, "-c", child, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "ModuleNotFoundError: import of resource halted" in result.stderr


def module_level_imports(tree: ast.Module) -> set[str]:
    """Top-level package names imported outside any function or class (try/if blocks included)."""
    names: set[str] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    return names


def test_no_helpers_module_imports_a_unix_only_module_at_module_level():
    sources = sorted((REPO / "helpers").rglob("*.py"))
    assert len(sources) >= 10
    for source in sources:
        imported = module_level_imports(ast.parse(source.read_text(), str(source)))
        assert not imported & set(UNIX_ONLY), f"{source.relative_to(REPO)}: {imported}"


def test_the_static_check_sees_imports_inside_try_blocks():
    tree = ast.parse("try:\n    import fcntl\nexcept ImportError:\n    pass\n")
    assert module_level_imports(tree) == {"fcntl"}
    assert module_level_imports(ast.parse("def f():\n    import resource\n")) == set()


# --- tests that run the same on any checkout ----------------------------------------------------

#: Where checkouts and data live on someone's machine: the folder holding this checkout (e.g. the
#: one with ../shared/data) and the usual homes. A test must reach these through settings.
MACHINE_ROOTS = tuple(
    root
    for root in (f"{REPO.parent.as_posix().rstrip('/')}/", "/home/", "/Users/", "/root/")
    if root != "/"
)


def machine_paths(source: str) -> list[str]:
    """The string constants of a Python source that name a path on this or a user's machine."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.replace("\\", "/")
            if text.startswith(MACHINE_ROOTS) or re.match(r"[A-Za-z]:/Users/", text):
                found.append(node.value)
    return found


def test_no_test_names_an_absolute_path_of_a_machine():
    here = Path(__file__).name  # this file holds the examples
    sources = [p for p in sorted((REPO / "tests").rglob("*.py")) if p.name != here]
    assert len(sources) >= 20
    offenders = {
        str(source.relative_to(REPO)): paths
        for source in sources
        if (paths := machine_paths(source.read_text(encoding="utf-8")))
    }
    assert not offenders, f"find data through the course_data fixture instead: {offenders}"


def test_the_path_check_sees_a_hard_coded_data_file():
    old_line = f'MNIST = Path("{REPO.parent.as_posix()}/shared/data/mnist.npz")\n'
    assert machine_paths(old_line) == [f"{REPO.parent.as_posix()}/shared/data/mnist.npz"]
    assert machine_paths('p = Path("/home/ana/cnn-labs/data/mnist.npz")\n')
    assert machine_paths('p = "C:\\\\Users\\\\ana\\\\data"\n')
    assert machine_paths('p = tmp_path / "data" / "mnist.npz"\n') == []
