"""What nbval compares: the outputs of checked cells, and the log lines never allowed in them.

A cell marked ``# NBVAL_CHECK_OUTPUT`` is re-run by nbval and its output compared with the stored
one, on whatever CPU CI has. So a checked output must say the same on every machine: no
wall-clock seconds (nbval's sanitizer rewrites those), and no log lines — TensorFlow's Python
warnings, absl's C++ lines, oneDNN notices, Python warnings — since whether they fire depends on
the CPU's code path (a CPU with fast bfloat16 runs extra comparisons, traces more functions…).
``make solutions`` refuses to store a run whose checked outputs hold one (``tools.run_solutions``),
and a test holds the stored solutions to it.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.config import REPO

#: The marker of a cell whose output nbval compares.
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"

#: nbval's sanitizer settings: what it rewrites before comparing (seconds, addresses…).
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"

#: A line a logger or the runtime wrote, not the lab: Python logging (``WARNING:tensorflow:…``),
#: absl/glog C++ lines (``W0000 00:00:…``, ``I1205 12:00:00.1 …``), TensorFlow's start-up and
#: oneDNN notices, and Python warnings (``…: UserWarning: …``).
LOG_LINE = re.compile(
    r"^(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):"  # logging's default format
    r"|^\[?(?:WARNING|INFO|ERROR)\]?[: ]"  # other logger formats
    r"|\btensorflow:"
    r"|^[IWEF]\d{4} \d\d:\d\d:\d\d"  # absl / glog
    r"|oneDNN|absl::|cpu_feature_guard|rebuild TensorFlow"
    r"|\b\w*Warning: ",  # warnings.showwarning
    re.MULTILINE,
)


@dataclass(frozen=True)
class CheckedOutput:
    """The text of one checked cell's outputs, as nbval compares it."""

    cell: int  # index of the cell in the notebook
    text: str


def output_text(output: nbformat.NotebookNode) -> str:
    """The text of one output: a stream's text, an error's name and message, a value's text."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("text", "")
    if kind == "error":
        return f"{output.get('ename')}: {output.get('evalue')}\n"
    return output.get("data", {}).get("text/plain", "")


def sanitizers(path: Path = SANITIZE) -> list[tuple[re.Pattern, str]]:
    """nbval's sanitizer rules (regex and replacement), in the order of the file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def checked_outputs(nb: nbformat.NotebookNode, sanitize: bool = False) -> list[CheckedOutput]:
    """Every checked cell's output text, in notebook order; ``sanitize`` applies nbval's rules."""
    rules = sanitizers() if sanitize else []
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or CHECK_MARKER not in cell.source:
            continue
        text = "".join(output_text(output) for output in cell.get("outputs", []))
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        found.append(CheckedOutput(index, text))
    return found


def log_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The log lines in a notebook's checked outputs, as ``cell N: line`` (none is allowed)."""
    return [
        f"cell {checked.cell}: {line.strip()[:160]}"
        for checked in checked_outputs(nb)
        for line in checked.text.splitlines()
        if LOG_LINE.search(line)
    ]
