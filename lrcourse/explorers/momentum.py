"""Lecture 07, momentum and Nesterov: its explorers.

    momentum_explorer(problem)      lr and momentum sliders: the path over the contours, the loss
    phase_map_explorer(kappa)       the convergence rate over (lr, momentum), with the theory's
                                    lines, under a slider for the condition number

``EXPLORERS`` lists them (with a race on Rosenbrock, ``lrcourse.widgets.optimizer_race``). The
theory they draw (``momentum_rate``, ``max_stable_lr``, ``optimal_momentum``) is in
``lrcourse.theory``; Keras's form of SGD is ``lrcourse.interop.keras_sgd``.
"""

import ipywidgets as widgets
import matplotlib
import matplotlib.colors
import matplotlib.ticker
import numpy as np

from lrcourse import optimizers, plots
from lrcourse.problems import Quadratic, quadratic
from lrcourse.theory import critically_damped_lrs, max_stable_lr, momentum_rate, optimal_momentum
from lrcourse.train import run
from lrcourse.widgets import Explorer, _control, figure, log_slider, optimizer_race

__all__ = [
    "momentum_explorer",
    "phase_map_explorer",
    "EXPLORERS",
]


# --- theory on a quadratic ---------------------------------------------------------------------


# --- controls shared by the explorers ----------------------------------------------------------


def _outcome(history):
    if history.diverged:
        return f"diverged at step {history.diverged_at}"
    return f"final loss {history.loss[-1]:.3g}"


def _log_y(ax):
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())


# --- the momentum explorer ---------------------------------------------------------------------


@plots.styled
def momentum_explorer(
    problem=None, steps=80, *, lr=0.02, momentum=0.0, nesterov=False, lr_range=(1e-4, 1.0)
):
    """Distill-style sliders for lr (log) and momentum: the path over the contours and the loss.

    On a quadratic (the default is a 2-D bowl with condition number 20) the loss panel also
    shows the theory, the line loss_0 * rate^(2k) with the rate of ``momentum_rate``, and the
    button sets Polyak's optimal (lr, momentum). The status line gives the rate and the
    stability limit 2 (1 + beta) / L.

    >>> explorer = momentum_explorer()
    >>> explorer.controls["momentum"].value = 0.9
    >>> explorer.status.value.split("; ")[1]
    'rate 0.949 per step (theory), stable for lr below 0.19'
    """
    problem = quadratic(condition=20.0) if problem is None else problem
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(
            f"momentum_explorer needs a 2-D problem with plotting bounds, got {problem!r}"
        )
    is_quadratic = isinstance(problem, Quadratic)
    min_loss = problem.min_loss
    controls = {
        "lr": log_slider(lr, *lr_range),
        "momentum": _control("momentum", momentum, lr_range),
        "nesterov": widgets.Checkbox(value=nesterov, description="nesterov", indent=False),
    }
    controls["momentum"].max = 0.99  # at 1 nothing ever settles

    fig, (ax_path, ax_loss) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"SGD with momentum on {problem.name}")
    ax_path.legend(loc="upper right", frameon=True)
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    _log_y(ax_loss)
    loss0 = float(problem.loss(problem.start)) - (min_loss or 0.0)
    ax_loss.set(xlim=(0, steps), ylim=(loss0 * 1e-14, loss0 * 1e4))

    buttons = []
    if is_quadratic:
        best_lr, best_beta, _ = optimal_momentum(problem.mu, problem.L)
        button = widgets.Button(description="set optimal (lr, momentum)")

        def set_optimal(_):
            controls["nesterov"].value = False
            controls["momentum"].value = best_beta
            controls["lr"].value = best_lr

        button.on_click(set_optimal)
        buttons = [button]

    def draw(values):
        lr, beta, nag = values["lr"], values["momentum"], values["nesterov"]
        if nag and beta == 0:
            nag = False  # Nesterov needs momentum > 0; with none it is plain SGD anyway
        opt = optimizers.sgd(lr=lr, momentum=beta, nesterov=nag)
        history = run(opt, problem, problem.start, steps)
        label = f"lr = {lr:.3g}, momentum = {beta:.3g}" + (", Nesterov" if nag else "")
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        plots.loss_curve(ax_loss, history, label="run", color=plots.COLORS[0], min_loss=min_loss)
        status = f"{label}: {_outcome(history)}"
        if is_quadratic:
            rate = float(momentum_rate(lr, beta, problem.eigenvalues, nesterov=nag))
            k = np.arange(steps + 1)
            with np.errstate(over="ignore", under="ignore"):
                theory = loss0 * rate ** (2.0 * k)
            ax_loss.plot(k, theory, ":", color="black", label=f"theory: rate {rate:.3f}")
            limit = max_stable_lr(problem.L, beta, nesterov=nag)
            status += f"; rate {rate:.3g} per step (theory), stable for lr below {limit:.3g}"
        ax_loss.legend(loc="upper right")
        return status

    layout = widgets.HBox(
        [*controls.values(), *buttons], layout=widgets.Layout(flex_flow="row wrap")
    )
    return Explorer(controls, draw, fig, title="momentum_explorer", layout=layout)


# --- the optimizer race ------------------------------------------------------------------------


def _rosenbrock_race():
    from lrcourse.problems import rosenbrock

    return optimizer_race(
        rosenbrock(),
        {
            "SGD": (optimizers.sgd, {"lr": 2e-3}),
            "momentum": (optimizers.sgd, {"lr": 2e-3, "momentum": 0.9}),
            "Nesterov": (optimizers.sgd, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
        },
        steps=300,
    )


# --- the phase map -----------------------------------------------------------------------------

_LOG_LRS = np.linspace(-3.0, np.log10(4.0), 200)  # log10(lr * L): far too small to unstable
_BETAS = np.linspace(0.0, 0.99, 100)


@plots.styled
def phase_map_explorer(kappa=30.0):
    """Heavy ball's speed over (lr, momentum) on a quadratic, with a slider for kappa.

    The quadratic has curvatures from mu = 1 / kappa to L = 1, so the x axis is lr * L. The
    colour is the number of steps that shrink the error tenfold, -1 / log10(rate), with the rate
    of ``theory.momentum_rate`` (grey: rate >= 1, the run diverges). The solid line is the
    stability limit lr L = 2 (1 + beta), the dashed lines the band of
    ``theory.critically_damped_lrs`` where every direction shrinks by sqrt(beta), and the star
    Polyak's optimum (``theory.optimal_momentum``), where that band closes. After Goh (2017),
    "Why momentum really works", Distill.

    >>> explorer = phase_map_explorer()
    >>> explorer.controls["kappa"].value = 100.0
    >>> explorer.status.value
    'kappa 100: best lr 3.31/L with momentum 0.669, rate 0.818 (gradient descent at best: 0.980)'
    """
    controls = {"kappa": log_slider(kappa, 1.0, 1e4, description="kappa")}
    fig, (ax,) = figure(1, width=6.0, height=3.8)
    cmap = matplotlib.colormaps["viridis_r"].with_extremes(bad="#bbbbbb", over="#440154")
    norm = matplotlib.colors.LogNorm(1.0, 1e4)
    # The image is drawn in log10(lr) coordinates (imshow is fast; a log axis would need a
    # mesh), so the ticks are placed and labelled by hand.
    ax.set(xlim=(_LOG_LRS[0], _LOG_LRS[-1]), ylim=(0, _BETAS[-1]))
    ax.set_xticks([-3, -2, -1, 0], ["0.001", "0.01", "0.1", "1"])
    ax.set(
        xlabel="lr x L",
        ylabel="momentum (beta)",
        title="steps per tenfold; black: 2(1+beta)/L, dashed: rate sqrt(beta)",
    )
    fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=ax, pad=0.02)
    # The lines are drawn in draw(), on top of the image (static parts are painted below it); a
    # legend there would cost more than the rest, so the lines are named in the title instead.
    stability = {"color": "black", "linewidth": 1.5}
    ax.grid(False)
    extent = (_LOG_LRS[0], _LOG_LRS[-1], _BETAS[0], _BETAS[-1])

    def draw(values):
        k = values["kappa"]
        rate = momentum_rate(10.0 ** _LOG_LRS[None, :], _BETAS[:, None], [1.0 / k, 1.0])
        with np.errstate(divide="ignore"):
            steps = np.where(rate < 1, -1 / np.log10(np.minimum(rate, 1 - 1e-16)), np.nan)
        ax.imshow(steps, extent=extent, origin="lower", aspect="auto", cmap=cmap, norm=norm,
                  interpolation="nearest", zorder=0.5)  # fmt: skip
        ax.plot(np.log10(2 * (1 + _BETAS)), _BETAS, **stability)
        low, high = critically_damped_lrs(_BETAS, 1.0 / k, 1.0)
        inside = low <= high
        for edge in (low, high):
            ax.plot(np.log10(edge[inside]), _BETAS[inside], "--", color="white", linewidth=1)
        best_lr, best_beta, best_rate = optimal_momentum(1.0 / k, 1.0)
        ax.plot([np.log10(best_lr)], [best_beta], "*", color="#D55E00", markersize=14, zorder=3)
        gd = (k - 1) / (k + 1)
        return (
            f"kappa {k:.3g}: best lr {best_lr:.3g}/L with momentum {best_beta:.3f}, "
            f"rate {best_rate:.3f} (gradient descent at best: {gd:.3f})"
        )

    return Explorer(controls, draw, fig, title="phase_map_explorer")


EXPLORERS = {
    "momentum_explorer": momentum_explorer,
    "phase_map_explorer": phase_map_explorer,
    "optimizer_race": optimizer_race,
    "optimizer_race(rosenbrock)": _rosenbrock_race,
}
