"""Lecture 14, the edge of stability: a rate slider over full-batch gradient descent.

    edge_explorer()     the loss and the sharpness of the digits MLP trained at the chosen rate,
                        against the line 2 / lr

The runs are ``lrcourse.experiments.edge_sweep`` (trained once, when the explorer is built); the
curvature is ``lrcourse.problems.sharpness``; 2 / lr is ``lrcourse.theory.gd_edge``.
"""

import numpy as np

from lrcourse import _validate as v
from lrcourse import plots
from lrcourse.experiments import edge_sweep
from lrcourse.theory import gd_edge
from lrcourse.widgets import Explorer, figure, log_slider, log_y

__all__ = ["edge_explorer", "EXPLORERS"]


@plots.styled
def edge_explorer(steps=300, *, lr=0.2, hidden=16, examples=200, rates=16):
    """A log slider for the rate of full-batch gradient descent on the digits MLP (squared
    error): the loss, and the sharpness against the line 2 / lr.

    All ``rates`` runs (0.03 to 0.6, log-spaced) are trained in one batched computation when the
    explorer is built, on the first ``examples`` training images; the slider shows the run
    nearest to its value.

    >>> explorer = edge_explorer(steps=100, rates=5)      # rates 0.03, 0.0634, 0.134, 0.284, 0.6
    >>> explorer.status.value.split(":")[0]
    'lr = 0.284 (the nearest run)'
    """
    grid = np.geomspace(0.03, 0.6, v.positive_int("rates", rates))
    history = edge_sweep(tuple(grid), steps, hidden, examples)
    controls = {"lr": log_slider(lr, grid[0], grid[-1])}
    fig, (ax_loss, ax_sharp) = figure(2)
    ax_loss.set(xlabel="step", ylabel="loss", title="full-batch loss", xlim=(0, steps))
    log_y(ax_loss)
    ax_loss.set_ylim(0.05, 3.0)
    ax_sharp.set(xlabel="step", ylabel="sharpness", title="sharpness and 2 / lr", xlim=(0, steps))
    log_y(ax_sharp)
    ax_sharp.set_ylim(1.0, 100.0)
    tail = history.sharpness_steps >= 0.75 * steps

    def draw(values):
        i = int(np.argmin(np.abs(np.log(grid / values["lr"]))))
        rate, edge = grid[i], gd_edge(grid[i])
        loss, sharp = history.loss[:, i], history.sharpness[:, i]
        ax_loss.plot(np.arange(steps + 1), loss, color=plots.COLORS[0])
        ax_sharp.plot(history.sharpness_steps, sharp, color=plots.COLORS[0], label="sharpness")
        ax_sharp.axhline(edge, color="black", ls="--", lw=1, label="2 / lr")
        ax_sharp.legend(loc="upper right")
        head = f"lr = {rate:.3g} (the nearest run): "
        if not np.all(np.isfinite(loss)):
            return head + f"diverged (2 / lr = {edge:.3g})"
        last = sharp[tail]
        return head + (
            f"loss from {loss[0]:.3g} to {loss[-1]:.3g}; sharpness over the last quarter "
            f"{last.min():.3g} to {last.max():.3g}, 2 / lr = {edge:.3g}"
        )

    return Explorer(controls, draw, fig, title="edge_explorer")


EXPLORERS = {"edge_explorer": edge_explorer}
