"""Lecture 11, adaptive methods together with schedules: its explorers.

    adam_schedule_explorer(problem)  Adam under a schedule: peak rate, warmup length and decay;
                                     the path, the schedule and the loss
    plateau_explorer(metrics)        reduce-on-plateau replayed over a recorded validation curve:
                                     patience, factor, threshold, cooldown

``EXPLORERS`` lists them. The theory they draw is in ``lrcourse.theory`` (``untuned_warmup``,
``effective_samples``, ``radam_rectifier``), the schedule in ``schedules.warmup_decay``, the
replay in ``experiments.plateau_trace``.
"""

import ipywidgets as widgets
import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.experiments import example_curve, plateau_trace
from lrcourse.plots import log_axis
from lrcourse.problems import rosenbrock
from lrcourse.schedules import DECAYS, warmup_decay
from lrcourse.theory import untuned_warmup
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider, log_y

__all__ = [
    "adam_schedule_explorer",
    "plateau_explorer",
    "EXPLORERS",
]


# --- warmup for Adam: the theory ---------------------------------------------------------------


# --- schedules for a fixed budget --------------------------------------------------------------


# --- adaptive methods as starting points -------------------------------------------------------


# --- reduce on plateau, replayed ---------------------------------------------------------------


# --- figures ----------------------------------------------------------------------------------


# --- the Adam + schedule explorer --------------------------------------------------------------


def _loss_limits(loss, min_loss):
    """Fixed y-limits for a loss panel that fit every run of a precomputed grid."""
    excess = loss - (min_loss or 0.0)
    finite = excess[np.isfinite(excess) & (excess > 0)]
    start = float(np.max(excess[0]))
    low = max(float(finite.min()), start * 1e-14) if finite.size else start * 1e-6
    high = float(finite.max()) if finite.size else start
    return low / 3, high * 3


@plots.styled
def adam_schedule_explorer(
    problem=None,
    steps=500,
    *,
    beta2=0.99,
    peaks=None,
    warmups=None,
    peak=1.0,
    warmup=0,
    decay="cosine",
):
    """Adam under a schedule: sliders for the peak rate (log), the warmup length and the decay.

    Three panels: the path over the contours of a 2-D ``problem`` (default Rosenbrock), the
    schedule as a fraction of its peak (the dotted line marks the rule of thumb 2 / (1 - beta2)),
    and the loss, with the same schedule without warmup in grey for comparison.

    Every combination of the grids ``peaks`` (default 18 rates from 1e-3 to 2.5, a factor 10**0.2
    apart), ``warmups`` (default 0 to 400 steps by 50) and the three decays of ``DECAYS`` is
    trained once, in one batched run, when the explorer is built: a slider move only looks the
    run up and redraws. The peak slider snaps to the grid.

    >>> explorer = adam_schedule_explorer(steps=100, warmups=[0, 20, 40])
    >>> explorer.controls["warmup"].value = 20
    >>> explorer.status.value.split(":")[0]
    'peak lr 1, warmup 20 steps (2/(1 - beta2) = 200), cosine decay'
    """
    problem = rosenbrock() if problem is None else problem
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(
            f"adam_schedule_explorer needs a 2-D problem with plotting bounds, got {problem!r}"
        )
    steps = v.positive_int("steps", steps, minimum=2)
    peaks = 10.0 ** np.linspace(-3, 0.4, 18) if peaks is None else np.asarray(peaks, dtype=float)
    warmups = np.arange(0, 401, 50) if warmups is None else np.asarray(warmups, dtype=int)
    if np.any(warmups >= steps) or np.any(warmups < 0):
        raise ValueError(f"warmups must lie in [0, steps = {steps}), got {warmups.tolist()}")
    v.positive("peaks", peaks)
    rule = untuned_warmup(beta2)

    # One row of rates per (decay, warmup, peak), looked up at each step of one batched run.
    t = np.arange(steps)
    table = np.concatenate(
        [warmup_decay(peaks[:, None], int(w), steps, kind)(t) for kind in DECAYS for w in warmups]
    )
    shape = (len(DECAYS), len(warmups), len(peaks))

    def lr(step):
        return table[:, min(int(step), steps - 1), None]

    starts = np.tile(problem.start, (len(table), 1))
    grid = run(optimizers.adam(lr=lr, betas=(0.9, beta2)), problem, starts, steps)
    min_loss = problem.min_loss

    controls = {
        "peak": log_slider(peak, peaks.min(), peaks.max(), description="peak lr"),
        "warmup": widgets.IntSlider(
            value=int(warmup),
            min=int(warmups.min()),
            max=int(warmups.max()),
            step=int(np.diff(warmups).min()) if len(warmups) > 1 else 1,
            description="warmup steps",
            style={"description_width": "initial"},
        ),
        "decay": widgets.Dropdown(options=DECAYS, value=decay, description="decay"),
    }
    if len(peaks) > 1:
        controls["peak"].step = float(np.round(np.diff(np.log10(peaks)).min(), 6))

    fig, (ax_path, ax_lr, ax_loss) = figure(3, width=3.8)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"Adam on {problem.name}")
    ax_path.legend(loc="upper right", frameon=True)
    ax_lr.set(xlabel="step", ylabel="lr / peak", xlim=(0, steps), ylim=(0, 1.08))
    ax_lr.set_title("the schedule")
    ax_lr.axvline(rule, color="grey", linestyle=":", linewidth=1)
    ax_lr.text(rule, 0.04, " 2/(1-β2)", color="grey", fontsize=8)
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    log_y(ax_loss)
    ax_loss.set(xlim=(0, steps), ylim=_loss_limits(grid.loss, min_loss))
    start_loss = float(problem.loss(problem.start)) - (min_loss or 0.0)

    def index(values):
        k = int(np.argmin(np.abs(np.log10(peaks) - np.log10(values["peak"]))))
        j = int(np.argmin(np.abs(warmups - values["warmup"])))
        return DECAYS.index(values["decay"]), j, k

    def draw(values):
        i, j, k = index(values)
        row = int(np.ravel_multi_index((i, j, k), shape))
        plain = int(np.ravel_multi_index((i, 0, k), shape)) if warmups[0] == 0 else None
        history = grid[row]
        w, p = int(warmups[j]), float(peaks[k])
        label = f"warmup {w}"
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        ax_lr.plot(t, table[row] / p, color=plots.COLORS[0], label=label)
        if plain is not None and plain != row:
            ax_lr.plot(t, table[plain] / p, ":", color="grey", label="no warmup")
            plots.loss_curve(
                ax_loss, grid[plain], label="no warmup", color="grey", min_loss=min_loss
            )
        plots.loss_curve(ax_loss, history, label=label, color=plots.COLORS[0], min_loss=min_loss)
        ax_lr.legend(loc="upper right")
        ax_loss.legend(loc="upper right")
        excess = history.loss - (min_loss or 0.0)
        outcome = (
            f"diverged at step {history.diverged_at}"
            if history.diverged
            else f"final loss {excess[-1]:.3g}, highest {np.nanmax(excess):.3g} "
            f"(start {start_loss:.3g})"
        )
        return (
            f"peak lr {p:.3g}, warmup {w} steps (2/(1 - beta2) = {rule}), "
            f"{values['decay']} decay: {outcome}"
        )

    return Explorer(controls, draw, fig, title=f"adam_schedule_explorer({problem.name})")


# --- the reduce-on-plateau explorer ------------------------------------------------------------


@plots.styled
def plateau_explorer(
    metrics=None, lr=0.02, *, patience=1, factor=0.3, threshold=1e-4, cooldown=0, name="val loss"
):
    """Reduce-on-plateau replayed over a recorded curve (``metrics``, one value per epoch).

    Sliders for ``patience``, ``factor``, ``threshold`` (relative, log slider) and ``cooldown``.
    Left: the curve, each epoch marked as an improvement (filled) or a bad epoch (open), the level
    the next epoch must get below (the best so far times 1 - threshold), and a dashed line at
    every cut. Right: the rate the rule chose for each epoch. The curve is replayed as recorded:
    the explorer shows when the rule fires, not how the run would have gone after a cut. Without
    ``metrics`` it replays ``example_curve()``.

    >>> explorer = plateau_explorer(example_curve(20), patience=2, factor=0.1)
    >>> explorer.status.value
    '2 reductions, after epochs 16, 19; final rate 0.0002'
    """
    metrics = example_curve() if metrics is None else v.as_float_array("metrics", metrics)
    if metrics.ndim != 1 or len(metrics) < 2:
        raise ValueError(f"metrics must be a 1-D curve of at least 2 epochs, got {metrics.shape}")
    lr = float(v.positive("lr", lr))
    epochs = np.arange(1, len(metrics) + 1)
    style = {"description_width": "initial"}
    controls = {
        "patience": widgets.IntSlider(
            value=patience, min=0, max=8, description="patience", style=style
        ),
        "factor": widgets.FloatSlider(
            value=factor, min=0.05, max=0.9, step=0.05, description="factor", style=style
        ),
        "threshold": log_slider(threshold, 1e-5, 0.3, description="threshold"),
        "cooldown": widgets.IntSlider(
            value=cooldown, min=0, max=5, description="cooldown", style=style
        ),
    }

    fig, (ax_metric, ax_lr) = figure(2)
    ax_metric.plot(epochs, metrics, color="black", linewidth=1, zorder=1)
    ax_metric.set(xlabel="epoch", ylabel=name, title=f"{name}, replayed")
    low, high = float(np.min(metrics)), float(np.max(metrics))
    if low > 0 and high / low > 5:
        log_axis(ax_metric)
    ax_metric.set(xlim=(0.5, len(metrics) + 0.8))  # room for a cut after the last epoch
    ax_lr.set(xlabel="epoch", ylabel="learning rate", title="the rate it chose")
    log_y(ax_lr)
    ax_lr.set(xlim=(0.5, len(metrics) + 0.8), ylim=(lr * 1e-4, lr * 2))

    def draw(values):
        trace = plateau_trace(
            metrics,
            lr,
            patience=values["patience"],
            factor=values["factor"],
            threshold=values["threshold"],
            cooldown=values["cooldown"],
        )
        good, bad = trace.improved, ~trace.improved
        ax_metric.plot(
            epochs[good], metrics[good], "o", color=plots.COLORS[2], markersize=5,
            label="improvement", zorder=3,
        )  # fmt: skip
        ax_metric.plot(
            epochs[bad], metrics[bad], "o", color=plots.COLORS[1], markerfacecolor="white",
            markersize=5, label="bad epoch", zorder=3,
        )  # fmt: skip
        finite = np.isfinite(trace.to_beat)
        ax_metric.step(
            epochs[finite], trace.to_beat[finite], where="mid", color=plots.COLORS[0],
            linewidth=1, label="to beat", zorder=2,
        )  # fmt: skip
        for r in trace.reductions:  # the cut comes after epoch r + 1, before the next one
            for ax in (ax_metric, ax_lr):
                ax.axvline(epochs[r] + 0.5, color=plots.COLORS[3], linestyle="--", linewidth=1)
        ax_metric.legend(loc="upper right")
        # The rate epoch e trains with was chosen after epoch e - 1 (the first uses lr itself).
        used = np.concatenate([[lr], trace.lr[:-1]])
        ax_lr.step(epochs, np.maximum(used, lr * 1e-4), where="mid", color=plots.COLORS[0])
        n = len(trace.reductions)
        at = ", ".join(str(epochs[r]) for r in trace.reductions)
        cuts = f"{n} reduction{'s' if n != 1 else ''}" + (f", after epochs {at}" if n else "")
        return f"{cuts}; final rate {trace.lr[-1]:.3g}"

    return Explorer(controls, draw, fig, title="plateau_explorer")


EXPLORERS = {
    "adam_schedule_explorer": adam_schedule_explorer,
    "plateau_explorer": plateau_explorer,
}
