"""What issue 11 asked of every lecture: a size a session can hold, and predictions asked first."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LECTURES = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.stem[:2] <= "13"]


def cells(path):
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem[:2])
def test_every_lecture_asks_for_at_least_two_predictions_before_it_runs(path):
    prompts = [
        i
        for i, cell in enumerate(cells(path))
        if cell["cell_type"] == "markdown" and "**Predict, then run.**" in "".join(cell["source"])
    ]
    assert len(prompts) >= 2, f"{path.name}: {len(prompts)} predict-then-run prompts"
    for i in prompts:  # each one before a cell that runs something
        assert any(c["cell_type"] == "code" for c in cells(path)[i + 1 :]), path.name


def test_lecture_05_stays_under_55_cells():
    (path,) = [p for p in LECTURES if p.stem.startswith("05")]
    assert len(cells(path)) < 55
