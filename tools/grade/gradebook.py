"""The gradebook: its rows, written as CSV, summed up per lab and drawn as an HTML page."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tools.grade.course import Lab

STATUSES = ("pass", "fail", "error", "timeout", "not-run", "missing")
COLUMNS = ("student", "lab", "checkpoint", "status", "detail")
OUTPUT_FILES = ("gradebook.csv", "gradebook.html")


@dataclass(frozen=True)
class Row:
    student: str
    lab: str
    checkpoint: int
    status: str
    detail: str = ""


def write_csv(rows: list[Row], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: (r.student, r.lab, r.checkpoint)):
        writer.writerow([row.student, row.lab, row.checkpoint, row.status, row.detail])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def summary(rows: list[Row], labs: list[Lab]) -> str:
    """Per lab and checkpoint: how many students got each status."""
    lines = []
    for lab in labs:
        lines.append(lab.stem)
        for number in lab.checkpoints:
            counts = Counter(r.status for r in rows if r.lab == lab.stem and r.checkpoint == number)
            listed = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
            lines.append(f"  Checkpoint {number}: {listed}")
    return "\n".join(lines)


COLOURS = {
    "pass": "#c8e6c9",
    "fail": "#ffcdd2",
    "error": "#ffab91",
    "timeout": "#e1bee7",
    "not-run": "#eeeeee",
    "missing": "#ffffff",
}


def render_html(rows: list[Row], labs: list[Lab], notes: list[str]) -> str:
    """A self-contained page: one row per student, a coloured cell per checkpoint, the details."""
    e = html.escape
    students = sorted({r.student for r in rows})
    grade = {(r.student, r.lab, r.checkpoint): r for r in rows}
    head = "".join(f'<th colspan="{len(lab.checkpoints)}">{e(lab.stem)}</th>' for lab in labs)
    numbers = "".join(f"<th>{n}</th>" for lab in labs for n in lab.checkpoints)
    body, details = [], []
    for student in students:
        cells = []
        for lab in labs:
            for n in lab.checkpoints:
                row = grade[(student, lab.stem, n)]
                cells.append(
                    f'<td class="{row.status}" title="{e(row.detail)}">{e(row.status)}</td>'
                )
                if row.detail and row.status not in ("missing", "not-run"):  # on hover
                    details.append(
                        f"<li><b>{e(student)}</b> · {e(lab.stem)} · Checkpoint {n} · "
                        f"{e(row.status)}: {e(row.detail)}</li>"
                    )
        passes = sum(
            grade[(student, lab.stem, n)].status == "pass" for lab in labs for n in lab.checkpoints
        )
        total = sum(len(lab.checkpoints) for lab in labs)
        body.append(f"<tr><th>{e(student)}</th>{''.join(cells)}<td>{passes}/{total}</td></tr>")
    style = "".join(f"td.{s}{{background:{c}}}" for s, c in COLOURS.items())
    legend = " ".join(
        f'<span class="{s}" style="background:{c};padding:2px 6px">{s}</span>'
        for s, c in COLOURS.items()
    )
    notes_html = "".join(f"<li>{e(n)}</li>" for n in notes)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Gradebook</title><style>'
        "body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:3px 6px;text-align:center}" + style + "</style>"
        "</head><body><h1>Gradebook</h1><p>" + legend + "</p><table>"
        f"<tr><th rowspan=2>student</th>{head}<th rowspan=2>passed</th></tr><tr>{numbers}</tr>"
        + "".join(body)
        + "</table><h2>Details</h2><ul>"
        + "".join(details)
        + "</ul>"
        + (f"<h2>Ignored</h2><ul>{notes_html}</ul>" if notes else "")
        + "</body></html>\n"
    )
