"""Every supported platform × Python resolves the course's pinned set from the package registry.

uv resolves another platform's set in seconds (``--python-platform``): for each row it takes
pyproject.toml's dependencies (dev tools included, as environment.yml has them) under the lock
constraints.txt, wheels only (students need no compiler), exactly as a student's
``pip install -c constraints.txt -e ".[dev]"`` would see it on that machine. Needs PyPI: an
offline run deselects these tests with ``-m "not network"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from helpers.config import REPO

pytestmark = pytest.mark.network

UV = Path(sys.executable).parent / "uv"

#: uv's target triples for the supported platforms, and the TensorFlow package each must get.
PLATFORMS = {
    "Linux x86-64": ("x86_64-unknown-linux-gnu", "tensorflow-cpu"),
    "Linux aarch64": ("aarch64-unknown-linux-gnu", "tensorflow"),
    "macOS arm64": ("aarch64-apple-darwin", "tensorflow"),
    "Windows x86-64": ("x86_64-pc-windows-msvc", "tensorflow-cpu"),
}
#: The oldest supported release of each minor version (TensorFlow needs macOS 12 or later).
PYTHONS = ("3.11.5", "3.12", "3.13")
MACOS = "12.0"
ROWS = [(platform, python) for platform in PLATFORMS for python in PYTHONS]
#: Resolution needs no interpreter of the target version: without these, uv probes every Python on
#: PATH (slow pyenv shims) and tries to download a 3.13 build, which takes seconds per row.
FAST = ("--python", sys.executable, "--no-python-downloads")


def resolve(triple: str, python: str, output: Path) -> subprocess.CompletedProcess:
    """``uv pip compile`` of the course's requirements for one platform and Python."""
    command = [
        str(UV), "pip", "compile", "pyproject.toml", "--extra", "dev",
        "--constraint", "constraints.txt",
        "--python-platform", triple, "--python-version", python,
        "--only-binary", ":all:",
        "--no-header", "--no-annotate", "--quiet", "--output-file", str(output),
        *FAST,
    ]  # fmt: skip
    env = {**os.environ, "MACOSX_DEPLOYMENT_TARGET": MACOS}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def pins(output: Path) -> dict[str, str]:
    """name -> version of a resolution's output file."""
    lines = [line.split(";")[0].strip() for line in output.read_text().splitlines()]
    return dict(
        (canonicalize_name(line.split("==")[0]), line.split("==")[1])
        for line in lines
        if "==" in line
    )


@pytest.fixture(scope="module")
def resolutions(
    tmp_path_factory,
) -> dict[tuple[str, str], tuple[subprocess.CompletedProcess, Path]]:
    """All rows at once (the time is the registry's, not the CPU's): row -> (result, output)."""
    if not UV.is_file():
        pytest.fail(f"uv is missing from this environment ({UV}): run `make env`")
    folder = tmp_path_factory.mktemp("resolutions")

    def run(row):
        platform, python = row
        output = folder / f"{PLATFORMS[platform][0]}-{python}.txt"
        return row, (resolve(PLATFORMS[platform][0], python, output), output)

    with ThreadPoolExecutor(max_workers=6) as pool:
        return dict(pool.map(run, ROWS))


@pytest.mark.parametrize("platform, python", ROWS)
def test_the_course_resolves_on(resolutions, platform, python):
    result, output = resolutions[platform, python]
    assert result.returncode == 0, f"{platform}, Python {python}:\n{result.stderr}"
    resolved = pins(output)
    tensorflow = PLATFORMS[platform][1]
    other = {"tensorflow": "tensorflow-cpu", "tensorflow-cpu": "tensorflow"}[tensorflow]
    assert resolved.get(tensorflow) == "2.21.0" and other not in resolved, resolved
    assert len(resolved) > 100  # the whole closure, not only the direct pins


def test_every_row_is_within_requires_python():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    supported = SpecifierSet(project["requires-python"])
    assert all(Version(python) in supported for python in PYTHONS)


@pytest.mark.parametrize("python", ["3.11.4", "3.14"])
def test_the_pins_do_not_support_pythons_outside_requires_python(tmp_path, python):
    """The range is as wide as the pins allow, and no wider: just outside it, resolution fails."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert Version(python) not in SpecifierSet(project["requires-python"])
    result = resolve("x86_64-unknown-linux-gnu", python, tmp_path / "out.txt")
    assert result.returncode != 0
    assert "No solution found" in result.stderr


def test_the_lock_is_what_its_own_command_regenerates(tmp_path):
    """constraints.txt is up to date with pyproject.toml: `make lock` would change nothing."""
    lock = REPO / "constraints.txt"
    header = lock.read_text().splitlines()[1]
    command = header.split("make lock, i.e. ", 1)[1].split()
    assert command[:3] == ["uv", "pip", "compile"] and command[-2:] == ["-o", "constraints.txt"]
    shutil.copy(lock, tmp_path / "constraints.txt")  # uv keeps the versions an existing file has
    result = subprocess.run(
        [str(UV), *command[1:-1], str(tmp_path / "constraints.txt"), "-q", "--no-header", *FAST],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    regenerated = (tmp_path / "constraints.txt").read_text().splitlines()
    assert regenerated == lock.read_text().splitlines()[2:]
