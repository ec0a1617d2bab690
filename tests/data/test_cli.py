"""The command line: ``python -m helpers.data fetch|info|check``, exit codes and messages."""

import importlib
import os
import subprocess
import sys

import pytest

from helpers.config import REPO

cli = importlib.import_module("helpers.data.__main__")
pytestmark = pytest.mark.usefixtures("isolated_data")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m helpers.data ARGS`` in a fresh process with this test's data settings."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "helpers.data", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_info_lists_every_artifact_with_its_licence_and_the_settings(isolated_data):
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    for name in ("mnist", "cats_and_dogs", "chest_xray", "mobilenet_v2_no_top"):
        assert name in result.stdout
    assert "CC BY-SA 3.0" in result.stdout and "CC BY 4.0" in result.stdout
    assert f"cache : {isolated_data}" in result.stdout
    assert "mirror: not set (CNN_LABS_MIRROR)" in result.stdout


def test_check_exits_1_and_names_the_unreadable_file(tmp_path, make):
    root = make.class_tree(tmp_path / "pets" / "train", {"cats": 2, "dogs": 2}).parent
    (root / "train" / "cats" / "cat.corrupt.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    result = run_cli("check", str(root))
    assert result.returncode == 1, result.stderr
    assert "train/cats/cat.corrupt.jpg" in result.stdout and "NOT OK" in result.stdout


def test_an_unknown_artifact_exits_2_with_a_clear_message_and_no_traceback():
    result = run_cli("fetch", "minst")
    assert result.returncode == 2
    assert "error: unknown artifact 'minst'; valid names are: mnist" in result.stderr
    assert "Traceback" not in result.stderr


def test_fetch_prints_the_path_it_produced(make, capsys, isolated_data):
    make.mirror({"mnist.npz": b"digits"})
    assert cli.main(["fetch", "mnist", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(isolated_data / "mnist.npz")


def test_fetch_all_fetches_what_it_can_and_skips_files_with_no_source(make, monkeypatch, capsys):
    make.mirror({"toy.bin": b"toy"})
    registry = {
        "toy": make.artifact(),
        "lost": make.artifact("lost.bin", name="lost"),
        "extra": make.artifact(
            "extra.bin", name="extra", url="https://example.org/x", optional=True
        ),
    }
    monkeypatch.setattr(cli, "ARTIFACTS", registry)
    assert cli.main(["fetch", "all", "-q"]) == 0
    out = capsys.readouterr().out
    assert "toy: " in out
    assert "skip lost: lost.bin has no public download and is not in the mirror" in out
    assert "skip extra: optional" in out


def test_a_data_error_in_check_exits_2(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "nowhere")]) == 2
    assert "nowhere does not exist" in capsys.readouterr().err


def test_help_describes_the_commands(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("fetch", "info", "check", "CNN_LABS_MIRROR"))
