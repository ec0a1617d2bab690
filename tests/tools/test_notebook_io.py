"""tools.notebook_io: the one way the tools serialise and write files; the kernel's one name."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from helpers.config import REPO
from tools.kernel import KERNEL_NAME, KERNELSPEC
from tools.notebook_io import serialise, shown, write_atomic
from tools.notebooks import make_student


def test_serialise_writes_what_nbformat_writes_with_one_trailing_newline(tmp_path):
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "a.ipynb")
    text = serialise(nb)
    assert text == (tmp_path / "a.ipynb").read_text(encoding="utf-8").rstrip("\n") + "\n"
    assert text.endswith("}\n") and not text.endswith("\n\n")


def test_write_atomic_replaces_the_file_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "deep" / "results.md"
    write_atomic(target, "old\n")
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in target.parent.iterdir()] == ["results.md"]


def test_shown_is_relative_inside_the_working_directory_and_absolute_outside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown(tmp_path / "solutions" / "lab.ipynb") == str(Path("solutions", "lab.ipynb"))
    assert shown(tmp_path.parent / "elsewhere.ipynb") == str(tmp_path.parent / "elsewhere.ipynb")


def test_student_notebooks_name_the_kernel_that_tools_kernel_registers():
    assert make_student(new_notebook()).metadata.kernelspec == KERNELSPEC
    assert KERNELSPEC["name"] == KERNEL_NAME == "cnn-labs"


def test_the_kernel_name_is_written_in_tools_kernel_only():
    """No other tool spells the name as a string literal: they import it."""
    spelled = []
    for path in sorted((REPO / "tools").rglob("*.py")):
        if path.name == "kernel.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == KERNEL_NAME:
                spelled.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert spelled == []
