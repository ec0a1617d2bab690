"""Reading the outcome: each checkpoint's status and detail, from an executed notebook."""

from __future__ import annotations

import nbformat

from tools.grade.course import cell_label, checkpoint_numbers, checkpoint_of, owning_checkpoint
from tools.grade.isolate import Run

PASS = "✅ PASS"
FAIL = "❌ FAIL"
#: Cells papermill adds to an executed notebook.
ADDED_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


def printed(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def raised(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    """(ename, evalue) when an executed cell raised."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return output.get("ename", "Error"), output.get("evalue", "")
    if cell.get("metadata", {}).get("papermill", {}).get("exception"):
        return "Error", ""
    return None


def status_of(cell: nbformat.NotebookNode) -> str:
    """papermill's status of a cell; "pending" when it never started (whatever papermill says:
    after a dead kernel it marks every cell completed)."""
    record = cell.get("metadata", {}).get("papermill", {})
    return record.get("status", "pending") if record.get("start_time") else "pending"


def stop_reason(label: str, run: Run) -> tuple[str, str]:
    """(status, detail) of the cell that was running when a run stopped without an exception."""
    if run.stopped == "timeout":
        return "timeout", f"{label} was still running at the time-out"
    if run.stopped == "output":
        return "error", f"{label} printed too much (stopped)"
    if "kernel died" in run.error:
        return "error", f"{label}: the kernel died (a crash, an exit or out of memory)"
    return "error", one_line(f"{label}: {run.error or 'the run ended'}")


def one_line(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def fail_text(text: str) -> str:
    """The FAIL lines of a checkpoint's output, with their hints."""
    lines = text.splitlines()
    kept = []
    for number, line in enumerate(lines):
        if line.strip().startswith(FAIL):
            kept.append(line.strip())
            hint = lines[number + 1].strip() if number + 1 < len(lines) else ""
            if hint.startswith("Hint:"):
                kept.append(hint)
    return one_line(" ".join(kept))


def grade_run(pristine: nbformat.NotebookNode, run: Run) -> dict[int, tuple[str, str]]:
    """Checkpoint -> (status, detail) of one executed notebook."""
    numbers = checkpoint_numbers(pristine)
    if run.executed is None:
        status = "timeout" if run.stopped == "timeout" else "error"
        detail = run.unreadable + (f"; {run.error}" if run.error else "")
        return {n: (status, one_line(detail)) for n in numbers}
    cells = [c for c in run.executed.cells if not ADDED_TAGS & set(c.metadata.get("tags", []))]
    if len(cells) != len(pristine.cells):
        return {
            n: ("error", "the executed notebook does not match the graded one") for n in numbers
        }
    grades: dict[int, tuple[str, str]] = {}
    outputs: dict[int, str] = {}
    started = [
        i for i, c in enumerate(cells) if c.cell_type == "code" and status_of(c) != "pending"
    ]
    culprit = None  # the cell running when a run stopped, or died, without an exception
    if (run.stopped or run.error) and not any(raised(cells[i]) for i in started):
        culprit = (
            started[-1]
            if started
            else next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
        )
    stopped_at: str | None = None  # where the run stopped, once it has
    for index, cell in enumerate(cells):
        number = owning_checkpoint(pristine, index)
        if number is None or number in grades or cell.cell_type != "code":
            continue
        if stopped_at:
            grades[number] = ("not-run", f"the run stopped before it ({stopped_at})")
            continue
        error = raised(cell)
        text = printed(cell)
        if checkpoint_of(cell) == number:
            outputs[number] = outputs.get(number, "") + text
        label = cell_label(pristine, index)
        if error is not None:
            if checkpoint_of(cell) == number and FAIL in text:
                grades[number] = ("fail", fail_text(outputs[number]))
            else:
                grades[number] = ("error", one_line(f"{label} raised {error[0]}: {error[1]}"))
        elif index == culprit:
            grades[number] = stop_reason(label, run)
        elif status_of(cell) == "pending":
            grades[number] = ("not-run", "the run ended before it")
        else:
            continue
        stopped_at = f"Checkpoint {number}"
    for index, cell in enumerate(cells):  # every checkpoint that ran to its end
        number = checkpoint_of(cell)
        if number is None or number in grades:
            continue
        next_cell = owning_checkpoint(pristine, index + 1) if index + 1 < len(cells) else None
        if next_cell == number:
            continue  # a "continued" cell follows: decide on the last cell of the checkpoint
        text = outputs.get(number, "")
        if FAIL in text:
            grades[number] = ("fail", fail_text(text))
        elif PASS in text:
            grades[number] = ("pass", "")
        else:
            grades[number] = ("error", "the checkpoint printed no PASS line")
    return {n: grades.get(n, ("not-run", "")) for n in numbers}
