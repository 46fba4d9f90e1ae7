"""Lecture 09, RMSProp: its explorers.

    rmsprop_explorer(problem)   sliders for lr, alpha, eps and momentum, a centered switch: the
                                path, the loss, and each coordinate's effective rate
    rmsprop_race(problem)       SGD, momentum, AdaGrad and RMSProp, each with its own controls
                                (``lrcourse.widgets.optimizer_race``)

``EXPLORERS`` lists them; the effective rate is ``theory.rmsprop_effective_lr``.
"""

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.problems import Quadratic, quadratic, rosenbrock
from lrcourse.theory import rmsprop_effective_lr
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider, optimizer_race

__all__ = [
    "rmsprop_explorer",
    "rmsprop_race",
    "EXPLORERS",
]


# --- the RMSProp explorer ----------------------------------------------------------------------


def _log_axis(ax):
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())


def _outcome(history):
    if history.diverged:
        return f"diverged at step {history.diverged_at}"
    return f"final loss {history.loss[-1]:.3g}"


@plots.styled
def rmsprop_explorer(
    problem=None,
    steps=200,
    *,
    lr=0.1,
    alpha=0.99,
    eps=1e-8,
    momentum=0.0,
    centered=False,
    lr_range=(1e-4, 1.0),
):
    """Sliders for RMSProp's lr and eps (log), alpha and momentum, and a centered switch.

    Three panels: the path over the contours, the loss per step, and the effective rate
    lr / (sqrt(square_avg) + eps) of each coordinate at each step (log scale; with momentum the
    step also carries the buffer, so this is the rate a fresh gradient gets). On a quadratic the
    dotted lines mark 2 / lambda for each eigenvalue: a fixed rate above it is unstable along
    that eigenvector. The default bowl has its axes along the coordinates, with curvatures 1 and
    50, so each coordinate has a curvature of its own.

    >>> explorer = rmsprop_explorer()
    >>> explorer.controls["alpha"].value = 0.9
    >>> explorer.status.value.split("; ")[-1]       # at the edge of stability: 2/1 and 2/50
    'rates at the last step 2.01 (x1), 0.0399 (x2)'
    """
    problem = quadratic(curvatures=[1.0, 50.0]) if problem is None else problem
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(
            f"rmsprop_explorer needs a 2-D problem with plotting bounds, got {problem!r}"
        )
    steps = v.positive_int("steps", steps)
    controls = {
        "lr": log_slider(lr, *lr_range),
        "alpha": widgets.FloatSlider(
            value=alpha,
            min=0.0,
            max=0.999,
            step=0.001,
            description="alpha",
            readout_format=".3f",
            style={"description_width": "initial"},
        ),
        "eps": log_slider(eps, 1e-10, 1.0, description="eps"),
        "momentum": widgets.FloatSlider(
            value=momentum,
            min=0.0,
            max=0.99,
            step=0.01,
            description="momentum",
            style={"description_width": "initial"},
        ),
        "centered": widgets.Checkbox(value=centered, description="centered", indent=False),
    }
    min_loss = problem.min_loss
    fig, (ax_path, ax_loss, ax_rate) = figure(3, width=4.0)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"RMSProp on {problem.name}")
    ax_path.legend(loc="upper right", frameon=True)
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    _log_axis(ax_loss)
    loss0 = float(problem.loss(problem.start)) - (min_loss or 0.0)
    ax_loss.set(xlim=(0, steps), ylim=(loss0 * 1e-12, loss0 * 1e3))
    ax_rate.set(xlabel="step", ylabel="effective rate", title="lr / (sqrt(square_avg) + eps)")
    _log_axis(ax_rate)
    ax_rate.set(xlim=(1, steps), ylim=(1e-4, 1e3))
    if isinstance(problem, Quadratic):
        for lam in problem.eigenvalues:
            ax_rate.axhline(2 / lam, color="grey", linestyle=":", linewidth=1)
            ax_rate.text(steps, 2 / lam, f"2/{lam:g}", ha="right", va="bottom", fontsize=7)
    # A legend drawn once, with stand-in lines: it is part of the static picture, so a slider
    # move does not lay it out again.
    coordinates = ("x1", "x2")
    ax_rate.legend(
        [Line2D([], [], color=plots.COLORS[i + 1]) for i in range(2)],
        coordinates,
        loc="upper left",
    )
    t = np.arange(1, steps + 1)

    def draw(values):
        lr, alpha, eps = values["lr"], values["alpha"], values["eps"]
        beta, centered = values["momentum"], values["centered"]
        opt = optimizers.rmsprop(lr=lr, alpha=alpha, eps=eps, momentum=beta, centered=centered)
        history = run(opt, problem, problem.start, steps)
        label = f"lr = {lr:.3g}, alpha = {alpha:.3g}"
        extras = (f", momentum {beta:.3g}" if beta else "") + (", centered" if centered else "")
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        plots.loss_curve(
            ax_loss, history, label="RMSProp", color=plots.COLORS[0], min_loss=min_loss
        )
        # The gradients the run used, all at once from the recorded points.
        with np.errstate(all="ignore"):
            grads = problem.grad(history.params[:-1])
            rates = rmsprop_effective_lr(grads, lr, alpha, eps, centered=centered)
        for i, name in enumerate(coordinates):
            ax_rate.plot(t, rates[:, i], color=plots.COLORS[i + 1], label=name)
        first = rates[0] * np.abs(grads[0]) / lr if lr > 0 else np.zeros(2)
        horizon = f"{1 / (1 - alpha):.3g} steps" if alpha < 1 else "forever"
        last = rates[-1] if np.isfinite(rates[-1]).all() else np.full(2, np.nan)
        return (
            f"{label} (horizon {horizon}){extras}: {_outcome(history)}; first step "
            f"{first.max():.3g} x lr; rates at the last step {last[0]:.3g} (x1), {last[1]:.3g} (x2)"
        )

    layout = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    return Explorer(controls, draw, fig, title="rmsprop_explorer", layout=layout)


# --- the race ----------------------------------------------------------------------------------


def rmsprop_race(problem=None, steps=200):
    """SGD, momentum, AdaGrad and RMSProp on Rosenbrock's valley (or ``problem``), each with
    its own learning rate, starting from rates that suit the valley."""
    problem = rosenbrock() if problem is None else problem
    return optimizer_race(
        problem,
        {
            "SGD": (optimizers.sgd, {"lr": 2e-3}),
            "momentum": (optimizers.sgd, {"lr": 2e-3, "momentum": 0.9}),
            "AdaGrad": (optimizers.adagrad, {"lr": 1.0}),
            "RMSProp": (optimizers.rmsprop, {"lr": 0.03, "alpha": 0.99}),
        },
        steps=steps,
        lr_range=(1e-4, 3.0),
    )


EXPLORERS = {"rmsprop_explorer": rmsprop_explorer, "rmsprop_race": rmsprop_race}
