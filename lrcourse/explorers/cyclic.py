"""Explorers of lecture 05: cosine decay, warmup, restarts, cyclical rates, one-cycle and WSD.

    schedule_chooser()   pick a schedule from a menu; its own parameters become sliders, and a
                         warmup slider puts ``linear_warmup`` in front of whichever you chose
    warmup_explorer()    why warmup helps: gradient descent on a bowl whose walls steepen away
                         from the bottom, with the rate and the local stability limit 2 / sharpness

The problems they use (``SteepBowl``, ``CommonNoiseQuadratic``) are in ``lrcourse.problems``.
"""

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import _validate as v
from lrcourse import plots, schedules
from lrcourse.optimizers import sgd
from lrcourse.problems import steep_bowl
from lrcourse.stateful import replay
from lrcourse.train import run
from lrcourse.widgets import Explorer, call_text, figure, log_slider, log_y, schedule_controls

__all__ = [
    "schedule_chooser",
    "warmup_explorer",
    "EXPLORERS",
]


# --- the problems ------------------------------------------------------------------------------


# --- schedule_chooser --------------------------------------------------------------------------


def _chooser_menu(horizon):
    """{name: (factory, starting values)}: the schedules of the lecture, on a horizon."""
    return {
        "cosine_decay": (schedules.cosine_decay, {}),
        "cosine_restarts": (
            schedules.cosine_restarts,
            {"period": max(horizon // 10, 1), "period_mult": 2},
        ),
        "cyclic": (schedules.cyclic, {"step_size_up": max(horizon // 10, 1)}),
        "one_cycle": (schedules.one_cycle, {}),
        "warmup_stable_decay": (schedules.warmup_stable_decay, {"shape": "sqrt"}),
        "polynomial_decay": (schedules.polynomial_decay, {}),  # power 1: linear decay to zero
    }


def schedule_chooser(horizon=1000, *, schedule="cosine_decay", warmup_steps=0, log=False):
    """Choose a schedule from a menu; its own parameters become the sliders.

    The sliders come from each factory's signature (``lrcourse.widgets.schedule_controls``), so
    every schedule keeps its own controls, and its settings, while you look at another. The
    ``warmup_steps`` slider puts ``linear_warmup`` in front of whichever schedule is chosen; the
    grey dotted line is then the schedule without it, which the warmup pushes W steps later.
    ``log=True`` draws the rate on a log axis. Controls are named ``"schedule"``,
    ``"warmup_steps"`` and ``"name.parameter"``.

    >>> explorer = schedule_chooser(horizon=200)
    >>> explorer.controls["schedule"].value = "one_cycle"
    >>> explorer.status.value.startswith("one_cycle(max_lr=0.1, total_steps=200, pct_start=0.3")
    True
    """
    menu_items = _chooser_menu(horizon)
    menu = widgets.Dropdown(options=list(menu_items), value=schedule, description="schedule")
    controls = {
        "schedule": menu,
        "warmup_steps": widgets.IntSlider(
            value=warmup_steps,
            min=0,
            max=horizon // 2,
            description="warmup_steps",
            style={"description_width": "initial"},
        ),
    }
    chosen, boxes = {}, {}
    for name, (factory, start) in menu_items.items():
        own, fixed = schedule_controls(factory, horizon, **start)
        chosen[name] = (factory, list(own), fixed)
        controls.update({f"{name}.{param}": control for param, control in own.items()})
        boxes[name] = widgets.HBox(list(own.values()), layout=widgets.Layout(flex_flow="row wrap"))

    def show_chosen(change=None):
        for name, box in boxes.items():
            box.layout.display = "flex" if name == menu.value else "none"

    menu.observe(show_chosen, names="value")
    show_chosen()
    layout = widgets.VBox([widgets.HBox([menu, controls["warmup_steps"]]), *boxes.values()])

    steps = np.arange(horizon)
    fig, (ax,) = figure(width=6.0)
    ax.set(xlabel="step", ylabel="learning rate")
    if log:
        log_y(ax)
    # A legend drawn once, into the static picture: re-making it on every move costs more than
    # the rest of the update. It names the grey line that appears when there is a warmup.
    ax.legend(
        handles=[
            Line2D([], [], color=plots.COLORS[0], label="the schedule"),
            Line2D(
                [], [], linestyle=":", color="grey", label="without warmup (if warmup_steps > 0)"
            ),
        ],
        loc="upper right",
    )

    def draw(values):
        name, warmup = values["schedule"], values["warmup_steps"]
        factory, params, fixed = chosen[name]
        kwargs = {param: values[f"{name}.{param}"] for param in params}
        schedule = factory(**kwargs, **fixed)
        call = call_text(factory, {**kwargs, **fixed})
        ax.set_title(name)
        if warmup:
            ax.plot(steps, schedule(steps), ":", color="grey")
            schedule = schedules.linear_warmup(schedule, warmup)
            call = f"linear_warmup({call}, warmup_steps={warmup})"
        lr = schedule(steps)
        ax.plot(steps, lr, color=plots.COLORS[0])
        if not log:
            ax.set_ylim(bottom=0)
        top = int(np.argmax(lr))
        return (
            f"{call}: lr {lr[0]:.4g} at step 0, peak {lr[top]:.4g} at step {top}, "
            f"{lr[-1]:.4g} at step {horizon - 1}"
        )

    return Explorer(controls, draw, fig, title="schedule_chooser", layout=layout)


# --- warmup_explorer ---------------------------------------------------------------------------


def warmup_explorer(lr=0.4, warmup_steps=10, steps=60, *, problem=None):
    """Warmup on the steep bowl: the path, and the rate against the local limit 2 / sharpness.

    Gradient descent at rate lr is locally stable only while lr < 2 / sharpness(x). On the steep
    bowl that limit is lowest at the start and rises as the iterate moves in. A constant peak
    rate starts far above it and blows up; a linear warmup keeps the rate under the limit until
    the limit has risen above the peak.

    >>> explorer = warmup_explorer(steps=40)
    >>> explorer.controls["warmup_steps"].value = 0
    >>> explorer.status.value
    'peak lr 0.4, no warmup: diverged at step 3'
    """
    problem = steep_bowl() if problem is None else problem
    steps = v.positive_int("steps", steps)
    fig, (ax_path, ax_lr) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"gradient descent on the {problem.name}")
    ax_path.legend(loc="upper right", frameon=True)
    ax_lr.set(xlabel="step", ylabel="rate", title="the rate and the limit 2 / sharpness")
    log_y(ax_lr)
    ax_lr.set(xlim=(0, steps), ylim=(1e-3, 20.0))  # fixed: every setting fits, nothing jumps
    ax_lr.legend(
        handles=[
            Line2D([], [], color=plots.COLORS[0], label="learning rate"),
            Line2D([], [], linestyle="--", color=plots.COLORS[1], label="2 / sharpness"),
        ],
        loc="lower right",
    )
    style = {"description_width": "initial"}
    controls = {
        "lr": log_slider(lr, 1e-2, 2.0, description="peak lr"),
        "warmup_steps": widgets.IntSlider(
            value=warmup_steps, min=0, max=steps // 2, description="warmup_steps", style=style
        ),
    }
    t = np.arange(steps)

    def draw(values):
        peak, warmup = values["lr"], values["warmup_steps"]
        if warmup:
            schedule, label = schedules.linear_warmup(peak, warmup), f"warmup {warmup} steps"
        else:
            schedule, label = schedules.constant(peak), "no warmup"
        # The rates looked up from a table: evaluating the schedule once for all steps is faster
        # than calling it at every step, and gives the same rates.
        history = run(sgd(lr=replay(schedule(t))), problem, problem.start, steps)
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        limit = 2 / problem.sharpness(history.params[:-1])  # NaN once the run has diverged
        ax_lr.plot(t, history.lr, color=plots.COLORS[0])
        ax_lr.plot(t, limit, "--", color=plots.COLORS[1])
        if history.diverged:
            outcome = f"diverged at step {history.diverged_at}"
        else:
            outcome = f"loss {history.loss[-1]:.3g} after {steps} steps"
            if history.lr[-1] > limit[-1]:  # growing, if still from far below the plot
                outcome += "; but the rate is above the limit now: the loss grows, it will blow up"
        return f"peak lr {peak:.3g}, {label}: {outcome}"

    return Explorer(controls, draw, fig, title="warmup_explorer")


EXPLORERS = {
    "schedule_chooser": schedule_chooser,
    "warmup_explorer": warmup_explorer,
}
