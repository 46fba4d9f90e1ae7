"""The explorers, driven without a browser: moving a control must change what they show."""

import io
import math
import subprocess
import sys

import ipywidgets
import numpy as np
import PIL.Image
import pytest
from explorer_helpers import shown

from lrcourse import schedules, widgets
from lrcourse.optimizers import sgd
from lrcourse.problems import quadratic, rosenbrock


def pixels(png):
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


SLIDERS = (ipywidgets.FloatLogSlider, ipywidgets.FloatSlider, ipywidgets.IntSlider)


def nudge(explorer, fraction=0.1):
    """Move the explorer's first slider by ``fraction`` of its range, as a short drag would
    (backwards if that would run past its end)."""
    control = next(c for c in explorer.controls.values() if isinstance(c, SLIDERS))
    if isinstance(control, ipywidgets.FloatLogSlider):
        step = fraction * (control.max - control.min)
        exponent = math.log(control.value, control.base)
        exponent += step if exponent + step <= control.max else -step
        control.value = control.base**exponent
    else:
        step = fraction * (control.max - control.min)
        if isinstance(control, ipywidgets.IntSlider):
            step = max(1, round(step))
        control.value += step if control.value + step <= control.max else -step


def test_importing_the_module_shows_nothing():
    # A module that displayed widgets on import would litter every notebook that imports it.
    code = "import lrcourse.widgets, ipywidgets; print(len(ipywidgets.Widget.widgets))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


# --- schedule_explorer -------------------------------------------------------------------------


def test_schedule_controls_come_from_the_factory_signature():
    explorer = widgets.schedule_explorer(schedules.warmup_stable_decay, horizon=400)
    assert list(explorer.controls) == [
        "lr", "total_steps", "warmup_steps", "decay_steps", "shape", "min_lr",
    ]  # fmt: skip
    assert isinstance(explorer.controls["lr"], ipywidgets.FloatLogSlider)
    assert isinstance(explorer.controls["warmup_steps"], ipywidgets.IntSlider)
    assert explorer.controls["total_steps"].value == 400  # a guess for a required parameter
    assert explorer.controls["shape"].options == ("linear", "cosine", "sqrt")
    assert explorer.controls["min_lr"].value == 0.0  # the signature's default
    assert explorer.error is None


@pytest.mark.parametrize(
    "factory",
    [
        schedules.constant,
        schedules.step_decay,
        schedules.multistep_decay,
        schedules.exponential_decay,
        schedules.inverse_time_decay,
        schedules.polynomial_decay,
        schedules.cosine_decay,
        schedules.cosine_restarts,
        schedules.cyclic,
        schedules.one_cycle,
        schedules.warmup_stable_decay,
    ],
    ids=lambda factory: factory.__name__,
)
def test_every_schedule_gets_an_explorer_that_reacts(factory):
    explorer = widgets.schedule_explorer(factory, horizon=300)
    assert explorer.error is None, explorer.status.value
    before = shown(explorer)
    first = next(iter(explorer.controls))  # a learning rate in every factory
    explorer.controls[first].value = explorer.controls[first].value * 2
    assert explorer.error is None, explorer.status.value
    assert shown(explorer)[0] != before[0] and shown(explorer)[1] != before[1]


def test_the_status_is_the_call_a_learner_can_copy():
    explorer = widgets.schedule_explorer(schedules.step_decay, horizon=100, gamma=0.5)
    explorer.controls["step_size"].value = 30
    assert explorer.status.value.startswith("step_decay(lr=0.1, step_size=30, gamma=0.5): ")
    assert explorer.values() == {"lr": 0.1, "step_size": 30, "gamma": 0.5}


def test_fixed_values_and_own_widgets_are_honoured():
    own = ipywidgets.FloatSlider(value=0.5, min=0.1, max=0.9, description="gamma")
    explorer = widgets.schedule_explorer(
        schedules.multistep_decay, horizon=100, milestones=ipywidgets.fixed([10, 20]), gamma=own
    )
    assert explorer.controls["gamma"] is own
    assert "milestones" not in explorer.controls
    assert "milestones=[10, 20]" in explorer.status.value
    before = shown(explorer)
    own.value = 0.2
    assert shown(explorer) != before


def test_a_rejected_combination_is_shown_not_raised():
    explorer = widgets.schedule_explorer(schedules.warmup_stable_decay, horizon=100)
    explorer.controls["warmup_steps"].value = 90  # + decay_steps 20 > total_steps 100
    assert isinstance(explorer.error, ValueError)
    assert "warmup_steps + decay_steps" in explorer.status.value
    explorer.controls["warmup_steps"].value = 10
    assert explorer.error is None


def test_missing_and_unknown_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="'schedule'"):
        widgets.schedule_explorer(schedules.linear_warmup)
    with pytest.raises(ValueError, match="no parameter 'lr_max'"):
        widgets.schedule_explorer(schedules.cosine_decay, lr_max=0.1)


def test_log_axis_option():
    explorer = widgets.schedule_explorer(schedules.exponential_decay, horizon=100, log=True)
    assert explorer.figure.axes[0].get_yscale() == "log"


# --- lr_explorer -------------------------------------------------------------------------------


def test_lr_explorer_moves_and_reports_divergence():
    explorer = widgets.lr_explorer(quadratic(condition=10), steps=30, lr=0.1)
    assert explorer.status.value.startswith("lr = 0.1: final loss")
    before = shown(explorer)
    explorer.controls["lr"].value = 0.3  # beyond 2/L = 0.2
    assert shown(explorer)[0] != before[0]
    assert explorer.status.value == "lr = 0.3: diverged at step 21 (stable only below 2/L = 0.2)"
    assert isinstance(explorer.controls["lr"], ipywidgets.FloatLogSlider)


def test_lr_explorer_takes_other_optimizers_and_problems():
    explorer = widgets.lr_explorer(rosenbrock(), sgd, steps=50, lr=1e-3, momentum=0.9)
    assert explorer.error is None
    before = shown(explorer)
    explorer.controls["lr"].value = 2e-3
    assert shown(explorer) != before
    with pytest.raises(ValueError, match="2-D"):
        widgets.lr_explorer(quadratic(curvatures=[1.0, 2.0, 3.0]))


def test_blitting_shows_the_same_picture_as_a_full_redraw():
    explorer = widgets.lr_explorer(quadratic(condition=10), steps=30, lr=0.05)
    for lr in (0.08, 0.15, 0.25):
        explorer.controls["lr"].value = lr
        blitted = pixels(explorer.image.value)
        explorer.figure.canvas.draw()
        full = pixels(widgets._png(explorer.figure.canvas))
        # Only the stacking order of a few overlapping markers may differ.
        assert np.mean(np.any(blitted != full, axis=-1)) < 0.005


def static_drawn(explorer):
    """The explorer's static parts drawn by matplotlib in one go, as RGBA pixels."""
    with widgets._hidden(explorer._added()):
        explorer.figure.canvas.draw()
    return np.asarray(explorer.figure.canvas.buffer_rgba(), dtype=int)


def test_a_move_that_rescales_one_panel_redraws_only_that_one():
    explorer = widgets.compare_explorer(
        schedules.cosine_decay, schedules.step_decay, problem=quadratic(condition=10)
    )
    schedule_panel, loss_panel = explorer.figure.axes
    partial = 0
    for _ in range(12):
        kept = dict(explorer._panels)
        explorer.controls["cosine_decay.lr"].value *= 1.12
        redrawn = {ax for ax in kept if explorer._panels[ax] is not kept[ax]}
        partial += len(redrawn) == 1
        # The panels laid over the bare figure are the picture matplotlib draws, to rounding.
        assert np.abs(explorer._background.astype(int) - static_drawn(explorer)).max() <= 2
    assert partial >= 3


@pytest.mark.parametrize(
    "name", ["adam.adam_race", "descent.noise_floor_explorer", "decay.stepping_explorer"]
)
def test_a_legend_laid_from_its_layer_looks_as_if_drawn(name):
    # Two copies of an explorer, moved alike: one lays its legends from the layers it keeps, the
    # other draws them directly. The pictures agree to rounding (2 levels of 255).
    kept, drawn = (widgets.all_explorers()[name]() for _ in range(2))
    drawn._apart = lambda artist: False
    for explorer in (kept, drawn):
        for _ in range(3):
            nudge(explorer)
    assert kept._legends  # the layers were used ...
    difference = np.abs(pixels(kept.image.value).astype(int) - pixels(drawn.image.value))
    assert difference.max() <= 2  # ... and show what drawing would


def test_a_legend_with_new_entries_gets_a_new_layer():
    explorer = widgets.all_explorers()["descent.noise_floor_explorer"]()
    before = len(explorer._legends)
    explorer.controls["lr"].value = 0.25  # past 2/L: the predicted floor leaves the legend
    assert "no floor" in explorer.status.value
    assert len(explorer._legends) > before


def test_log_axes_of_explorers_label_powers_in_plain_text():
    explorer = widgets.compare_explorer(schedules.cosine_decay, problem=quadratic(condition=10))
    labels = [t.get_text() for t in explorer.figure.axes[1].get_yticklabels()]
    assert "10⁻¹" in labels and not [label for label in labels if "$" in label]
    plain = widgets._PlainPowers()
    plain.set_axis(explorer.figure.axes[1].yaxis)
    assert plain(1e-20) == "10⁻²⁰" and plain(1e3) == "10³"


# --- compare_explorer --------------------------------------------------------------------------


def test_compare_explorer_keeps_separate_controls():
    explorer = widgets.compare_explorer(
        schedules.cosine_decay, (schedules.cosine_decay, {"lr": 0.05}), horizon=100
    )
    assert explorer.controls["cosine_decay.lr"].value == 0.1
    assert explorer.controls["cosine_decay 2.lr"].value == 0.05
    before = shown(explorer)
    explorer.controls["cosine_decay 2.lr"].value = 0.2
    assert explorer.controls["cosine_decay.lr"].value == 0.1
    assert shown(explorer)[0] != before[0]
    assert explorer.status.value.startswith("cosine_decay: lr")


def test_compare_explorer_trains_every_schedule_in_one_run():
    bowl = quadratic(condition=10)
    explorer = widgets.compare_explorer(
        schedules.cosine_decay, schedules.step_decay, horizon=60, problem=bowl
    )
    assert "cosine_decay: final loss" in explorer.status.value
    explorer.controls["step_decay.lr"].value = 0.5  # diverges on this bowl
    assert "step_decay: diverged at step" in explorer.status.value
    assert "cosine_decay: final loss" in explorer.status.value


def test_compare_explorer_needs_a_schedule():
    with pytest.raises(ValueError, match="at least one"):
        widgets.compare_explorer()


# --- what a notebook stores --------------------------------------------------------------------


def test_the_stored_output_has_a_still_picture_for_code_hosts():
    explorer = widgets.schedule_explorer(schedules.cosine_decay, horizon=50)
    bundle, metadata = explorer._repr_mimebundle_()  # metadata: the still's alt text
    assert "run the notebook" in metadata["image/png"]["alt"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"]  # base64 PNG
    assert (
        bundle["text/plain"]
        == "schedule_explorer(cosine_decay) (run the notebook to move its controls)"
    )


# --- every explorer of the course --------------------------------------------------------------


@pytest.mark.parametrize("name", widgets.all_explorers())
def test_every_explorer_reacts_to_its_first_slider(name):
    explorer = widgets.all_explorers()[name]()
    assert explorer.error is None, explorer.status.value
    before = shown(explorer)
    nudge(explorer)
    assert explorer.error is None, explorer.status.value
    assert explorer.image.value != before[0], "the picture did not change"
    assert explorer.status.value != before[1], "the status line did not change"


@pytest.mark.parametrize("name", widgets.all_explorers())
def test_every_explorer_paints_what_matplotlib_draws_with_labels_clear_of_ticks(name):
    explorer = widgets.all_explorers()[name]()
    nudge(explorer)
    # Its static picture, laid together from one layer per panel, is matplotlib's to rounding.
    assert np.abs(explorer._background.astype(int) - static_drawn(explorer)).max() <= 2
    # Labels sit at fixed places (see ``widgets.figure``): they must clear the tick labels.
    renderer = explorer.figure.canvas.get_renderer()
    for ax in explorer.figure.axes:
        box = ax.yaxis.label.get_window_extent(renderer)
        ticks = [t.get_window_extent(renderer) for t in ax.get_yticklabels() if t.get_text()]
        if ax.get_ylabel() and ticks and ax.yaxis.get_label_position() == "left":
            assert box.x0 >= 0 and box.x1 < min(t.x0 for t in ticks), (ax.get_ylabel(), name)
        box = ax.xaxis.label.get_window_extent(renderer)
        ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        if ax.get_xlabel() and ticks:
            assert box.y0 >= 0 and box.y1 < min(t.y0 for t in ticks), (ax.get_xlabel(), name)
