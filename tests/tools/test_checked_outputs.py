"""tools.checked_outputs: what nbval compares, and the log lines that must never be in it."""

import nbformat
import pytest

from tools.checked_outputs import checked_outputs, log_lines

new = nbformat.v4.new_output

#: Lines seen in this course's notebooks, or printed by TensorFlow 2.21 on these machines.
LOG_SAMPLES = [
    "WARNING:tensorflow:5 out of the last 24 calls to <function TensorFlowTrainer.make_predict_"
    "function.<locals>.one_step_on_data_distributed at 0x7f> triggered tf.function retracing.",
    "W0000 00:00:1796514936.057092    3025 op_level_cost_estimator.cc:699] Error in PredictCost",
    "I0000 00:00:1796514936.057092    3025 port.cc:153] oneDNN custom operations are on.",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "/venv/keras/src/layers/input_layer.py:27: UserWarning: Argument `input_shape` is deprecated",
    "INFO:absl:Saving to model.keras",
]

#: What the labs' checked cells print: none of it is a log line.
LAB_LINES = [
    "✅ PASS — test accuracy of the feature-extraction classifier ≥ 93.0%",
    "❌ FAIL — the base is frozen (no trainable weights)",
    "   Hint: set base.trainable = False",
    "160×160 photos → 5×5×1280 features; 154 layers",
    "fine-tuning 1,682,625 of 2,259,265 parameters",
    "split         cats  dogs   total",
    "warning signs of overfitting: the validation loss climbs after epoch 4",
]


def notebook(*cells: tuple[str, list[str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for source, lines in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [new("stream", name="stdout", text=line + "\n") for line in lines]
        nb.cells.append(cell)
    return nb


@pytest.mark.parametrize("line", LOG_SAMPLES)
def test_every_kind_of_log_line_is_found_in_a_checked_output(line):
    nb = notebook(("# NBVAL_CHECK_OUTPUT\nh.check(...)", ["✅ PASS — fine", line]))
    assert log_lines(nb) == [f"cell 0: {line.strip()[:160]}"]


def test_the_labs_own_lines_are_not_log_lines():
    nb = notebook(("# NBVAL_CHECK_OUTPUT\nh.check(...)", LAB_LINES))
    assert log_lines(nb) == []


def test_only_checked_cells_count():
    nb = notebook(("model.fit(...)", LOG_SAMPLES[:1]), ("# NBVAL_CHECK_OUTPUT\nx", ["✅ PASS"]))
    assert log_lines(nb) == []
    assert [c.cell for c in checked_outputs(nb)] == [1]


def test_checked_outputs_are_sanitized_as_nbval_does():
    nb = notebook(("# NBVAL_CHECK_OUTPUT\nx", ["trained in 12.5 s at 0x7f00ab"]))
    assert checked_outputs(nb)[0].text == "trained in 12.5 s at 0x7f00ab\n"
    assert checked_outputs(nb, sanitize=True)[0].text == "trained in <SECONDS> s at <ADDRESS>\n"


def test_values_and_errors_count_as_output_text():
    nb = notebook(("# NBVAL_CHECK_OUTPUT\nx", []))
    nb.cells[0].outputs = [
        new("execute_result", data={"text/plain": "0.5"}, execution_count=1),
        new("error", ename="ValueError", evalue="bad", traceback=[]),
    ]
    assert checked_outputs(nb)[0].text == "0.5ValueError: bad\n"
