"""Tests of tools.kernel on kernelspecs in temporary folders (the real ones stay untouched)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from tools import kernel
from tools.kernel import KERNEL_NAME, kernel_problems, kernel_warnings


def write_kernelspec(kernels: Path, argv0: str) -> Path:
    """A "cnn-labs" kernelspec in a kernels folder that starts ``argv0``."""
    folder = kernels / KERNEL_NAME
    folder.mkdir(parents=True)
    spec = {"argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"]}
    (folder / "kernel.json").write_text(
        json.dumps({**spec, "display_name": "x", "language": "python"})
    )
    return folder


def manager(*kernel_dirs: Path) -> KernelSpecManager:
    """A kernelspec manager that looks only in the given folders, in that order."""
    return KernelSpecManager(kernel_dirs=[str(d) for d in kernel_dirs])


def test_install_registers_this_interpreter_under_the_prefix(tmp_path):
    folder = kernel.install(prefix=str(tmp_path))
    assert Path(folder) == tmp_path / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec = json.loads((Path(folder) / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == "Python 3 (cnn-labs)"
    assert kernel_problems(manager(Path(folder).parent)) == []


def test_a_missing_kernelspec_says_to_run_make_env(tmp_path):
    (problem,) = kernel_problems(manager(tmp_path))
    assert "no Jupyter kernel named 'cnn-labs'" in problem and "make env" in problem


def test_a_kernelspec_starting_a_missing_interpreter_is_reported(tmp_path):
    write_kernelspec(tmp_path, str(tmp_path / "gone" / "bin" / "python"))
    (problem,) = kernel_problems(manager(tmp_path), prefix=str(tmp_path))
    assert "gone/bin/python', which does not exist" in problem


@pytest.mark.skipif(
    not os.path.exists("/usr/bin/python3")
    or os.path.realpath("/usr/bin/python3") == os.path.realpath(sys.executable),
    reason="needs a /usr/bin/python3 other than the interpreter running the tests",
)
def test_a_kernelspec_starting_the_system_python_is_reported(tmp_path):
    write_kernelspec(tmp_path, "/usr/bin/python3")
    (problem,) = kernel_problems(manager(tmp_path), prefix=str(tmp_path))
    assert "starts /usr/bin/python3, not this environment's Python" in problem


def test_a_symlink_to_the_same_binary_in_another_environment_is_reported(tmp_path):
    """A venv's python resolves to the base interpreter, which lacks the venv's packages."""
    other = tmp_path / "other-env" / "bin"
    other.mkdir(parents=True)
    (other / "python").symlink_to(os.path.realpath(sys.executable))
    write_kernelspec(tmp_path / "kernels", str(other / "python"))
    (problem,) = kernel_problems(manager(tmp_path / "kernels"), prefix=str(tmp_path))
    assert "other-env/bin/python, not this environment's Python" in problem


def test_a_kernelspec_outside_the_prefix_must_be_deleted_to_fix_it(tmp_path):
    write_kernelspec(tmp_path / "user", "/nowhere/python")
    (problem,) = kernel_problems(manager(tmp_path / "user"), prefix=str(tmp_path / "env"))
    assert f"delete the folder {tmp_path / 'user' / KERNEL_NAME}" in problem


def test_a_kernelspec_found_before_the_environments_own_one_is_a_warning(tmp_path):
    own_kernels = tmp_path / "env" / "share" / "jupyter" / "kernels"
    write_kernelspec(own_kernels, sys.executable)
    write_kernelspec(tmp_path / "user", sys.executable)
    prefix = str(tmp_path / "env")
    (warning,) = kernel_warnings(manager(tmp_path / "user", own_kernels), prefix=prefix)
    assert f"in {tmp_path / 'user' / KERNEL_NAME} hides" in warning
    assert kernel_warnings(manager(own_kernels, tmp_path / "user"), prefix=prefix) == []


def test_check_command_passes_on_a_good_kernel_and_fails_on_a_bad_one(
    tmp_path, monkeypatch, capsys
):
    kernel.install(prefix=str(tmp_path / "good"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "good" / "share" / "jupyter"))
    assert kernel.main(["check"]) == 0
    assert capsys.readouterr().out.startswith("OK: the Jupyter kernel 'cnn-labs' starts")

    write_kernelspec(tmp_path / "bad" / "kernels", "/nowhere/python")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "bad"))
    assert kernel.main(["check"]) == 1
    assert "'/nowhere/python', which does not exist" in capsys.readouterr().err
