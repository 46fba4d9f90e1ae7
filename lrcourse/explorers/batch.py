"""Lecture 15, batch size and the learning rate: batch-size and rate sliders on a noisy quadratic.

    batch_explorer()    the loss curve of SGD at the chosen batch size and rate, and the steps to
                        a target against the batch size, each at its best rate: perfect scaling,
                        the critical batch, diminishing returns

The runs are ``lrcourse.experiments.quadratic_batch_sweep``, trained once when the explorer is
built (every rate with every batch size); the sliders show the nearest pair.
"""

import numpy as np

from lrcourse import plots
from lrcourse.experiments import quadratic_batch_sweep
from lrcourse.widgets import Explorer, figure, log_slider, log_y

__all__ = ["batch_explorer", "EXPLORERS"]


@plots.styled
def batch_explorer(*, batch_size=16, lr=0.3):
    """Log sliders for the batch size (1 to 1024) and the rate (0.01 to 1.9): SGD on the noisy
    quadratic of ``quadratic_batch_sweep``, its loss, and the steps to the target.

    >>> explorer = batch_explorer()
    >>> explorer.status.value.split(":")[0]
    'B = 16, lr = 0.282'
    """
    lrs = tuple(np.geomspace(0.01, 1.9, 12).round(4))
    sizes = tuple(float(2**k) for k in range(11))
    sweep = quadratic_batch_sweep(lrs, sizes)
    best = np.min(sweep.steps, axis=0)
    controls = {
        "batch_size": log_slider(batch_size, 1, 1024, description="batch_size"),
        "lr": log_slider(lr, lrs[0], lrs[-1]),
    }
    fig, (ax_loss, ax_steps) = figure(2)
    steps = sweep.loss.shape[-1] - 1
    ax_loss.set(xlabel="step", ylabel="loss", title="SGD on a noisy quadratic", xlim=(0, steps))
    log_y(ax_loss)
    ax_loss.set_ylim(1e-3, 10.0)
    ax_loss.axhline(sweep.target, color="black", ls="--", lw=1)
    ax_steps.set(xlabel="batch size", ylabel="steps to the target", xscale="log",
                 title="Steps to the target, best rate per batch")  # fmt: skip
    log_y(ax_steps)
    ax_steps.set(xlim=(0.7, 1500), ylim=(3, 3000))
    ax_steps.plot(sweep.batch_sizes, best, "o-", color="grey", markersize=3)
    b = np.array(sweep.batch_sizes)
    ax_steps.plot(b, best[0] / b, ":", color="grey", lw=1)  # perfect scaling: steps x B fixed

    def draw(values):
        i = int(np.argmin(np.abs(np.log(np.array(lrs) / values["lr"]))))
        j = int(np.argmin(np.abs(np.log(b / values["batch_size"]))))
        ax_loss.plot(sweep.loss[i, j], color=plots.COLORS[0])
        k = sweep.steps[i, j]
        if np.isfinite(k):
            ax_steps.plot([b[j]], [k], "o", color=plots.COLORS[1], markersize=7)
        head = f"B = {b[j]:.0f}, lr = {lrs[i]:.3g}: "
        reached = f"target in {k:.0f} steps" if np.isfinite(k) else "target not reached"
        tuned = np.argmin(sweep.steps[:, j])
        return head + (
            f"{reached}; the best rate for this batch, {lrs[tuned]:.3g}, takes {best[j]:.0f}"
        )

    return Explorer(controls, draw, fig, title="batch_explorer")


EXPLORERS = {"batch_explorer": batch_explorer}
