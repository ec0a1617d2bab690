"""Grading a class: its students' folders, each handed-in notebook graded, progress printed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from helpers.config import REPO
from tools.grade.course import Lab
from tools.grade.extract import extract, graded_notebook, read_submission
from tools.grade.gradebook import OUTPUT_FILES, Row
from tools.grade.isolate import run_isolated
from tools.grade.outcome import grade_run, one_line


def students_in(submissions: Path, labs: list[Lab]) -> tuple[list[str], list[str]]:
    """The student folders, and notes about everything else found."""
    names = {f"{lab.stem}.ipynb" for lab in labs}
    all_labs = {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
    students, notes = [], []
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in OUTPUT_FILES:
            continue
        if not entry.is_dir():
            notes.append(f"{entry.name}: not a student folder, ignored")
            continue
        students.append(entry.name)
        for item in sorted(entry.iterdir()):
            if (
                item.name not in names
                and item.name not in all_labs
                and not item.name.startswith(".")
            ):
                notes.append(f"{entry.name}/{item.name}: not a lab of the course, ignored")
    return students, notes


def format_seconds(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def grade_notebook(
    path: Path, lab: Lab, build: Path, timeout: float, ran: list[float]
) -> dict[int, tuple[str, str]]:
    """Checkpoint -> (status, detail) of one submitted notebook; its run's seconds go to ran."""
    try:
        submission = read_submission(path)
    except ValueError as error:
        return {n: ("error", str(error)) for n in lab.checkpoints}
    found = extract(lab.pristine, submission)
    notebook = graded_notebook(lab.pristine, found.answers)
    run = run_isolated(notebook, build / lab.stem, lab.parameters, timeout)
    ran.append(run.seconds)
    grades = grade_run(lab.pristine, run)
    for number, texts in found.edits.items():
        key = number if number in grades else lab.checkpoints[0]
        status, detail = grades[key]
        grades[key] = (status, "; ".join(filter(None, [detail, *texts])))
    return grades


def grade_class(
    submissions: Path,
    labs: list[Lab],
    build: Path,
    timeout: float,
    stream=None,
) -> tuple[list[Row], list[str]]:
    """Grade every student's labs; the gradebook's rows and notes on what was ignored.

    Progress goes to ``stream`` (default: the standard output of the moment).
    """
    stream = stream or sys.stdout
    students, notes = students_in(submissions, labs)
    rows: list[Row] = []
    jobs = [(s, lab) for s in students for lab in labs]
    handed_in = [(s, lab) for s, lab in jobs if (submissions / s / f"{lab.stem}.ipynb").is_file()]
    to_run = len(handed_in)
    ran: list[float] = []
    start = time.perf_counter()
    width = max((len(s) for s in students), default=7)
    for student, lab in jobs:
        if (student, lab) not in handed_in:
            rows += [
                Row(student, lab.stem, n, "missing", f"no {lab.stem}.ipynb in {student}/")
                for n in lab.checkpoints
            ]
            continue
        began = time.perf_counter()
        try:
            grades = grade_notebook(
                submissions / student / f"{lab.stem}.ipynb", lab, build / student, timeout, ran
            )
        except Exception as error:  # a notebook nobody foresaw costs that notebook only
            detail = one_line(f"grading failed: {type(error).__name__}: {error}")
            grades = {n: ("error", detail) for n in lab.checkpoints}
        rows += [Row(student, lab.stem, n, *grades[n]) for n in lab.checkpoints]
        to_run -= 1
        passes = sum(status == "pass" for status, _ in grades.values())
        seconds = time.perf_counter() - began
        left = to_run * (sum(ran) / len(ran) if ran else 0)
        tail = f"  (about {format_seconds(left)} left)" if to_run and ran else ""
        score = f"{passes}/{len(grades)} pass"
        print(
            f"{student:<{width}}  {lab.stem:<22} {score}  {seconds:6.1f} s{tail}",
            file=stream,
            flush=True,
        )
    print(
        f"graded {len(handed_in)} notebooks of {len(students)} students "
        f"in {format_seconds(time.perf_counter() - start)}",
        file=stream,
    )
    return rows, notes
