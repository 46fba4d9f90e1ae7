"""Lecture 08, AdaGrad: its explorers (the formulas are in ``lrcourse.theory``).

    effective_lr_explorer()    sliders for lr, eps and the initial accumulator: each parameter's
                               effective rate over time, and how far it has moved
    adagrad_race()             SGD, momentum and AdaGrad on a bowl whose axes are the coordinate
                               axes (``lrcourse.widgets.optimizer_race``)

``EXPLORERS`` lists them. The rate is ``theory.adagrad_effective_lr``, the gradients
``problems.gradient_streams`` and the sparse data ``problems.sparse_regression``.
"""

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np

from lrcourse import optimizers, plots
from lrcourse.problems import gradient_streams, quadratic
from lrcourse.theory import adagrad_effective_lr
from lrcourse.widgets import Explorer, figure, log_slider, optimizer_race

__all__ = [
    "effective_lr_explorer",
    "adagrad_race",
    "EXPLORERS",
]


# --- the effective-rate explorer ---------------------------------------------------------------

_STREAMS = ("frequent, large (|g| ~ 1)", "frequent, small (|g| ~ 0.01)", "rare (2% of steps)")


@plots.styled
def effective_lr_explorer(steps=2000, *, lr=0.1, eps=1e-10, initial_accumulator_value=0.0):
    """Sliders for AdaGrad's lr, eps and initial accumulator; a switch for where eps goes.

    Left: the effective rate of three parameters (large, small and rare gradients, from
    ``gradient_streams``) over the steps, log-log. Right: how far each has moved, the sum of
    its step sizes. Before a rare parameter sees its first gradient its rate is lr / eps, not
    drawn (it takes no step).

    >>> explorer = effective_lr_explorer()
    >>> explorer.controls["eps_inside"].value = True
    >>> explorer.status.value.split(";")[0]
    'first step |dp| / lr: 1 (large), 1 (small)'
    """
    grads = gradient_streams(steps)
    t = np.arange(1, steps + 1)
    controls = {
        "lr": log_slider(lr, 1e-4, 10.0),
        "eps": log_slider(eps, 1e-12, 1.0, description="eps"),
        "initial_accumulator_value": widgets.FloatSlider(
            value=initial_accumulator_value,
            min=0.0,
            max=1.0,
            step=0.01,
            description="initial_accumulator_value",
            style={"description_width": "initial"},
        ),
        "eps_inside": widgets.Checkbox(
            value=False, description="eps inside the root (Keras, Optax)", indent=False
        ),
    }
    fig, (ax_rate, ax_moved) = figure(2)
    for ax in (ax_rate, ax_moved):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlim(1, steps)
    ax_rate.set(xlabel="step", ylabel="effective rate", title="lr / (sqrt(sum g^2) + eps)")
    ax_rate.set_ylim(1e-5, 1e3)
    ax_moved.set(xlabel="step", ylabel="sum of |step|", title="how far each parameter moved")
    ax_moved.set_ylim(1e-4, 1e3)
    # Reference slope: a rate that falls like 1/sqrt(t).
    ax_rate.plot(t, 0.3 * t**-0.5, ":", color="grey", label="slope -1/2")

    def draw(values):
        rates = adagrad_effective_lr(
            grads,
            values["lr"],
            values["eps"],
            values["initial_accumulator_value"],
            eps_inside=values["eps_inside"],
        )
        moved = np.cumsum(rates * np.abs(grads), axis=0)
        seen = np.cumsum(grads != 0, axis=0) > 0  # no gradient yet: no rate to speak of
        for i, label in enumerate(_STREAMS):
            color = plots.COLORS[i]
            ax_rate.plot(t, np.where(seen[:, i], rates[:, i], np.nan), color=color, label=label)
            shown = np.where(moved[:, i] > 0, moved[:, i], np.nan)
            ax_moved.plot(t, shown, color=color, label=label)
        ax_rate.legend(loc="lower left", fontsize=7)
        first = rates[0, :2] * np.abs(grads[0, :2]) / values["lr"]
        return (
            f"first step |dp| / lr: {first[0]:.4g} (large), {first[1]:.4g} (small); "
            f"rates at step {steps}: " + ", ".join(f"{r:.3g}" for r in rates[-1])
        )

    return Explorer(controls, draw, fig, title="effective_lr_explorer")


def adagrad_race(angle=0.0, steps=100):
    """SGD, momentum and AdaGrad on a bowl of condition number 50 (axes turned by ``angle``)."""
    return optimizer_race(
        quadratic(condition=50.0, angle=angle),
        {
            "SGD": (optimizers.sgd, {"lr": 0.03}),
            "momentum": (optimizers.sgd, {"lr": 0.01, "momentum": 0.9}),
            "AdaGrad": (optimizers.adagrad, {"lr": 1.0}),
        },
        steps=steps,
        title=f"condition 50, axes turned by {np.degrees(angle):.0f} degrees",
    )


EXPLORERS = {"effective_lr_explorer": effective_lr_explorer, "adagrad_race": adagrad_race}
