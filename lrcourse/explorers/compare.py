"""Lecture 06: the explorer of the schedules compared on a real task.

    results_explorer(sweep)         tick schedules, slide their peaks, see rate and losses

The fair comparison itself (``contenders``, ``sweep``, ``Sweep.best``, ``confirm``) is in
``lrcourse.experiments``; the training happens once, there, and the explorer only picks curves
out of its arrays, so a slider move costs a redraw and nothing else.
"""

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import plots
from lrcourse.experiments import NAMES, lecture_sweep
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "COLORS",
    "results_explorer",
    "EXPLORERS",
]


# One colour per schedule in every figure of the lecture; the constant rate, the baseline, black.
COLORS = dict(zip(NAMES, ["#000000", *plots.COLORS[:6], "#999999"]))


# --- the explorer ------------------------------------------------------------------------------


def _color(i, name):
    """The lecture's colour for schedule ``name`` (number ``i``), or one from the course palette."""
    return COLORS.get(name, plots.COLORS[i % len(plots.COLORS)])


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
        Line2D([], [], color=_color(i, name), label=name) for i, name in enumerate(result.names)
    ]
    ax_train.legend(handles=handles, loc="upper right", ncol=2, fontsize=7)

    def draw(values):
        parts = []
        for i, name in enumerate(result.names):
            if not values[name]:
                continue
            k = _nearest(result.peaks, values[f"{name}.peak"])
            color = _color(i, name)
            ax_lr.plot(steps, result.lr[i, k], color=color, linewidth=1.2, label=name)
            ax_train.plot(epochs[1:], result.train_loss[i, k], color=color)
            ax_test.plot(epochs, result.test_loss[i, k], color=color, label=name)
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


EXPLORERS = {"results_explorer": lambda: results_explorer(lecture_sweep())}
