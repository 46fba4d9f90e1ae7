"""Explorers of lectures 03 and 04 (decay schedules), and the exact expected loss they draw.

- ``race_explorer``: schedules side by side, each with its own sliders, and the expected loss of
  SGD with each on a noisy quadratic. ``step_race`` (lecture 03: constant, step, multistep) and
  ``decay_race`` (lecture 04: exponential, inverse-time, polynomial) are two set-ups of it.
- ``stepping_explorer``: where a PyTorch-style loop calls ``scheduler.step()`` (per epoch or per
  update, before or after the updates, after a plot has stepped it), the rate each update then
  really uses, and what that does to the loss.

Why an expected loss and not a training run? One noisy run is a jagged line that can cross
another by luck; the average of many runs is smooth but slow to compute on every slider move.
On a noisy quadratic the average over infinitely many runs has a closed form, computed step by
step by ``expected_loss``: smooth, exact, and a few milliseconds for thousands of steps. The
lectures check it against the average of simulated runs.
"""

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import plots
from lrcourse import widgets as lw
from lrcourse.problems import NoisyQuadratic, noisy_quadratic
from lrcourse.schedules import (
    constant,
    exponential_decay,
    inverse_time_decay,
    multistep_decay,
    polynomial_decay,
    step_decay,
)
from lrcourse.stateful import WHERE, StatefulScheduler, lrs_used, per_epoch
from lrcourse.train import History

__all__ = [
    "lecture_problem",
    "expected_loss",
    "mean_histories",
    "race_explorer",
    "step_race",
    "decay_race",
    "stepping_explorer",
    "EXPLORERS",
]


def lecture_problem():
    """The noisy quadratic of lectures 03 and 04: curvatures 1 and 4, noise sigma = 1, and a start
    far from the minimum, so that a small constant rate takes thousands of steps to get there."""
    return noisy_quadratic(condition=4.0, sigma=1.0, start=[-10.0, 7.5])


def expected_loss(problem, lrs):
    """The exact expected loss E[f(x_k)] of SGD on a noisy quadratic, step by step.

    Along each eigenvector of H (curvature lambda) the error z evolves on its own,

        z <- (1 - lr_k lambda) z - lr_k sigma xi,      xi ~ N(0, 1) independent of z,

    so its second moment m = E[z^2] follows

        m <- (1 - lr_k lambda)^2 m + lr_k^2 sigma^2,     E[f] = 1/2 sum over directions of lambda m.

    With a constant rate m settles where it stops changing: lecture 02's noise floor. The first
    term is what is left of the start, the second the noise piling up. ``lrs`` of shape
    (..., steps), the rate of each update, gives (..., steps + 1): the expected loss before each
    update and after the last (inf once the rates have made it overflow).

    >>> q = noisy_quadratic(curvatures=[1.0], sigma=1.0, start=[0.0])
    >>> after = expected_loss(q, np.full(2000, 0.1))[-1]
    >>> round(float(after), 6), round(float(q.noise_floor(0.1)), 6)
    (0.026316, 0.026316)
    """
    if not isinstance(problem, NoisyQuadratic):
        raise ValueError(
            f"problem must be a noisy quadratic (noisy_quadratic(...)), got {problem!r}"
        )
    lrs = np.asarray(lrs, dtype=float)
    if lrs.ndim == 0:
        raise ValueError("lrs must be an array with the steps on its last axis, got a number")
    curvatures, vectors = np.linalg.eigh(problem.hessian)
    z0 = (problem.start - problem.minimum) @ vectors  # the start in the eigenbasis
    # Steps first, in contiguous memory: the loop below reads one small block per step.
    per_step = np.ascontiguousarray(np.moveaxis(lrs, -1, 0))[..., None]  # (steps, ..., 1)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging rate overflows to inf
        shrink = (1 - per_step * curvatures) ** 2  # every step's factors at once
        noise = per_step**2 * problem.sigma**2
        m = np.empty(shrink.shape)  # m[k]: the moments after update k, per direction
        moment = z0**2
        for k in range(len(m)):  # the one loop: each step needs the one before
            moment = m[k] = shrink[k] * moment + noise[k]
        after = np.moveaxis(m @ curvatures, 0, -1)
    start = np.broadcast_to(curvatures @ z0**2, (*lrs.shape[:-1], 1))
    out = 0.5 * np.concatenate([start, after], axis=-1)
    return np.where(np.isnan(out), np.inf, out)


def mean_histories(history, labels):
    """Each row of a sweep of noisy runs, averaged over its runs: ``{label: History}``.

    ``history`` comes from ``run`` with params of shape (rows, runs, dim): every row a setting
    (a schedule), every run of it an independent draw of the gradient noise. The average over the
    runs estimates the expected loss; the plots draw it like any single run.
    """
    labels = list(labels)
    if history.loss.ndim != 3 or history.loss.shape[1] != len(labels):
        raise ValueError(
            f"labels must name each row of a sweep whose loss has shape (steps + 1, rows, runs), "
            f"got {len(labels)} labels for loss of shape {history.loss.shape}"
        )
    if np.any(history.diverged):
        raise ValueError("some runs diverged: their average is meaningless; plot them one by one")
    return {
        label: History(
            loss=history.loss[:, i].mean(axis=-1),
            lr=history.lr[:, i, 0],
            diverged_at=None,
            final_params=history.final_params[i].mean(axis=0),
            problem_name=history.problem_name,
        )
        for i, label in enumerate(labels)
    }


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
