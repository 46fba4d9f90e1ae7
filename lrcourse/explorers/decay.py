"""Explorers of lectures 03 and 04 (decay schedules).

- ``race_explorer``: schedules side by side, each with its own sliders, and the expected loss of
  SGD with each on a noisy quadratic. ``step_race`` (lecture 03: constant, step, multistep) and
  ``decay_race`` (lecture 04: exponential, inverse-time, polynomial) are two set-ups of it.
- ``stepping_explorer``: where a PyTorch-style loop calls ``scheduler.step()`` (per epoch or per
  update, before or after the updates, after a plot has stepped it), the rate each update then
  really uses, and what that does to the loss.

Why an expected loss and not a training run? One noisy run is a jagged line that can cross
another by luck; the average of many runs is smooth but slow to compute on every slider move.
On a noisy quadratic the average over infinitely many runs has a closed form, computed step by
step by ``lrcourse.theory.expected_loss``: smooth, exact, and a few milliseconds for thousands
of steps. The lectures check it against the average of simulated runs.
"""

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import plots
from lrcourse import widgets as lw
from lrcourse.experiments import lecture_problem
from lrcourse.schedules import (
    constant,
    exponential_decay,
    inverse_time_decay,
    multistep_decay,
    polynomial_decay,
    step_decay,
)
from lrcourse.stateful import WHERE, StatefulScheduler, lrs_used, per_epoch
from lrcourse.theory import expected_loss
from lrcourse.train import History

__all__ = [
    "race_explorer",
    "step_race",
    "decay_race",
    "stepping_explorer",
    "EXPLORERS",
]


def _history(loss, lr, problem):
    """An expected-loss curve as a ``History``, so the course's plots draw it (divergence too)."""
    bad = ~(loss <= 1e12 * max(float(loss[0]), 1.0))  # as train.run judges a run lost
    k = int(np.argmax(bad)) if bad.any() else None
    if k is not None:
        loss = np.where(np.arange(len(loss)) <= k, loss, np.nan)
    return History(
        loss=loss,
        lr=lr,
        diverged_at=k,
        final_params=np.full(problem.dim, np.nan),
        problem_name=problem.name,
    )


def _draw_loss(ax, history, label, color, **style):
    """One expected-loss curve. A diverged one goes through the course's plot, which marks where
    it was lost; the others are drawn directly (a plot function sets up the course style on every
    call, which costs more than the line itself on every slider move)."""
    if history.diverged:
        return plots.loss_curve(ax, history, label=label, color=color)
    return ax.plot(np.arange(len(history.loss)), history.loss, color=color, label=label, **style)


def _floor(problem, lr):
    """The noise floor of a constant rate lr (0 for lr = 0, inf where unstable)."""
    return float(problem.noise_floor(lr)) if lr > 0 else 0.0


def _static_legend(ax, entries, loc="upper right"):
    """A legend of ``{label: line style}`` entries, drawn without any data behind it."""
    handles = [Line2D([], [], label=label, **style) for label, style in entries.items()]
    ax.legend(handles=handles, loc=loc)


def _loss_panel(ax, title, xlabel="step"):
    ax.set(xlabel=xlabel, ylabel="expected loss E[f]", title=title)
    lw._log_y(ax)


# --- schedules racing on the noisy quadratic ----------------------------------------------------


@plots.styled
def race_explorer(*entries, problem=None, horizon=2000):
    """Schedules side by side, each with its own controls, and the expected loss each gives.

    ``entries`` are schedule factories or ``(factory, {name: starting value or widget})`` pairs,
    as for ``lrcourse.widgets.compare_explorer``. The left panel shows the schedules on a log
    axis; the right one the exact expected loss of SGD with each (``expected_loss``) on
    ``problem`` (default ``lecture_problem()``), with the noise floor of each schedule's last rate
    dotted in its colour: a curve that sits on its dotted line has done all its last rate can do.
    """
    problem = lecture_problem() if problem is None else problem
    factories, columns, controls = {}, [], {}
    for entry in entries:
        factory, start = entry if isinstance(entry, tuple) else (entry, {})
        label, n = factory.__name__, 2
        while label in factories:
            label, n = f"{factory.__name__} {n}", n + 1
        own, fixed = lw.schedule_controls(factory, horizon, **start)
        factories[label] = (factory, list(own), fixed)
        controls.update({f"{label}.{name}": control for name, control in own.items()})
        columns.append(widgets.VBox([widgets.HTML(f"<b>{label}</b>"), *own.values()]))

    fig, (ax_lr, ax_loss) = lw.figure(2)
    ax_lr.set(xlabel="step", ylabel="learning rate", title="the schedules", xlim=(0, horizon))
    lw._log_y(ax_lr)
    _loss_panel(ax_loss, "SGD on the noisy quadratic")
    ax_loss.set_xlim(0, horizon)
    # Fixed y-limits: limits that follow the curves would redraw the whole figure on some moves
    # (300 ms), where a repaint of the curves alone takes a few tens of ms.
    ax_lr.set_ylim(1e-6, 2.0)
    start = float(problem.loss(problem.start))
    ax_loss.set_ylim(start * 1e-7, start * 10)
    colors = dict(zip(factories, plots.COLORS))
    # One legend, drawn once with the static parts (a legend redrawn on every move would cost
    # more than everything else); the status line says which run diverged, if one does.
    _static_legend(ax_lr, {label: dict(color=color) for label, color in colors.items()})
    _static_legend(ax_loss, {"noise floor of the last rate": dict(color="grey", linestyle=":")})
    t = np.arange(horizon)

    def draw(values):
        schedules = {
            label: factory(**{name: values[f"{label}.{name}"] for name in names}, **fixed)
            for label, (factory, names, fixed) in factories.items()
        }
        lrs = np.stack([np.broadcast_to(s(t), t.shape) for s in schedules.values()])
        losses = expected_loss(problem, lrs)
        parts, finals = [], []
        for label, lr, loss in zip(schedules, lrs, losses):
            color, history = colors[label], _history(loss, lr, problem)
            ax_lr.plot(t, lr, color=color)
            _draw_loss(ax_loss, history, label, color)
            floor = _floor(problem, lr[-1])
            if 0 < floor < np.inf:
                ax_loss.axhline(floor, color=color, linestyle=":", linewidth=1)
            if history.diverged:
                parts.append(f"{label}: diverged at step {history.diverged_at}")
                finals.append(np.inf)
            else:
                parts.append(
                    f"{label}: E[loss] {loss[-1]:.3g} at the end (floor of its last rate "
                    f"{floor:.3g})"
                )
                finals.append(loss[-1])
        lowest = list(schedules)[int(np.argmin(finals))]
        return "; ".join(parts) + f". Lowest: {lowest}."

    layout = widgets.HBox(columns, layout=widgets.Layout(justify_content="space-around"))
    names = ", ".join(factories)
    return lw.Explorer(controls, draw, fig, title=f"race_explorer({names})", layout=layout)


def step_race(horizon=2000):
    """Lecture 03: the best constant rate against step decay and multistep decay."""
    milestones = widgets.IntRangeSlider(
        value=(horizon // 2, 3 * horizon // 4),
        min=1,
        max=horizon,
        description="milestones",
        style={"description_width": "initial"},
    )
    return race_explorer(
        (constant, {"lr": 0.02}),
        (step_decay, {"lr": 0.2, "step_size": horizon // 4, "gamma": 0.1}),
        (multistep_decay, {"lr": 0.2, "milestones": milestones, "gamma": 0.1}),
        horizon=horizon,
    )


def decay_race(horizon=2000):
    """Lecture 04: exponential, inverse-time and linear decay, all from 0.2 to 0.002."""
    peak, end = 0.2, 0.002
    return race_explorer(
        (exponential_decay, {"lr": peak, "gamma": round((end / peak) ** (1 / horizon), 4)}),
        (inverse_time_decay, {"lr": peak, "decay_rate": round((peak / end - 1) / horizon, 4)}),
        (polynomial_decay, {"lr": peak, "total_steps": horizon, "end_lr": end}),
        horizon=horizon,
    )


# --- where the scheduler steps ------------------------------------------------------------------


@plots.styled
def stepping_explorer(epochs=20, milestones=(10, 15), gamma=0.1):
    """The rate a PyTorch-style loop really uses, against the one intended, and the loss it gives.

    The intended schedule is counted in epochs: ``multistep_decay(lr, milestones, gamma)`` with
    the milestones in epochs, stepped once after each epoch. The controls say where the loop calls
    ``scheduler.step()``, and whether a plot stepped the same scheduler object through all the
    epochs before training began. The right panel shows the expected loss of SGD on the noisy
    quadratic of the lecture with both rates, an epoch being ``steps_per_epoch`` updates.
    """
    problem = lecture_problem()
    controls = {
        "where": widgets.Dropdown(
            options=WHERE,
            value="after each epoch",
            description="scheduler.step()",
            style={"description_width": "initial"},
        ),
        "plotted_first": widgets.Checkbox(
            value=False, description="plotted first (same object)", indent=False
        ),
        "steps_per_epoch": widgets.IntSlider(
            value=50,
            min=1,
            max=100,
            description="steps_per_epoch",
            style={"description_width": "initial"},
        ),
        "lr": lw.log_slider(0.2, 1e-3, 1.0),
    }
    fig, (ax_lr, ax_loss) = lw.figure(2)
    ax_lr.set(xlabel="update", ylabel="learning rate", title="intended and applied rate")
    lw._log_y(ax_lr)
    _loss_panel(ax_loss, "SGD on the noisy quadratic", xlabel="update")
    styles = {
        "intended": dict(color="grey", linestyle="--"),
        "applied": dict(color=plots.COLORS[0]),
    }
    _static_legend(ax_lr, styles, loc="lower left")
    _static_legend(ax_loss, styles)

    def draw(values):
        spe, lr = values["steps_per_epoch"], values["lr"]
        in_epochs = multistep_decay(lr, milestones=list(milestones), gamma=gamma)
        updates = np.arange(epochs * spe)
        intended = per_epoch(in_epochs, spe)(updates)
        scheduler = StatefulScheduler(in_epochs)
        if values["plotted_first"]:
            for _ in range(epochs):  # a plotting helper records the rates by stepping through
                scheduler.step()
        applied = lrs_used(scheduler, epochs, spe, where=values["where"])
        losses = expected_loss(problem, np.stack([intended, applied]))
        histories = {}
        for (label, style), lrs, loss in zip(styles.items(), (intended, applied), losses):
            histories[label] = _history(loss, lrs, problem)
            ax_lr.plot(updates, lrs, **style)
            _draw_loss(ax_loss, histories[label], label, **style)

        def changes(lrs):
            at = (np.flatnonzero(np.diff(lrs)) + 1).tolist()
            return ", ".join(map(str, at)) if at else "never"

        def final(history):
            if history.diverged:
                return f"diverged at update {history.diverged_at}"
            return f"final E[loss] {history.loss[-1]:.3g}"

        return (
            f"applied rate changes at update {changes(applied)} (intended: "
            f"{changes(intended)}); applied: {final(histories['applied'])}, intended: "
            f"{final(histories['intended'])}"
        )

    return lw.Explorer(controls, draw, fig, title="stepping_explorer()")


EXPLORERS = {
    "step_race": step_race,
    "decay_race": decay_race,
    "stepping_explorer": stepping_explorer,
}
