"""Tests of tools.run_solutions: real papermill runs of tiny notebooks on a private "cnn-labs"."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tools import run_solutions
from tools.run_solutions import render_results_table, update_results

PRINT_CELL = "import os\nprint(f'training for {EPOCHS} epochs in {os.path.basename(os.getcwd())}')"

METRICS_CELL = """import json
with open(os.environ["CNN_LABS_RESULTS_FILE"], "w") as f:
    json.dump({"test_accuracy": 0.9912, "peak_rss_mb": 321.5, "epochs": EPOCHS}, f)"""


def lab(*sources: str) -> nbformat.NotebookNode:
    """A notebook with a parameters cell (EPOCHS = 3), then the given code cells."""
    params = new_code_cell("EPOCHS = 3", metadata={"tags": ["parameters"]})
    cells = [params, *(new_code_cell(source) for source in sources)]
    cells[1].outputs = [new_output("stream", name="stdout", text="output of an old run\n")]
    return new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "cnn-labs", "display_name": "Python 3 (cnn-labs)"}},
    )


@pytest.fixture
def repo(tmp_path):
    """A repository-like folder with three solutions: one with metrics, one without, one failing."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nbformat.write(lab(PRINT_CELL, METRICS_CELL), solutions / "01_good.ipynb")
    nbformat.write(lab(PRINT_CELL), solutions / "02_plain.ipynb")
    failing = "raise ValueError('planted\\n  failure')"  # a message over two lines
    nbformat.write(lab(PRINT_CELL, failing), solutions / "03_bad.ipynb")
    return tmp_path


def cli(repo: Path, *args: str) -> int:
    """Run the tool's command line on the folders of ``repo``."""
    folders = ["--solutions", str(repo / "solutions"), "--build", str(repo / "build")]
    smoke = ["--smoke-parameters", str(repo / "smoke_parameters.json")]
    return run_solutions.main([*args, *folders, *smoke])


def printed(nb_path: Path, cell: int) -> str:
    """The stdout a cell of a stored notebook printed."""
    outputs = nbformat.read(nb_path, as_version=4).cells[cell].outputs
    return "".join(output.get("text", "") for output in outputs)


# --------------------------------------------------------------------------- real runs


@pytest.mark.slow
def test_a_full_run_replaces_the_solution_and_records_its_results(repo, course_kernel):
    solutions = repo / "solutions"
    (solutions / "results.json").write_text(json.dumps({"labs": {"00_other": {"seconds": 2.0}}}))

    assert cli(repo, "01_good") == 0

    assert printed(solutions / "01_good.ipynb", 1) == "training for 3 epochs in solutions\n"
    stored = nbformat.read(solutions / "01_good.ipynb", as_version=4)
    assert "papermill" not in stored.metadata
    assert all(set(cell.metadata) <= {"tags"} for cell in stored.cells)
    results = json.loads((solutions / "results.json").read_text())
    good = results["labs"]["01_good"]
    assert (good["test_accuracy"], good["peak_rss_mb"], good["epochs"]) == (0.9912, 321.5, 3)
    assert 0 < good["seconds"] < 120 and good["seconds"] == round(good["seconds"], 1)
    assert results["labs"]["00_other"] == {"seconds": 2.0}
    assert results["machine"]["cpu_count"] >= 1
    markdown = (solutions / "RESULTS.md").read_text()
    row = f"| 01_good | 99.12 | {good['seconds']:.1f} | 321.5 | – | {good['cpu_kind']} | epochs 3 |"
    assert row in markdown
    assert f"| **Total** |  | **{good['seconds'] + 2.0:.1f}** |  |  |  |  |" in markdown
    assert not (repo / "build" / "runs" / "01_good.ipynb").exists()


@pytest.mark.slow
def test_a_failed_run_leaves_the_solution_untouched_and_the_others_run(repo, course_kernel, capsys):
    solutions = repo / "solutions"
    original = (solutions / "03_bad.ipynb").read_bytes()

    assert cli(repo, "03_bad", "02_plain") == 1

    assert (solutions / "03_bad.ipynb").read_bytes() == original
    failed = repo / "build" / "failed" / "03_bad.ipynb"
    (error,) = nbformat.read(failed, as_version=4).cells[-1].outputs
    assert (error.output_type, error.evalue) == ("error", "planted\n  failure")
    out, err = capsys.readouterr()
    assert "03_bad: FAILED: cell 2 (In [3]) raised ValueError: planted failure" in out
    assert str(failed) in out
    assert "1 failed: 03_bad" in err
    plain = json.loads((solutions / "results.json").read_text())["labs"]
    assert list(plain) == ["02_plain"]
    assert set(plain["02_plain"]) == {"seconds", "finished", "cpu_kind", "cpu_flags"}
    assert printed(solutions / "02_plain.ipynb", 1) == "training for 3 epochs in solutions\n"


@pytest.mark.slow
def test_a_run_with_a_log_line_in_a_checked_output_is_not_stored(repo, course_kernel, capsys):
    solutions = repo / "solutions"
    warning = "WARNING:tensorflow:5 out of the last 24 calls to <function f> triggered retracing"
    checked = f"# NBVAL_CHECK_OUTPUT\nprint({warning!r})\nprint('✅ PASS — fine')"
    nbformat.write(lab(PRINT_CELL, checked), solutions / "04_noisy.ipynb")
    original = (solutions / "04_noisy.ipynb").read_bytes()

    assert cli(repo, "04_noisy") == 1

    assert (solutions / "04_noisy.ipynb").read_bytes() == original
    out, _ = capsys.readouterr()
    assert "04_noisy: FAILED: a checked output holds 1 log line(s), first cell 2: WARNING" in out
    assert (repo / "build" / "failed" / "04_noisy.ipynb").exists()


@pytest.mark.slow
def test_a_hung_cell_fails_its_lab_at_the_time_out_and_the_other_labs_run(
    repo, course_kernel, capsys
):
    solutions = repo / "solutions"
    hung = lab(PRINT_CELL, "import time; time.sleep(120)")
    nbformat.write(hung, solutions / "00_hangs.ipynb")
    original = (solutions / "00_hangs.ipynb").read_bytes()

    started = time.perf_counter()
    assert cli(repo, "00_hangs", "02_plain", "--cell-timeout", "4") == 1
    assert time.perf_counter() - started < 100  # far less than the 120 s the cell sleeps

    assert (solutions / "00_hangs.ipynb").read_bytes() == original
    out, err = capsys.readouterr()
    assert (
        "00_hangs: FAILED: cell 2 did not finish within the cell time-out of 4 s: "
        "import time; time.sleep(120) (a slow machine? raise it with --cell-timeout SECONDS)"
    ) in out
    assert str(repo / "build" / "failed" / "00_hangs.ipynb") in out
    assert "1 failed: 00_hangs" in err
    assert printed(solutions / "02_plain.ipynb", 1) == "training for 3 epochs in solutions\n"
    assert list(json.loads((solutions / "results.json").read_text())["labs"]) == ["02_plain"]


@pytest.mark.slow
def test_a_run_shows_each_cell_and_its_output_as_it_comes(repo, course_kernel, capsys):
    assert cli(repo, "02_plain", "--cell-timeout", "60") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "02_plain: running (full, at most 60 s per cell) ..."
    cells = [line for line in lines if " cell " in line and "·" in line]
    assert [line.split("] ", 1)[1] for line in cells] == [
        "cell  0 · EPOCHS = 3",
        "cell  1 · import os",
    ]
    output = lines.index(cells[1]) + 1
    assert lines[output] == " " * 10 + "training for 3 epochs in solutions"
    assert lines[output + 1].startswith("02_plain: OK (")


@pytest.mark.slow
def test_a_smoke_run_uses_the_smoke_parameters_and_touches_no_solution(repo, course_kernel, capsys):
    solutions = repo / "solutions"
    (repo / "smoke_parameters.json").write_text(json.dumps({"01_good": {"EPOCHS": 1}}))
    before = {path.name: path.read_bytes() for path in solutions.iterdir()}

    assert cli(repo, "--smoke", "01_good", "02_plain") == 0

    assert {path.name: path.read_bytes() for path in solutions.iterdir()} == before
    smoke = repo / "build" / "smoke"
    assert printed(smoke / "01_good.ipynb", 2) == "training for 1 epochs in solutions\n"
    assert printed(smoke / "02_plain.ipynb", 1) == "training for 3 epochs in solutions\n"
    assert "has no entry for '02_plain'" in capsys.readouterr().err


# --------------------------------------------------------------------------- without a kernel


def test_nothing_runs_when_the_kernel_is_wrong(repo, monkeypatch, capsys):
    monkeypatch.setattr(run_solutions, "kernel_problems", lambda: ["the kernel is broken"])
    assert cli(repo) == 1
    assert capsys.readouterr().err == "error: the kernel is broken\n"
    assert not (repo / "build").exists()


def test_an_unknown_name_lists_the_solutions(repo, monkeypatch):
    monkeypatch.setattr(run_solutions, "kernel_problems", lambda: [])
    with pytest.raises(SystemExit, match="no .*04_nope.ipynb; the solutions are: 01_good, 02"):
        cli(repo, "solutions/04_nope.ipynb")


def test_update_results_keeps_other_labs_and_writes_sorted_json(tmp_path):
    path = tmp_path / "results.json"
    update_results(path, "02_b", {"test_accuracy": 0.5}, 12.345)
    results = update_results(path, "01_a", {"test_accuracy": 0.75}, 3.0)
    assert path.read_text() == json.dumps(results, indent=2, sort_keys=True) + "\n"
    assert {stem: lab["seconds"] for stem, lab in results["labs"].items()} == {
        "01_a": 3.0,
        "02_b": 12.3,
    }
    assert results["labs"]["01_a"]["finished"].endswith("+00:00")


def test_results_table_has_a_row_per_lab_its_other_metrics_and_a_total():
    results = {
        "labs": {
            "02_b": {
                "test_accuracy": 0.9,
                "seconds": 10.0,
                "peak_rss_mb": 1000.04,
                "compute_policies": ["mixed_bfloat16", "float32"],
                "cpu_kind": "AMX (fast bfloat16)",
                "cpu_flags": ["avx2", "amx_bf16"],
                "top5": 0.99,
                "auc": 0.97712,
            },
            "01_a": {"seconds": 2.5, "finished": "2025-01-01T00:00:00+00:00"},
        }
    }
    assert render_results_table(results).splitlines() == [
        "| Lab | Test accuracy (%) | Seconds | Peak memory (MB) | Computed in | CPU kind "
        "| Other metrics |",
        "|---|--:|--:|--:|---|---|---|",
        "| 01_a | – | 2.5 | – | – | – | – |",
        "| 02_b | 90.00 | 10.0 | 1000.0 | mixed_bfloat16, float32 | AMX (fast bfloat16) "
        "| auc 0.9771 · top5 0.99 |",
        "| **Total** |  | **12.5** |  |  |  |  |",
    ]


def test_results_of_labs_run_on_different_kinds_of_cpu_say_their_seconds_differ():
    labs = {"01_a": {"seconds": 1.0, "cpu_kind": "AVX2 only (float32)"}}
    assert "not comparable" not in render_results_table({"labs": labs})
    labs["02_b"] = {"seconds": 1.0, "cpu_kind": "AMX (fast bfloat16)"}
    assert "2 kinds of CPU" in render_results_table({"labs": labs})


def test_each_lab_in_results_json_names_its_cpu_kind_and_flags(tmp_path):
    from helpers.machine import cpu_kind, speed_flags

    results = update_results(tmp_path / "results.json", "01_a", {"test_accuracy": 0.75}, 3.0)
    lab = results["labs"]["01_a"]
    assert (lab["cpu_kind"], lab["cpu_flags"]) == (cpu_kind(), speed_flags())
    assert results["machine"]["cpu_flags"] == speed_flags()
