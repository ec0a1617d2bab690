"""The two ways to install the course (conda's environment.yml, pip's pyproject.toml) must agree."""

import tomllib

import yaml

from helpers.config import REPO


def pyproject_pins() -> dict[str, str]:
    """Every dependency of pyproject.toml (runtime and dev) as name -> version."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(spec.split("==") for spec in specs)


def environment_pins() -> dict[str, str]:
    """The pip section of environment.yml as name -> version (skipping the `-e .` line)."""
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return dict(line.split("==") for line in pip_section if not line.startswith("-e"))


def test_every_pyproject_dependency_is_pinned_exactly():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    assert all(spec.count("==") == 1 for spec in specs), specs


def test_environment_yml_pins_the_same_packages_and_versions_as_pyproject():
    assert environment_pins() == pyproject_pins()


def test_environment_yml_installs_the_course_package_and_python_311():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_every_environment_yml_dependency_says_what_it_is_used_for():
    lines = (REPO / "environment.yml").read_text().splitlines()
    dependency_lines = [line for line in lines if line.strip().startswith("- ") and "==" in line]
    assert dependency_lines and all("#" in line for line in dependency_lines)


def test_constraints_agree_with_the_direct_pins():
    constraints = dict(
        line.split("==")
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    normalise = lambda name: name.lower().replace("_", "-")  # noqa: E731
    constraints = {normalise(k): v for k, v in constraints.items()}
    for name, version in pyproject_pins().items():
        assert constraints.get(normalise(name)) == version, name
