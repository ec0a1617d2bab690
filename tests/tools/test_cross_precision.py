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
