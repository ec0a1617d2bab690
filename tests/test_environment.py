"""The ways to install the course agree: pyproject.toml (pip), environment.yml (conda), the lock
constraints.txt, and `make env`'s choice of Python, platform markers and Python range included.

Whether every platform's set actually resolves is tests/test_resolution.py (needs the registry).
"""

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from helpers.config import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
ENVIRONMENT = yaml.safe_load((REPO / "environment.yml").read_text())
LOCK = REPO / "constraints.txt"

#: Marker environments (PEP 508) of the supported platforms, and the TensorFlow package each gets.
SUPPORTED_PLATFORMS = {
    "Linux x86-64": ({"sys_platform": "linux", "platform_machine": "x86_64"}, "tensorflow-cpu"),
    "Linux aarch64": ({"sys_platform": "linux", "platform_machine": "aarch64"}, "tensorflow"),
    "macOS arm64": ({"sys_platform": "darwin", "platform_machine": "arm64"}, "tensorflow"),
    "Windows x86-64": ({"sys_platform": "win32", "platform_machine": "AMD64"}, "tensorflow-cpu"),
}
#: Machines outside the list: each still asks for exactly one TensorFlow (and pip says it has none).
OTHER_PLATFORMS = {
    "macOS x86-64 (Intel)": {"sys_platform": "darwin", "platform_machine": "x86_64"},
    "Windows arm64": {"sys_platform": "win32", "platform_machine": "ARM64"},
    "Linux ppc64le": {"sys_platform": "linux", "platform_machine": "ppc64le"},
}
SUPPORTED_PYTHONS = ("3.11.5", "3.12.0", "3.13.0")


def marker_environment(platform: dict, python: str) -> dict:
    """A full PEP 508 marker environment for a platform and a CPython version."""
    os_name = "nt" if platform["sys_platform"] == "win32" else "posix"
    return {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": os_name,
        "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[
            platform["sys_platform"]
        ],
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python,
        "implementation_version": python,
        "platform_release": "",
        "platform_version": "",
        **platform,
    }


def every_environment():
    """Each supported platform with each supported Python: (label, marker environment)."""
    for label, (platform, _) in SUPPORTED_PLATFORMS.items():
        for python in SUPPORTED_PYTHONS:
            yield f"{label}, Python {python}", marker_environment(platform, python)


def pyproject_requirements() -> list[Requirement]:
    """Every dependency of pyproject.toml, runtime and dev."""
    specs = PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["dev"]
    return [Requirement(spec) for spec in specs]


def pip_section() -> list[str]:
    """The lines of environment.yml's pip section."""
    return next(d["pip"] for d in ENVIRONMENT["dependencies"] if isinstance(d, dict))


def environment_requirements() -> list[Requirement]:
    """The requirements of environment.yml's pip section (skipping the `-e .` and `-c` options)."""
    return [Requirement(line) for line in pip_section() if not line.startswith("-")]


def as_table(requirements: list[Requirement]) -> dict[str, tuple[str, str]]:
    """name -> (version specifier, marker), in a canonical spelling that compares equal."""
    table = {
        canonicalize_name(req.name): (str(req.specifier), str(req.marker or ""))
        for req in requirements
    }
    assert len(table) == len(requirements), "a package is listed twice"
    return table


def lock_requirements() -> list[Requirement]:
    """The pinned lines of constraints.txt (comments and `# via` annotations skipped)."""
    lines = LOCK.read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith(("#", " "))]


def pinned_version(requirement: Requirement) -> str:
    """The version of an exact ``==`` pin."""
    (spec,) = requirement.specifier
    assert spec.operator == "==", requirement
    return spec.version


# --- pyproject.toml and environment.yml ------------------------------------------------------


def test_every_pyproject_dependency_is_pinned_exactly():
    for requirement in pyproject_requirements():
        assert [spec.operator for spec in requirement.specifier] == ["=="], requirement


def test_environment_yml_pins_the_same_packages_versions_and_markers_as_pyproject():
    assert as_table(environment_requirements()) == as_table(pyproject_requirements())


def test_environment_yml_asks_for_the_same_python_range_as_pyproject():
    (python,) = [d for d in ENVIRONMENT["dependencies"] if str(d).startswith("python")]
    assert SpecifierSet(python.removeprefix("python")) == SpecifierSet(PYPROJECT["requires-python"])


def test_environment_yml_installs_the_course_package_with_the_lock():
    assert "-e ." in pip_section()
    assert "-c constraints.txt" in pip_section()


def test_every_environment_yml_dependency_says_what_it_is_used_for():
    lines = (REPO / "environment.yml").read_text().splitlines()
    dependency_lines = [line for line in lines if line.strip().startswith("- ") and "==" in line]
    assert dependency_lines and all("#" in line for line in dependency_lines)


# --- platforms and Pythons -------------------------------------------------------------------


def test_requires_python_is_311_5_up_to_313():
    supported = SpecifierSet(PYPROJECT["requires-python"])
    assert all(Version(v) in supported for v in ("3.11.5", "3.12.0", "3.13.0", "3.13.99"))
    assert not any(Version(v) in supported for v in ("3.10.14", "3.11.4", "3.14.0"))


def tensorflows_for(environment: dict) -> list[str]:
    """The TensorFlow packages that pyproject's markers select in a marker environment."""
    return [
        req.name
        for req in pyproject_requirements()
        if req.name.startswith("tensorflow")
        and (req.marker is None or req.marker.evaluate(environment))
    ]


@pytest.mark.parametrize("label", SUPPORTED_PLATFORMS)
def test_each_supported_platform_gets_the_tensorflow_that_has_wheels_for_it(label):
    platform, expected = SUPPORTED_PLATFORMS[label]
    for python in SUPPORTED_PYTHONS:
        assert tensorflows_for(marker_environment(platform, python)) == [expected]


@pytest.mark.parametrize("label", OTHER_PLATFORMS)
def test_other_platforms_ask_for_exactly_one_tensorflow_too(label):
    assert len(tensorflows_for(marker_environment(OTHER_PLATFORMS[label], "3.12.0"))) == 1


# --- the lock (constraints.txt) --------------------------------------------------------------


def lock_pins_for(environment: dict) -> dict[str, str]:
    """name -> version of the lock lines that apply in a marker environment (one version each)."""
    pins: dict[str, str] = {}
    for requirement in lock_requirements():
        if requirement.marker is None or requirement.marker.evaluate(environment):
            name = canonicalize_name(requirement.name)
            assert name not in pins, f"two versions of {name} apply to {environment}"
            pins[name] = pinned_version(requirement)
    return pins


@pytest.mark.parametrize("label, environment", list(every_environment()))
def test_the_lock_pins_every_direct_dependency_that_applies_at_its_version(label, environment):
    pins = lock_pins_for(environment)
    for requirement in pyproject_requirements():
        name = canonicalize_name(requirement.name)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            assert pins.get(name) == pinned_version(requirement), (label, name)
        else:
            assert name not in pins, f"{label}: the lock installs {name}, which pyproject excludes"


def lock_command() -> str:
    """The command that the lock's header says regenerates it."""
    header = LOCK.read_text().splitlines()[:2]
    match = re.search(r"make lock, i\.e\. (uv pip compile .*)$", header[1])
    assert header[0].startswith("# This file was autogenerated") and match, header
    return match.group(1)


def test_the_lock_says_how_it_is_regenerated_and_the_makefile_does_exactly_that():
    makefile = (REPO / "Makefile").read_text()
    (lock_args,) = re.findall(r"^LOCK_ARGS := (.*)$", makefile, re.MULTILINE)
    assert lock_command() == f"uv pip compile {lock_args} -o constraints.txt"
    assert re.search(
        r"^lock: .*\n\t\$\(VENV\)/bin/uv pip compile .*\$\(LOCK_ARGS\)", makefile, re.M
    )


def test_the_lock_is_resolved_from_the_oldest_supported_python():
    (oldest,) = [s for s in SpecifierSet(PYPROJECT["requires-python"]) if s.operator == ">="]
    assert f"--python-version {oldest.version} " in lock_command() + " "
    assert "--universal" in lock_command().split()
