"""Every lecture notebook and every explorer, run in JupyterLab in a real (headless) browser.

nbval runs notebooks without a front end, so it cannot see widgets that fail to display, or
sliders that move but change nothing. Here JupyterLab serves copies of the lecture notebooks,
of a fixture with the three core explorers (tests/browser/explorers.ipynb) and of a notebook
written at startup with every explorer listed in lrcourse.explorers. Headless Chromium opens
each one, runs all cells and checks that

- no cell fails or writes to stderr, and the page logs no JavaScript errors;
- every widget output displays a live widget, none shows "Error displaying widget" or "model
  not found";
- in every explorer, dragging the first slider changes the readout, the picture and the status,
  and every control has a visible label;
- from the keyboard alone: in each core explorer, the first slider takes focus and the arrow keys
  move it, and the picture and status follow (WCAG 2.1.1; see docs/accessibility.md).

Chromium is Debian's (``apt-get install -y chromium``), driven by Python Playwright; set
``CHROMIUM`` to use another binary. Without them the test is skipped, except under ``CI=true``,
where a missing browser is a failure: CI must not pass by testing nothing.
See CONTRIBUTING.md.
"""

from pathlib import Path

import nbformat
import pytest
from browser.chromium import headless_chromium, missing_tool, skip_or_fail
from browser.lab import REPO, JupyterLab
from browser.notebook import (
    close_all,
    drag_first_slider,
    open_lab,
    open_notebook,
    press_on_first_slider,
    rendered_widgets,
    run_all,
    shown,
    unlabelled_controls,
    wait_for,
    widget_trouble,
)

LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))
FIXTURE = Path(__file__).parent / "browser" / "explorers.ipynb"  # the three core explorers
REGISTERED = "registered_explorers.ipynb"  # written at startup: every lrcourse.explorers entry
NOTEBOOKS = [path.name for path in LECTURES] + [FIXTURE.name, REGISTERED]


def registered_explorers_notebook(path):
    """Write a notebook that shows every explorer listed in lrcourse.explorers, one per cell, so
    that each is tried in the browser as soon as it is listed, before a lecture uses it."""
    from lrcourse.widgets import all_explorers

    names = [name for name in all_explorers() if "." in name]  # "module.name": lrcourse.explorers
    cells = [nbformat.v4.new_code_cell("from lrcourse.widgets import all_explorers\n\n"
                                       "explorers = all_explorers()")]  # fmt: skip
    cells += [nbformat.v4.new_code_cell(f"explorers[{name!r}]()") for name in names]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """One JupyterLab server for the whole session, serving copies of every notebook."""
    skip_or_fail(missing_tool(), "the browser test")
    root = tmp_path_factory.mktemp("lab")
    generated = registered_explorers_notebook(root / REGISTERED)
    with JupyterLab(root, [*LECTURES, FIXTURE, generated]) as server:
        yield server


@pytest.fixture(scope="session")
def browser(lab):
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def lab_page(browser, lab):
    """One browser tab with JupyterLab loaded, shared by all tests (loading Lab takes seconds)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.js_errors = []
    tab.on("console", lambda m: m.type == "error" and tab.js_errors.append(m.text))
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
    open_lab(tab, lab.url)
    yield tab
    context.close()


@pytest.fixture
def page(lab_page):
    """The Lab tab, with no JavaScript errors recorded yet; closes what the test opened."""
    lab_page.js_errors.clear()
    yield lab_page
    close_all(lab_page)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_and_its_explorers_respond(lab, page, notebook):
    open_notebook(page, f"notebooks/{notebook}")
    state = run_all(page)
    assert state["errors"] == [], "\n".join(state["errors"])
    assert state["unrun"] == 0

    wait_for(lambda: rendered_widgets(page) == state["widgets"], 30,
             f"all {state['widgets']} widget outputs to display")  # fmt: skip
    assert widget_trouble(page) == []
    explorers = page.locator(".jp-OutputArea-output .lrcourse-explorer")
    if notebook in (FIXTURE.name, REGISTERED):
        assert explorers.count() == state["widgets"]  # every widget there is an explorer

    for i in range(explorers.count()):
        explorer = explorers.nth(i)
        before = shown(explorer)
        assert before[0], f"explorer {i} shows no figure"
        assert unlabelled_controls(explorer) == [], f"explorer {i}: controls without a label"
        readout_before, readout_after = drag_first_slider(page, explorer)
        assert readout_after != readout_before, f"explorer {i}: the slider did not move"
        # The picture and the status line are separate messages: wait for both.
        wait_for(lambda e=explorer, old=before: all(map(str.__ne__, shown(e), old)), 15,
                 f"explorer {i} to show a new picture and status")  # fmt: skip

    assert widget_trouble(page) == []
    assert page.js_errors == [], "\n".join(page.js_errors)


def test_sliders_move_from_the_keyboard(lab, page):
    open_notebook(page, f"notebooks/{FIXTURE.name}")
    state = run_all(page)
    assert state["errors"] == [], "\n".join(state["errors"])
    wait_for(lambda: rendered_widgets(page) == state["widgets"], 30, "the explorers to display")
    explorers = page.locator(".jp-OutputArea-output .lrcourse-explorer")
    assert explorers.count() == 3
    for i in range(explorers.count()):
        explorer = explorers.nth(i)
        before = shown(explorer)
        readout_before, readout_after = press_on_first_slider(page, explorer, "ArrowRight")
        assert readout_after != readout_before, f"explorer {i}: the arrow keys did not move it"
        wait_for(lambda e=explorer, old=before: all(map(str.__ne__, shown(e), old)), 15,
                 f"explorer {i} to follow the keyboard")  # fmt: skip
        assert press_on_first_slider(page, explorer, "ArrowLeft")[1] == readout_before
    assert page.js_errors == [], "\n".join(page.js_errors)
