"""A number the labs' text quotes from a run is a number that run printed.

The labs print what they measure, and the spreads they quote are printed from
``solutions/spreads.json`` (``h.spread``). So a percentage with a decimal, or a range of
percentages, in a solution's text must appear among that notebook's stored outputs — else the text
says something its own run does not. Quotes from elsewhere (the literature, a stated goal) are
listed below with their source.
"""

import json
import re

import pytest

from helpers.config import REPO

LABS = sorted(path.stem for path in (REPO / "solutions").glob("*.ipynb"))

#: A range "88.9–89.4 %" or a percentage with a decimal "98.5 %".
QUOTE = re.compile(r"\d+(?:\.\d+)?\s?–\s?\d+(?:\.\d+)?\s?%|\d+\.\d+\s?%")

#: Quotes that are not measurements of the lab's own runs, and where they come from.
ELSEWHERE = {
    "04_chest_xray_lab": {
        "92.8 %": "Kermany et al., Cell 2018: accuracy",
        "93.2 %": "Kermany et al., Cell 2018: sensitivity",
        "90.1 %": "Kermany et al., Cell 2018: specificity",
    },
}


def outputs(notebook: dict) -> str:
    """Every text the notebook's code cells printed, with spaces removed."""
    texts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append("".join(output.get("data", {}).get("text/plain", "")))
    return re.sub(r"\s", "", "".join(texts))


def forms(quote: str) -> set[str]:
    """How a quote may appear in printed output: "88.9–89.4 %" as "88.9–89.4%" or "88.9%–89.4%"."""
    plain = re.sub(r"\s", "", quote)
    return {plain, plain.replace("–", "%–")}


def quotes(notebook: dict) -> list[tuple[int, str]]:
    """(cell index, quote) for every quoted percentage in the notebook's text."""
    return [
        (index, match.group(0))
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "markdown"
        for match in QUOTE.finditer("".join(cell["source"]))
    ]


@pytest.mark.parametrize("stem", LABS)
def test_every_quoted_percentage_is_one_the_run_printed(stem):
    notebook = json.loads((REPO / "solutions" / f"{stem}.ipynb").read_text())
    printed = outputs(notebook)
    elsewhere = ELSEWHERE.get(stem, {})
    wrong = [
        f"cell {index}: {quote!r}"
        for index, quote in quotes(notebook)
        if quote not in elsewhere and not any(form in printed for form in forms(quote))
    ]
    assert not wrong, (
        f"{stem}: the text quotes numbers its stored run did not print: {wrong}. Print them "
        "from the "
        "run (h.spread for spreads) or, for a quote from elsewhere, list its source in ELSEWHERE"
    )


def test_the_check_finds_a_quote_the_run_did_not_print():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["It scored 76.6–77.8 % and 98.5 % here."]},
            {"cell_type": "code", "source": [], "outputs": [{"text": "accuracy 98.5%\n"}]},
        ]
    }
    found = quotes(notebook)
    assert found == [(0, "76.6–77.8 %"), (0, "98.5 %")]
    printed = outputs(notebook)
    assert [q for _, q in found if not any(f in printed for f in forms(q))] == ["76.6–77.8 %"]
    assert "76.6%–77.8%" in forms("76.6–77.8 %")
