"""The package is organised by layer (CONTRIBUTING.md, "The package by layer"); its rules.

- ``lrcourse/explorers/`` holds UI only, and no explorer module imports another.
- ``lrcourse.grading`` imports no explorer, so ``check()`` does not need ipywidgets.
- A lecture imports from its own explorer module only, never from another lecture's.
- What a lecture shows with ``show_source`` is public: no name with a leading underscore.
"""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPLORERS = sorted((ROOT / "lrcourse" / "explorers").glob("[!_]*.py"))
LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def imported_modules(source):
    """Every module a piece of Python source imports from, as dotted names."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", EXPLORERS, ids=lambda p: p.stem)
def test_no_explorer_module_imports_another(path):
    used = {m for m in imported_modules(path.read_text()) if m.startswith("lrcourse.explorers.")}
    assert not used, f"{path.name} imports {sorted(used)}: move what they share into a layer below"


def test_grading_and_theory_import_no_widgets():
    code = (
        "import sys, importlib, pkgutil, lrcourse.grading as g, lrcourse.theory\n"
        "for m in pkgutil.iter_modules(g.__path__):\n"
        "    importlib.import_module('lrcourse.grading.' + m.name)\n"
        "bad = [m for m in sys.modules if m.startswith(('ipywidgets', 'lrcourse.explorers'))]\n"
        "print(sorted(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem[:2])
def test_a_lecture_imports_no_other_lectures_explorer_module(path):
    own = {
        "01": {"descent"}, "02": {"descent"}, "03": {"decay"}, "04": {"decay"}, "05": {"cyclic"},
        "06": {"compare"}, "07": {"momentum"}, "08": {"adagrad"}, "09": {"rmsprop"},
        "10": {"adam"}, "11": {"adaptive"}, "12": {"choosing"}, "14": {"edge"}, "15": {"batch"},
        "16": {"no_schedule"},
    }.get(path.stem[:2], set())  # fmt: skip
    used = set()
    for source in code_cells(path):
        for module in imported_modules(source):
            found = re.match(r"lrcourse\.explorers\.(\w+)", module)
            if found:
                used.add(found.group(1))
    assert used <= own, f"{path.name} imports explorers {sorted(used - own)} of other lectures"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem[:2])
def test_what_a_lecture_shows_is_public(path):
    for source in code_cells(path):
        for shown in re.findall(r"show_source\(([\w.]+)", source):
            assert not shown.split(".")[-1].startswith("_"), f"{path.name} shows {shown}"
