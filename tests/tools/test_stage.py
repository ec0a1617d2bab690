"""tools/stage.sh: each stage of `make test` and CI timed, failures passed on, then a report."""

import os
import subprocess
import sys

from helpers.config import REPO
from helpers.machine import cpu_kind

STAGE = str(REPO / "tools" / "stage.sh")


def stage(log, *args: str) -> subprocess.CompletedProcess:
    # PY: the interpreter the report asks for the CPU kind (default .venv/bin/python, which a
    # checkout without its own environment, such as a git worktree, does not have)
    env = {**os.environ, "CNN_LABS_STAGES": str(log), "PY": sys.executable}
    return subprocess.run([STAGE, *args], cwd=REPO, env=env, capture_output=True, text=True)


def test_a_stage_is_timed_and_its_exit_status_passed_on(tmp_path):
    log = tmp_path / "stages.tsv"
    assert stage(log, "lint", "true").returncode == 0
    failed = stage(log, "nbval 05_transfer_learning", "bash", "-c", "sleep 0.2; exit 3")
    assert failed.returncode == 3
    rows = [line.split("\t") for line in log.read_text().splitlines()]
    assert [(name, result) for name, _, result in rows] == [
        ("lint", "ok"),
        ("nbval 05_transfer_learning", "failed (exit 3)"),
    ]
    assert 0.2 <= float(rows[1][1]) < 5


def test_the_report_lists_every_stage_the_total_and_the_cpu_kind(tmp_path):
    log = tmp_path / "stages.tsv"
    log.write_text("unit\t65.0\tok\nslow\t183.5\tok\n")
    report = stage(log, "--report")
    assert report.returncode == 0
    lines = report.stdout.splitlines()
    assert any(line.split()[:2] == ["unit", "65.0"] for line in lines)
    assert any(line.split()[:2] == ["total", "248.5"] for line in lines)
    assert lines[-1].startswith("CPU: ") and cpu_kind() in lines[-1]


def test_a_bad_call_says_how_to_use_it(tmp_path):
    run = stage(tmp_path / "stages.tsv", "only-a-name")
    assert run.returncode == 2 and "usage" in run.stderr
