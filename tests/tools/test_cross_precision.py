"""tools.cross_precision: checked outputs of two runs compared as nbval compares them."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tools.cross_precision import differences


def run(*checked: str, unchecked: str = "epoch 1/2 · 3.1 s · loss 0.69") -> nbformat.NotebookNode:
    """A run of a lab: one unchecked training cell, then checked cells printing ``checked``."""
    cells = [new_code_cell("model.fit(...)")]
    cells[0].outputs = [new_output("stream", name="stdout", text=unchecked + "\n")]
    for text in checked:
        cell = new_code_cell("# NBVAL_CHECK_OUTPUT\nh.check(...)")
        cell.outputs = [new_output("stream", name="stdout", text=text)]
        cells.append(cell)
    return new_notebook(cells=cells)


def test_identical_checked_outputs_agree_whatever_the_unchecked_cells_print():
    assert differences(run("✅ PASS — a\n"), run("✅ PASS — a\n", unchecked="loss 0.12")) == []


def test_seconds_and_addresses_are_sanitized_before_comparing():
    first = run("trained in 12.5 s by <function f at 0x7f00>\n")
    second = run("trained in 3.0 s by <function f at 0x7e11>\n")
    assert differences(first, second) == []


def test_a_warning_printed_in_one_precision_only_is_a_difference_in_its_cell():
    warning = "WARNING:tensorflow:5 out of the last 24 calls triggered tf.function retracing\n"
    (found,) = differences(
        run("✅ PASS — a\n", "✅ PASS — b\n"), run("✅ PASS — a\n", warning + "✅ PASS — b\n")
    )
    assert found.startswith("cell 2:")
    assert "+WARNING:tensorflow:5 out of the last 24 calls" in found
    assert "--- float32" in found and "+++ mixed_bfloat16" in found


def test_a_checked_cell_missing_from_one_run_is_a_difference():
    assert len(differences(run("✅ PASS — a\n"), run("✅ PASS — a\n", "✅ PASS — b\n"))) == 1


def test_labs_are_checked_cheapest_first_and_unknown_labs_last(tmp_path):
    from tools.cross_precision import CHEAPEST_FIRST, cheapest_first

    names = ["05_transfer_learning", "09_new_lab", "01_mnist_convnet", "02_cats_dogs_baseline"]
    ordered = [p.stem for p in cheapest_first([tmp_path / f"{n}.ipynb" for n in names])]
    assert ordered == [
        "02_cats_dogs_baseline",
        "01_mnist_convnet",
        "05_transfer_learning",
        "09_new_lab",
    ]
    from helpers.config import REPO

    assert sorted(CHEAPEST_FIRST) == sorted(p.stem for p in (REPO / "solutions").glob("*.ipynb"))


def fake_labs(tmp_path, monkeypatch, fast_bfloat16: bool):
    """Three labs whose check takes 0.2 s each and finds nothing, on a CPU of the given kind."""
    from tools import cross_precision

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    for stem in ("01_mnist_convnet", "02_cats_dogs_baseline", "04_chest_xray_lab"):
        nbformat.write(new_notebook(), solutions / f"{stem}.ipynb")
    (tmp_path / "smoke.json").write_text("{}")
    checked = []

    def check_lab(src, *args):
        checked.append(src.stem)
        import time

        time.sleep(0.2)
        return []

    monkeypatch.setattr(cross_precision, "kernel_problems", list)
    monkeypatch.setattr(cross_precision, "check_lab", check_lab)
    monkeypatch.setattr(cross_precision, "cpu_has_fast_bfloat16", lambda: fast_bfloat16)
    args = ["--solutions", str(solutions), "--smoke-parameters", str(tmp_path / "smoke.json")]
    return cross_precision, args + ["--emulated-budget", "0.3"], checked


def test_without_native_bfloat16_the_budget_stops_new_labs_and_names_them(
    tmp_path, monkeypatch, capsys
):
    cross_precision, args, checked = fake_labs(tmp_path, monkeypatch, fast_bfloat16=False)
    assert cross_precision.main(args) == 0
    assert checked == ["02_cats_dogs_baseline", "01_mnist_convnet"]
    out = capsys.readouterr().out
    assert "bfloat16 emulated" in out
    assert "not checked on this machine, the budget of 0.3 s being spent: 04_chest_xray_lab" in out


def test_with_native_bfloat16_every_lab_is_checked_whatever_the_budget(tmp_path, monkeypatch):
    cross_precision, args, checked = fake_labs(tmp_path, monkeypatch, fast_bfloat16=True)
    assert cross_precision.main(args) == 0
    assert checked == ["02_cats_dogs_baseline", "01_mnist_convnet", "04_chest_xray_lab"]


def test_a_lab_whose_checked_outputs_differ_fails_the_check(tmp_path, monkeypatch, capsys):
    cross_precision, args, _ = fake_labs(tmp_path, monkeypatch, fast_bfloat16=True)
    monkeypatch.setattr(cross_precision, "check_lab", lambda src, *a: [f"cell 3: {src.stem}"])
    assert cross_precision.main(args) == 1
    assert "3 lab(s) differ between precisions" in capsys.readouterr().out
