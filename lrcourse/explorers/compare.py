"""Lecture 06: the explorer of the schedules compared on a real task.

    schedule_race()                 schedules side by side, each with its own controls, and the
                                    exact expected loss of SGD with each on a noisy quadratic
    results_explorer(sweep)         tick schedules, slide their peaks, see rate and losses

The fair comparison itself (``contenders``, ``sweep``, ``Sweep.best``, ``confirm``) is in
``lrcourse.experiments``; the training happens once, there, and the explorer only picks curves
out of its arrays, so a slider move costs a redraw and nothing else.
"""

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import _validate as v
from lrcourse import plots, schedules
from lrcourse.experiments import NAMES, lecture_sweep, race_problem
from lrcourse.plots import log_y
from lrcourse.theory import expected_loss
from lrcourse.widgets import Explorer, figure, log_slider, schedule_controls

__all__ = [
    "COLORS",
    "schedule_race",
    "results_explorer",
    "EXPLORERS",
]


# One colour per schedule in every figure of the lecture; the constant rate, the baseline, black.
COLORS = dict(zip(NAMES, ["#000000", *plots.COLORS[:6], "#999999"]))


# --- the explorer ------------------------------------------------------------------------------


def _color(i, name):
    """The lecture's colour for schedule ``name`` (number ``i``), or one from the course palette."""
    return COLORS.get(name, plots.COLORS[i % len(plots.COLORS)])


def _look(i, name, points):
    """Colour and marker of schedule ``name`` (number ``i``) on a line of ``points`` points: seven
    schedules on one panel must differ by more than colour."""
    marker = plots.MARKERS[i % len(plots.MARKERS)]
    return dict(color=_color(i, name), marker=marker, markersize=4, markevery=max(1, points // 8))


def _nearest(peaks, value):
    """The index of the tried peak nearest to ``value`` on a log scale."""
    return int(np.argmin(np.abs(np.log(peaks) - np.log(value))))


@plots.styled
def results_explorer(result, shown=("constant", "cosine", "WSD")):
    """Tick schedules and slide their peak rates: the rate each used, its training and test loss.

    Every curve was computed by ``sweep`` beforehand; a slider moves along the peaks it tried
    (a factor 2 apart), starting at the peak chosen on validation loss. The status line gives
    each ticked schedule's final validation and test loss.
    """
    chosen = result.best()
    ratio = result.peaks[1] / result.peaks[0] if len(result.peaks) > 1 else 10.0
    controls, rows = {}, []
    for i, name in enumerate(result.names):
        box = widgets.Checkbox(
            value=name in shown,
            description=name,
            indent=False,
            layout=widgets.Layout(width="125px"),
        )
        peak = log_slider(
            result.peaks[chosen[i]], result.peaks[0], result.peaks[-1], description="peak lr"
        )
        peak.step = float(np.log10(ratio))  # the slider stops at the peaks the sweep tried
        controls[name], controls[f"{name}.peak"] = box, peak
        rows.append(widgets.HBox([box, peak]))
    half = (len(rows) + 1) // 2
    layout = widgets.HBox([widgets.VBox(rows[:half]), widgets.VBox(rows[half:])])

    steps = np.arange(result.lr.shape[-1])
    epochs = np.arange(result.epochs + 1)
    fig, (ax_lr, ax_train, ax_test) = figure(3, width=3.6, height=3.1)
    ax_lr.set(xlabel="step", ylabel="learning rate", title="the rate each update used")
    ax_lr.set(yscale="log", xlim=(0, len(steps)), ylim=(1e-4, 2 * result.peaks.max()))
    finite = np.concatenate([result.train_loss.ravel(), result.test_loss.ravel()])
    low = np.nanmin(finite[finite > 0])
    for ax, title in ((ax_train, "training loss (batch mean)"), (ax_test, "test loss")):
        ax.set(xlabel="epoch", ylabel="loss", title=title, yscale="log")
        ax.set(xlim=(0, result.epochs), ylim=(0.7 * low, 3.0))
    # A legend of every schedule, drawn once: the colours never change, and a legend redrawn on
    # every move would cost more than all the curves.
    handles = [
        Line2D([], [], **_look(i, name, 1), label=name) for i, name in enumerate(result.names)
    ]
    ax_train.legend(handles=handles, loc="upper right", ncol=2, fontsize=7)

    def draw(values):
        parts = []
        for i, name in enumerate(result.names):
            if not values[name]:
                continue
            k = _nearest(result.peaks, values[f"{name}.peak"])
            per_step, per_epoch = _look(i, name, len(steps)), _look(i, name, result.epochs)
            ax_lr.plot(steps, result.lr[i, k], **per_step, linewidth=1.2, label=name)
            ax_train.plot(epochs[1:], result.train_loss[i, k], **per_epoch)
            ax_test.plot(epochs, result.test_loss[i, k], **per_epoch, label=name)
            tuned = " (chosen)" if k == chosen[i] else ""
            if result.diverged[i, k]:
                parts.append(f"{name} at peak {result.peaks[k]:.3g}{tuned}: diverged")
            else:
                parts.append(
                    f"{name} at peak {result.peaks[k]:.3g}{tuned}: "
                    f"val {result.val_loss[i, k, -1]:.3g}, test {result.test_loss[i, k, -1]:.3g}"
                )
        return "; ".join(parts) or "tick a schedule to see its curves"

    return Explorer(controls, draw, fig, title="results_explorer(lecture 06)", layout=layout)


# --- schedule_race -----------------------------------------------------------------------------

RACE = (
    (schedules.cosine_decay, {"lr": 0.155}),
    (schedules.warmup_stable_decay, {"lr": 0.083, "warmup_steps": 0, "shape": "sqrt"}),
    (schedules.one_cycle, {"max_lr": 0.141}),
)


def schedule_race(*entries, horizon=700, problem=None):
    """Schedules side by side, each with its own controls, racing on a noisy quadratic.

    ``entries`` are schedule factories or ``(factory, {name: starting value})`` pairs; the default
    is cosine decay, WSD with a 1 - sqrt cooldown and one-cycle, started at the peaks the
    race on the exact bench found best for 700 steps (lecture 06). The right panel shows each
    schedule's exact expected loss of SGD on ``problem`` (default ``race_problem()``), from
    ``lrcourse.theory.expected_loss``: a slider move shows the schedule's effect, not
    the luck of a few seeds. The loss axis is fixed on the range where the race is decided.
    Controls are named ``"label.parameter"``, as in ``lrcourse.widgets.compare_explorer``.

    >>> explorer = schedule_race(horizon=100)
    >>> sorted(explorer.controls)[:2]
    ['cosine_decay.lr', 'cosine_decay.min_lr']
    """
    entries = entries or RACE
    problem = race_problem() if problem is None else problem
    horizon = v.positive_int("horizon", horizon)
    racers, columns, controls = {}, [], {}
    for entry in entries:
        factory, start = entry if isinstance(entry, tuple) else (entry, {})
        label, n = factory.__name__, 2
        while label in racers:
            label, n = f"{factory.__name__} {n}", n + 1
        own, fixed = schedule_controls(factory, horizon, **start)
        racers[label] = (factory, list(own), fixed)
        controls.update({f"{label}.{name}": control for name, control in own.items()})
        header = widgets.HTML(f"<b>{html.escape(label)}</b>")
        columns.append(widgets.VBox([header, *own.values()]))

    fig, (ax_lr, ax_loss) = figure(2)
    # Fixed limits and legends, drawn once: a slider move then repaints only the curves.
    ax_lr.set(xlabel="step", ylabel="learning rate", title="the schedules", xlim=(0, horizon))
    log_y(ax_lr)
    ax_lr.set_ylim(1e-5, 10.0)
    ax_loss.set(xlabel="step", ylabel="expected loss", xlim=(0, horizon))
    ax_loss.set_title(f"SGD on the {problem.name}")
    log_y(ax_loss)
    floor = float(problem.noise_floor(0.01))  # the race is decided a little above this
    ax_loss.set_ylim(floor / 2, float(problem.loss(problem.start)) * 2)
    colors = [plots.COLORS[i % len(plots.COLORS)] for i in range(len(racers))]
    ax_lr.legend(
        handles=[Line2D([], [], color=c, label=label) for c, label in zip(colors, racers)],
        loc="lower left",
    )
    steps = np.arange(horizon)

    def draw(values):
        built = {
            label: factory(**{name: values[f"{label}.{name}"] for name in names}, **fixed)
            for label, (factory, names, fixed) in racers.items()
        }
        table = np.stack([np.broadcast_to(s(steps), steps.shape) for s in built.values()])
        losses = expected_loss(problem, table)  # (schedules, horizon + 1); inf once diverged
        finals = []
        for color, rates, loss in zip(colors, table, losses):
            ax_lr.plot(steps, rates, color=color)
            diverged = not np.isfinite(loss[-1])
            ax_loss.plot(np.arange(horizon + 1), loss, "--" if diverged else "-", color=color)
            finals.append(np.inf if diverged else loss[-1])
        parts = [
            f"{label}: " + ("diverged" if final == np.inf else f"{final:.4g}")
            for label, final in zip(built, finals)
        ]
        lowest = list(built)[int(np.argmin(finals))]
        return f"expected loss after {horizon} steps: " + "; ".join(parts) + f". Lowest: {lowest}."

    layout = widgets.HBox(columns, layout=widgets.Layout(justify_content="space-around"))
    return Explorer(controls, draw, fig, title="schedule_race", layout=layout)


EXPLORERS = {
    "schedule_race": schedule_race,
    "results_explorer": lambda: results_explorer(lecture_sweep()),
}
