"""Every course notebook keeps the template's promises: links that resolve, a summary, further
reading, exercises that exist, explorers tagged for nbval, and no stored error outputs."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ALL = LECTURES + sorted((ROOT / "solutions").glob("*.ipynb"))
LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)(#[^)]*)?\)")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _markdown(path):
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_relative_links_resolve(path):
    missing = [t for t, _ in LINK.findall(_markdown(path)) if not (path.parent / t).exists()]
    assert missing == [], f"{path.name} links to notebooks that do not exist: {missing}"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_has_summary_and_further_reading(path):
    text = _markdown(path).lower()
    assert "summary" in text, f"{path.name}: no summary section"
    if not path.name.startswith("00_"):
        assert "further reading" in text, f"{path.name}: no further reading section"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_links_its_exercises_when_it_has_them(path):
    exercise = ROOT / "exercises" / path.name
    if exercise.exists():
        assert f"../exercises/{path.name}" in _markdown(path), f"{path.name}: exercises not linked"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_stored_errors_and_explorers_tagged(path):
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        outputs = cell.get("outputs", [])
        assert not [o for o in outputs if o["output_type"] == "error"], f"cell {index} has an error"
        assert not [o for o in outputs if o.get("name") == "stderr"], f"cell {index} wrote stderr"
        live_widget = any(
            "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs
        )
        if live_widget:
            tags = cell.get("metadata", {}).get("tags", [])
            assert "nbval-ignore-output" in tags, f"cell {index} shows a widget but is not tagged"


def test_every_lecture_of_the_syllabus_exists():
    numbers = {p.name[:2] for p in LECTURES}
    # Parts I-IV (00-13) in full; Part V (14-17) lands lecture by lecture.
    assert {f"{n:02d}" for n in range(14)} <= numbers <= {f"{n:02d}" for n in range(18)}, numbers
