"""Lecture 16, learning without a schedule: Schedule-Free SGD under sliders.

    schedule_free_explorer()    lr, momentum and warmup sliders: the paths of z (the SGD steps),
                                y (where the gradient is taken) and x (their average) over the
                                contours of a noisy quadratic, and the loss at x and at y

The run is ``lrcourse.experiments.schedule_free_paths``; the optimizer is
``lrcourse.optimizers.sgd_schedule_free``.
"""

import functools

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import plots
from lrcourse.experiments import SchedulePaths, schedule_free_paths
from lrcourse.problems import noisy_quadratic
from lrcourse.widgets import Explorer, figure, log_slider, log_y

__all__ = ["schedule_free_explorer", "EXPLORERS"]

SEQUENCES = [("z", "z: the SGD steps", 1), ("y", "y: gradients taken here", 2),
             ("x", "x: the average (evaluate here)", 0)]  # fmt: skip


def _problem():
    return noisy_quadratic(curvatures=[0.2, 1.0], sigma=0.5, start=[3.0, -2.0])


@plots.styled
def schedule_free_explorer(steps=200, *, lr=0.5, momentum=0.9, warmup_steps=0):
    """Sliders for Schedule-Free SGD's rate, momentum (the interpolation weight of y) and warmup
    on a 2-D noisy quadratic: the three sequences' paths, and the loss at x and at y per step.

    All 48 rates from 0.01 to 1.9 run in one batched computation whenever momentum or warmup
    change; the rate slider shows the run nearest to its value.

    >>> explorer = schedule_free_explorer(steps=100)
    >>> explorer.status.value.split(";")[0]
    'lr = 0.498 (the nearest run), momentum = 0.9, warmup 0 steps'
    """
    problem = _problem()
    grid = np.geomspace(0.01, 1.9, 48)  # the rates run, log-spaced like the slider
    controls = {
        "lr": log_slider(lr, 0.01, 1.9),
        "momentum": widgets.FloatSlider(
            value=momentum, min=0.05, max=0.99, step=0.01, description="momentum",
            style={"description_width": "initial"},
        ),
        "warmup_steps": widgets.IntSlider(
            value=warmup_steps, min=0, max=200, step=10, description="warmup_steps",
            style={"description_width": "initial"},
        ),
    }  # fmt: skip
    fig, (ax_path, ax_loss) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set(xlabel="x[0]", ylabel="x[1]", title="z, y and x on a noisy quadratic")
    ax_path.set(xlim=ax_path.get_xlim(), ylim=ax_path.get_ylim())  # fixed: a path never rescales
    # The legends are static (drawn once, from stand-in lines), so a move repaints only the data.
    proxies = [Line2D([], [], color=plots.COLORS[c], label=label) for _, label, c in SEQUENCES]
    ax_path.legend(handles=proxies, loc="upper right", fontsize="small")
    ax_loss.set(xlabel="step", ylabel="loss", title="loss at x and at y", xlim=(0, steps))
    log_y(ax_loss)
    ax_loss.set_ylim(1e-4, 10.0)
    ax_loss.legend(handles=proxies[1:], labels=["at y", "at x"], loc="upper right")
    tail = slice(steps // 2, None)

    @functools.lru_cache(maxsize=8)
    def sweep(momentum, warmup_steps):
        """Every rate of the grid in one batched run: a move of the rate slider only redraws."""
        with np.errstate(all="ignore"):  # a diverging run is reported in the status line
            return schedule_free_paths(problem, steps, start=np.tile(problem.start, (len(grid), 1)),
                                       lr=grid[:, None], momentum=momentum,
                                       warmup_steps=warmup_steps)  # fmt: skip

    def draw(values):
        i = int(np.argmin(np.abs(np.log(grid / values["lr"]))))
        runs = sweep(values["momentum"], values["warmup_steps"])
        paths = SchedulePaths(*(a[:, i] for a in runs))
        for name, _, color in SEQUENCES:
            points = getattr(paths, name)
            ax_path.plot(points[:, 0], points[:, 1], color=plots.COLORS[color], lw=1,
                         alpha=0.5 if name == "z" else 1.0)  # fmt: skip
        k = np.arange(steps + 1)
        ax_loss.plot(k, paths.loss_y, color=plots.COLORS[2], lw=1)
        ax_loss.plot(k, paths.loss_x, color=plots.COLORS[0])
        head = (
            f"lr = {grid[i]:.3g} (the nearest run), momentum = {values['momentum']:.2g}, "
            f"warmup {values['warmup_steps']} steps"
        )
        if not np.all(np.isfinite(paths.loss_y)):
            return head + "; diverged"
        return head + (
            f"; mean loss over the second half: at x {paths.loss_x[tail].mean():.3g}, "
            f"at y {paths.loss_y[tail].mean():.3g}, "
            f"at z {problem.loss(paths.z[tail]).mean():.3g}"
        )

    return Explorer(controls, draw, fig, title="schedule_free_explorer")


EXPLORERS = {"schedule_free_explorer": schedule_free_explorer}
