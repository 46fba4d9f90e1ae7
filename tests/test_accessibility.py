"""What the course does for readers who cannot see a figure or tell its colours apart, and for
those who use a keyboard (WCAG 2.1 AA; docs/accessibility.md says what is met and how tested).

- The palette: every pair of the course's colours stays distinguishable under simulated
  protanopia, deuteranopia and tritanopia (colorspacious, full severity), at least MIN_DELTA_E
  apart in CAM02-UCS; and figures with more than a few series also differ by marker.
- Text alternatives: every figure has a description (plots.describe), a lecture can set its own,
  a figure shown in a notebook carries it in its output's metadata, and the website's build
  makes it the image's alt text; explorers' still images too.
- Every explorer control has a visible label.

The website's own audit (axe-core) is in tests/test_book.py; the keyboard test of the sliders in
tests/test_browser.py.
"""

import base64
import hashlib
import itertools
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets
import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from lrcourse import plots
from lrcourse.schedules import cosine_decay
from lrcourse.widgets import all_explorers, schedule_explorer

REPO = Path(__file__).resolve().parents[1]
# CAM02-UCS delta E between two colours of a figure, under each simulated colour-vision
# deficiency. About 1 is barely noticeable side by side; thin lines in a legend need much more.
# 10 is the floor this course holds to (Okabe and Ito's palette reaches 11 at worst).
MIN_DELTA_E = 10.0
DEFICIENCIES = ["protanomaly", "deuteranomaly", "tritanomaly"]  # at severity 100: dichromacy


def _srgb(color):
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def seen_with(deficiency, color):
    """How a colour looks to someone with the deficiency (None: typical colour vision)."""
    from colorspacious import cspace_convert

    if deficiency is None:
        return _srgb(color)
    cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    return np.clip(cspace_convert(_srgb(color), cvd, "sRGB1"), 0, 1)


def closest_pair(colors, deficiency):
    """(delta E, colour, colour) of the two colours that look most alike with the deficiency."""
    from colorspacious import deltaE

    return min(
        (deltaE(seen_with(deficiency, a), seen_with(deficiency, b), input_space="sRGB1"), a, b)
        for a, b in itertools.combinations(colors, 2)
    )


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_every_pair_of_course_colours_stays_apart(deficiency):
    distance, a, b = closest_pair(plots.COLORS, deficiency)
    assert distance >= MIN_DELTA_E, f"{a} and {b}: delta E {distance:.1f} with {deficiency}"


def test_the_palette_check_catches_a_confusable_pair():
    # Red and green, the classic pair, collapse under deuteranopia but not for typical vision.
    assert closest_pair(["#D62728", "#2CA02C"], None)[0] > 30
    assert closest_pair(["#D62728", "#2CA02C"], "deuteranomaly")[0] < MIN_DELTA_E


def _looks(ax):
    """(colour, marker, line style) of each labelled line, as matplotlib stores them."""
    return [
        (line.get_color(), line.get_marker(), line.get_linestyle())
        for line in ax.get_lines()
        if not line.get_label().startswith("_") and line.get_linestyle() != "None"
    ]


def _schedules(n):
    return {f"rate {i}": (lambda t, i=i: 0.1 / (i + 1) + 0 * t) for i in range(n)}


@pytest.mark.parametrize("n", [2, 3, 5, 7])
def test_figures_with_more_than_a_few_series_also_differ_by_marker(n):
    ax = plots.plot_schedules(_schedules(n), 50)
    looks = _looks(ax)
    assert len(looks) == n
    assert len({color for color, _, _ in looks}) == n
    if n > plots.FEW:
        assert len({(marker, style) for _, marker, style in looks}) == n
        legend_markers = [h.get_marker() for h in ax.get_legend().legend_handles]
        assert legend_markers == [marker for _, marker, _ in looks]  # the legend shows them too
    plt.close("all")


def test_loss_and_path_figures_also_differ_by_marker():
    from lrcourse.optimizers import sgd
    from lrcourse.problems import quadratic
    from lrcourse.train import run

    problem = quadratic(condition=10)
    histories = {
        f"lr {lr}": run(sgd(lr=lr), problem, problem.start, 30) for lr in (0.01, 0.03, 0.1, 0.15)
    }
    for ax in (plots.plot_losses(histories), plots.plot_trajectories(problem, histories)):
        markers = [marker for _, marker, _ in _looks(ax)]
        assert len(set(markers)) == 4, markers
    plt.close("all")


def contrast(a, b):
    """WCAG 2.1's contrast ratio of two "#rrggbb" colours, from 1 (the same) to 21."""

    def luminance(color):
        c = _srgb(color)
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    low, high = sorted([luminance(a), luminance(b)])
    return (high + 0.05) / (low + 0.05)


def test_highlighted_source_and_error_text_have_aa_contrast():
    """Text needs 4.5:1 against its background (WCAG 1.4.3): the colours of show_source's
    highlighting on its own background, and an explorer's error message on white."""
    from pygments.styles import get_style_by_name

    from lrcourse.show import STYLE
    from lrcourse.widgets import ERROR_COLOR

    style = get_style_by_name(STYLE)
    colors = {f"#{s['color']}" for _, s in style if s["color"]}
    # On the website the theme paints code on its own grey, #f3f4f5, over the style's background.
    for background in (style.background_color, "#f3f4f5"):
        low = sorted(color for color in colors if contrast(color, background) < 4.5)
        assert low == [], f"{STYLE}: too little contrast on {background}"
    assert contrast(ERROR_COLOR, "#ffffff") >= 4.5
    assert contrast("#AA22FF", "#f3f4f5") < 4.5  # Pygments' default purple, which axe flagged


def test_an_optimizer_race_of_four_also_differs_by_marker():
    from lrcourse.optimizers import sgd
    from lrcourse.problems import quadratic
    from lrcourse.widgets import optimizer_race

    entries = {f"lr {lr}": (sgd, {"lr": lr}) for lr in (0.01, 0.03, 0.05, 0.09)}
    race = optimizer_race(quadratic(condition=20.0), entries, steps=30)
    path, loss = race.figure.axes
    for ax in (path, loss):
        assert len({marker for _, marker, _ in _looks(ax)}) == 4
    legend = [handle.get_marker() for handle in path.get_legend().legend_handles]
    assert set(legend) >= {marker for _, marker, _ in _looks(path)}
    race.close()


# --- text alternatives -------------------------------------------------------------------------


def test_a_figure_is_described_by_its_titles_axes_and_series():
    fig, (left, right) = plots.subplots(1, 2)
    plots.plot_schedules(_schedules(2), 20, ax=left, log=True, title=r"rates $\eta_t$")
    right.plot([0, 1], [1, 0], label="loss")
    right.set(xlabel="epoch", ylabel="test loss")
    right.legend()
    text = plots.describe(fig)
    assert text.startswith("A figure with 2 panels.")
    assert '"rates eta_t": learning rate (log scale) against step; 2 series: rate 0, rate 1' in text
    assert "Panel 2, test loss against epoch; 1 series: loss." in text
    plt.close(fig)


def test_a_lecture_can_say_what_its_figure_shows():
    fig, ax = plots.subplots()
    ax.plot([0, 1], [0, 1])
    plots.set_description(ax, "The rate rises linearly over the warmup.")
    assert plots.describe(fig) == "The rate rises linearly over the warmup."
    plt.close(fig)


def test_an_explorer_still_is_described():
    explorer = schedule_explorer(cosine_decay, horizon=50)
    data, metadata = explorer._repr_mimebundle_()
    alt = metadata["image/png"]["alt"]
    assert "learning rate against step" in alt
    assert "Status: cosine_decay(lr=0.1, total_steps=50, min_lr=0): lr 0.1 at step 0" in alt
    assert "run the notebook" in alt
    assert base64.b64decode(data["image/png"]) == explorer.image.value


def test_a_figure_in_a_notebook_carries_its_description_to_the_website(tmp_path):
    """The whole way: a figure shown in a notebook run by a kernel, stored with the output, then
    built by Sphinx with myst-nb and the book's extension (as `make book` does) into an alt."""
    from nbclient import NotebookClient

    code = [
        "import matplotlib.pyplot as plt\nfrom lrcourse import plots",
        "ax = plots.plot_schedules({'constant': lambda t: 0.1 + 0 * t}, 10)\nplt.show()",
        "fig, ax = plt.subplots()\nplots.set_description(fig, 'Own words.')\nplt.show()",
        "fig, ax = plt.subplots()\nax.plot([2, 3])\nplt.show()",  # plain matplotlib
    ]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Figures")]
        + [nbformat.v4.new_code_cell(c) for c in code]
    )
    NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    outputs = [out for cell in notebook.cells[1:] for out in cell.get("outputs", [])]
    figures = [out for out in outputs if "image/png" in out.get("data", {})]
    alts = [out["metadata"]["image/png"]["alt"] for out in figures]
    assert len(alts) == 3
    assert (
        alts[0]
        == 'A plot. "Learning-rate schedules": learning rate against step; 1 series: constant.'
    )
    assert alts[1] == "Own words."
    assert alts[2] == "A plot. 1 line without labels."
    assert (
        "Figure size" in figures[0]["data"]["text/plain"]
    )  # what strict nbval compares: as before

    source = tmp_path / "src"
    source.mkdir()
    nbformat.write(notebook, source / "figures.ipynb")
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO / 'book')!r})\n"
        "extensions = ['myst_nb', 'lrcourse_book']\nnb_execution_mode = 'off'\n"
        "root_doc = 'figures'\nexclude_patterns = ['_build']\n"
    )
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(tmp_path / "html")],
        check=True,
    )
    html = (tmp_path / "html" / "figures.html").read_text()
    shown = re.findall(r'<img alt="([^"]*)" src="([^"]+)"', html)
    assert [alt.replace("&quot;", '"') for alt, _ in shown] == alts
    for (_, src), figure in zip(shown, figures):  # and each alt is on its own figure
        png = base64.b64decode(figure["data"]["image/png"])
        assert Path(src).stem == hashlib.sha256(png).hexdigest()


LECTURES = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_every_figure_of_a_lecture_has_a_description(path):
    """Every figure stored in a lecture carries its description (run the lecture again with
    tools/run_notebooks.py after changing a figure)."""
    outputs = [
        out for cell in nbformat.read(path, as_version=4).cells for out in cell.get("outputs", [])
    ]
    figures = [out for out in outputs if "image/png" in out.get("data", {})]
    alts = [out.get("metadata", {}).get("image/png", {}).get("alt") for out in figures]
    assert None not in alts  # a mix would mean part of the notebook ran without them
    assert all(len(alt) > 20 for alt in alts), alts


# --- explorers: labelled controls ---------------------------------------------------------------


@pytest.fixture(scope="module")
def explorers():
    built = {name: make() for name, make in all_explorers().items()}
    yield built
    for explorer in built.values():
        explorer.close()


def test_every_explorer_control_has_a_visible_label(explorers):
    """A slider's description is the text shown beside it (a checkbox's, after it), and what
    ipywidgets gives the control as its accessible name."""
    unlabelled = [
        f"{name}: {key}"
        for name, explorer in explorers.items()
        for key, control in explorer.controls.items()
        if isinstance(control, ipywidgets.DOMWidget) and not control.description.strip()
    ]
    assert len(explorers) >= 10
    assert unlabelled == []


def test_every_explorer_still_has_a_description(explorers):
    for name, explorer in explorers.items():
        alt = explorer._repr_mimebundle_()[1]["image/png"]["alt"]
        assert " against " in alt and "run the notebook" in alt, f"{name}: {alt}"


def _colour_only(ax):
    """The looks (marker, line style) that more than a few lines of ``ax`` share, told apart by
    colour alone: ``{look: colours}``; empty when colour is never the only cue for more than
    ``plots.FEW`` series."""
    colours = {}
    for line in ax.get_lines():
        if line.get_linestyle() in ("None", "") or len(line.get_xdata()) < 2:
            continue  # a marker alone, or a point: not a series
        look = (line.get_marker(), line.get_linestyle())
        colours.setdefault(look, set()).add(matplotlib.colors.to_hex(line.get_color()))
    return {look: sorted(c) for look, c in colours.items() if len(c) > plots.FEW}


def test_no_explorer_tells_more_than_a_few_series_apart_by_colour_alone(explorers):
    alike = {
        f"{name}, panel {k + 1}": pairs
        for name, explorer in explorers.items()
        for k, ax in enumerate(explorer.figure.axes)
        if (pairs := _colour_only(ax))
    }
    assert sum(len(explorer.figure.axes) for explorer in explorers.values()) >= 20
    assert alike == {}


def test_the_colour_only_check_sees_lines_that_differ_by_colour_alone():
    fig, ax = plots.subplots()
    for i in range(plots.FEW + 1):
        ax.plot([0, 1], [i, i + 1], color=plots.COLORS[i])
    assert len(_colour_only(ax)[("None", "-")]) == plots.FEW + 1
    plots.distinguish(ax)  # unlabelled lines are no series of a legend: distinguish leaves them
    for i, line in enumerate(ax.get_lines()):
        line.set_marker(plots.MARKERS[i])
    assert _colour_only(ax) == {}
    plt.close(fig)
