"""Lectures 01 and 02: gradient descent, the stability limit, ill-conditioning, the noise floor.

Two explorers:

- ``zigzag_explorer``: a quadratic bowl whose steep direction has curvature L = 1 and whose flat
  direction has mu = 1 / kappa. Sliders for kappa and the learning rate show the zig-zag across
  the steep direction and the crawl along the flat one, and the error along each eigenvector.
- ``noise_floor_explorer``: constant-rate SGD on a noisy quadratic. Sliders for the rate and the
  gradient noise sigma show the loss settling at the predicted floor lr sigma^2 / (2 (2 - lr L))
  per direction, and where that floor lies on the curve of all rates.

Lecture 01's landscape with a trap, ``BowlWithDip``, is in ``lrcourse.problems``. The
learning-rate explorer of lecture 01 is the generic ``lrcourse.widgets.lr_explorer``.
"""

import numpy as np

from lrcourse import plots
from lrcourse.optimizers import sgd
from lrcourse.problems import bowl_with_dip, noisy_quadratic, quadratic
from lrcourse.train import run
from lrcourse.widgets import Explorer, _log_y, figure, log_slider, lr_explorer

__all__ = ["zigzag_explorer", "noise_floor_explorer", "EXPLORERS"]


# --- a landscape with a local minimum ----------------------------------------------------------


# --- explorers ---------------------------------------------------------------------------------


def _ellipses(ax, mu, L, levels, color="#999999"):
    """Contour lines of 1/2 (mu x^2 + L y^2) as ellipses: cheap enough to redraw on every move."""
    t = np.linspace(0, 2 * np.pi, 121)
    for level in levels:
        r = np.sqrt(2 * level)
        ax.plot(r / np.sqrt(mu) * np.cos(t), r / np.sqrt(L) * np.sin(t), color=color, lw=0.6)


def zigzag_explorer(kappa=30.0, lr=1.8, steps=60):
    """Sliders for the condition number and the rate on a bowl with curvatures mu = 1/kappa, L = 1.

    Left, the path over the contours: across the steep direction (x_2, curvature L = 1) a rate
    near 2 / L bounces from wall to wall; along the flat one (x_1, curvature 1 / kappa) it
    crawls. Right, the distance to the minimum along each eigenvector, |x_1| and |x_2|, per
    step: each shrinks by its own factor |1 - lr lambda| per step. The status line gives both
    factors and the best constant rate 2 / (mu + L).

    >>> explorer = zigzag_explorer(kappa=10.0, lr=1.0)
    >>> for part in explorer.status.value.split("; "):
    ...     print(part)
    kappa = 10, lr = 1: factors |1 - lr mu| = 0.9 (flat), |1 - lr L| = 0 (steep)
    best lr 2/(mu + L) = 1.82 gives 0.818 for both
    """
    L = 1.0  # fixed, so that the lr slider means the same for every kappa: stable below 2 / L = 2
    start = np.array([-2.5, 1.5])
    fig, (ax_path, ax_err) = figure(2)
    ax_path.set(xlim=(-3, 3), ylim=(-2, 2), xlabel="$x_1$ (flat direction)", ylabel="$x_2$ (steep)")
    ax_path.set_title("path on $\\frac{1}{2}(\\mu x_1^2 + L x_2^2)$")
    ax_path.grid(False)
    ax_path.plot(*start, "o", color="black", markersize=6, label="start", zorder=3)
    ax_path.plot(0, 0, "*", color="black", markerfacecolor="white", markersize=11, zorder=3)
    ax_err.set(xlim=(0, steps), ylim=(1e-8, 10), xlabel="step", ylabel="distance to the minimum")
    ax_err.set_title("error along each direction")
    _log_y(ax_err)
    controls = {
        "kappa": log_slider(kappa, 1.0, 1000.0, description="kappa = L / mu"),
        "lr": log_slider(lr, 0.01, 3.0),
    }

    def draw(values):
        kappa, lr = values["kappa"], values["lr"]
        mu = L / kappa
        problem = quadratic(curvatures=[mu, L], start=start)
        history = run(sgd(lr=lr), problem, start, steps)
        _ellipses(ax_path, mu, L, levels=L / 2 * np.geomspace(0.01, 4, 7))
        plots.trajectory(ax_path, history, label=f"lr = {lr:.3g}", color=plots.COLORS[0])
        ax_path.legend(loc="upper right", frameon=True)
        error = np.abs(history.params)  # NaN after a divergence: those points are not drawn
        k = np.arange(len(error))
        ax_err.plot(k, error[:, 0], color=plots.COLORS[2], label="$|x_1|$ flat: crawls")
        ax_err.plot(k, error[:, 1], color=plots.COLORS[1], label="$|x_2|$ steep: zig-zags")
        ax_err.legend(loc="lower left")
        flat, steep = abs(1 - lr * mu), abs(1 - lr * L)
        best = 2 / (mu + L)
        text = (
            f"kappa = {kappa:.3g}, lr = {lr:.3g}: factors |1 - lr mu| = {flat:.3g} (flat), "
            f"|1 - lr L| = {steep:.3g} (steep); best lr 2/(mu + L) = {best:.3g} gives "
            f"{(kappa - 1) / (kappa + 1):.3g} for both"
        )
        if history.diverged:
            text += f"; diverged at step {history.diverged_at} (lr > 2/L = 2)"
        return text

    return Explorer(controls, draw, fig, title="zigzag_explorer")


def noise_floor_explorer(lr=0.02, sigma=1.0, steps=300, runs=32, curvatures=(1.0, 10.0)):
    """Sliders for the rate and the gradient noise of constant-rate SGD on a noisy quadratic.

    Left, the loss per step: one run (thin) and the mean over ``runs`` runs (thick), which
    settles at the predicted noise floor (dashed), sum over the curvatures lambda of
    lr sigma^2 / (2 (2 - lr lambda)). Right, that floor for every rate (the line) and the mean
    loss of the last 100 steps at the chosen rate (the dot): the floor grows with the rate,
    and the smallest rates have not reached theirs yet.

    >>> explorer = noise_floor_explorer(lr=0.05, sigma=1.0)
    >>> explorer.status.value.split(";")[0]
    'lr = 0.05, sigma = 1: predicted floor 0.0295'
    """
    curvatures = np.asarray(curvatures, dtype=float)
    lr_range = (1e-3, 0.3)
    fig, (ax_loss, ax_floor) = figure(2)
    ax_loss.set(xlim=(0, steps), ylim=(1e-5, 100), xlabel="step", ylabel="loss")
    ax_loss.set_title(f"SGD, constant lr, {runs} runs")
    _log_y(ax_loss)
    ax_floor.set(xlim=lr_range, ylim=(1e-5, 100), xlabel="learning rate", ylabel="loss")
    ax_floor.set_title("noise floor against lr")
    ax_floor.set_xscale("log")
    _log_y(ax_floor)
    ax_floor.axvline(2 / curvatures.max(), color="grey", linestyle=":", linewidth=1, label="2/L")
    controls = {
        "lr": log_slider(lr, *lr_range),
        "sigma": log_slider(sigma, 0.1, 3.0, description="sigma (noise)"),
    }
    all_lrs = np.geomspace(*lr_range, 200)

    def draw(values):
        lr, sigma = values["lr"], values["sigma"]
        problem = noisy_quadratic(curvatures=curvatures, sigma=sigma)
        starts = np.tile(problem.start, (runs, 1))
        history = run(sgd(lr=lr), problem, starts, steps, record_params=False)
        mean = np.mean(history.loss, axis=1)  # NaN once the runs diverge
        floor = float(problem.noise_floor(lr))
        ax_loss.plot(history.loss[:, 0], color=plots.COLORS[0], lw=0.6, alpha=0.5, label="a run")
        ax_loss.plot(mean, color=plots.COLORS[0], lw=2, label="mean over runs")
        floors = problem.noise_floor(all_lrs)
        ax_floor.plot(all_lrs, floors, color=plots.COLORS[1], label="predicted floor")
        text = f"lr = {lr:.3g}, sigma = {sigma:.3g}: "
        if np.isfinite(floor):
            ax_loss.axhline(floor, color=plots.COLORS[1], ls="--", label="predicted floor")
            measured = float(np.mean(history.loss[-100:]))
            ax_floor.plot([lr], [measured], "o", color=plots.COLORS[0], label="measured")
            text += f"predicted floor {floor:.3g}; measured (last 100 steps) {measured:.3g}"
            if measured > 2 * floor:
                text += f" (not there yet: too slow to arrive in {steps} steps)"
        else:
            text += f"no floor: lr >= 2/L = {2 / curvatures.max():.3g}, SGD diverges"
        ax_loss.legend(loc="upper right")
        ax_floor.legend(loc="upper left")
        return text

    return Explorer(controls, draw, fig, title="noise_floor_explorer")


def _lr_explorer_dip():
    """Lecture 01's second explorer: the generic one on the bowl with a dip. (Its first, on a
    quadratic, is ``lrcourse.widgets``' own ``lr_explorer`` entry.)"""
    return lr_explorer(bowl_with_dip(), steps=150, lr=0.05, lr_range=(1e-3, 3.0))


EXPLORERS = {
    "lr_explorer(bowl_with_dip)": _lr_explorer_dip,
    "zigzag_explorer": zigzag_explorer,
    "noise_floor_explorer": noise_floor_explorer,
}
