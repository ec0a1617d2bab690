"""tools/find_python.sh: `make env` picks the newest supported Python, probing each by running."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from helpers.config import REPO

SCRIPT = REPO / "tools" / "find_python.sh"
BASH = shutil.which("bash")
RANGE = "CPython 3.11.5 up to 3.13"


def fake_python(folder: Path, name: str, version: str | None) -> Path:
    """An executable that answers the probe like a Python of ``version`` (None: a failing shim)."""
    path = folder / name
    if version is None:  # what pyenv's shim does for a version that is not selected
        body = f'echo "pyenv: {name}: command not found" >&2\nexit 127\n'
    else:
        body = f'echo "{version.replace(".", " ")} {folder}/real-{name}"\n'
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def find_python(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the script with only ``folder`` on PATH."""
    return subprocess.run(
        [BASH, str(SCRIPT), *args],
        env={"PATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_it_picks_the_newest_supported_python_that_runs(tmp_path):
    fake_python(tmp_path, "python3.13", None)
    fake_python(tmp_path, "python3.12", "3.12.4")
    fake_python(tmp_path, "python3.11", "3.11.9")
    result = find_python(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{tmp_path}/real-python3.12"


@pytest.mark.parametrize("version", ["3.11.5", "3.11.9", "3.12.0", "3.13.0", "3.13.12"])
def test_it_accepts_every_supported_version(tmp_path, version):
    fake_python(tmp_path, "python3", version)
    assert find_python(tmp_path).stdout.strip() == f"{tmp_path}/real-python3"


@pytest.mark.parametrize("version", ["2.7.18", "3.10.13", "3.11.2", "3.11.4", "3.14.0", "4.0.0"])
def test_it_stops_with_what_to_do_when_no_python_is_supported(tmp_path, version):
    fake_python(tmp_path, "python3.11", version)
    fake_python(tmp_path, "python3.13", None)
    result = find_python(tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert RANGE in result.stderr
    assert f"python3.11: Python {version}, not supported" in result.stderr
    assert "python3.13: does not run" in result.stderr
    assert "python3.12: not found" in result.stderr
    assert "make env PYTHON=" in result.stderr


def test_a_named_python_is_checked_too(tmp_path):
    old = fake_python(tmp_path, "old-python", "3.11.2")
    fake_python(tmp_path, "python3.12", "3.12.4")
    result = find_python(tmp_path, str(old))
    assert result.returncode == 1
    assert f"PYTHON={old} is not one" in result.stderr


def test_it_reports_the_real_interpreter_behind_a_name():
    result = subprocess.run(
        [BASH, str(SCRIPT), sys.executable], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == Path(sys.executable)


def test_its_range_is_pyprojects_requires_python():
    text = SCRIPT.read_text()
    minimum = re.search(r"^MINIMUM=\((\d+) (\d+) (\d+)\)", text, re.M).groups()
    below = re.search(r"^BELOW=\((\d+) (\d+)\)", text, re.M).groups()
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires) == SpecifierSet(f">={'.'.join(minimum)},<{'.'.join(below)}")


def test_make_env_stops_at_once_with_an_unsupported_python(tmp_path):
    old = fake_python(tmp_path, "old-python", "3.10.13")
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "--no-print-directory", "env", f"PYTHON={old}", f"VENV={venv}"],
        cwd=REPO,
        env={**os.environ, "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert RANGE in result.stderr and "3.10.13" in result.stderr
    assert not venv.exists()  # nothing built, nothing installed
