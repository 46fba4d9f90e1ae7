"""Lecture 06: the schedules of Part II compared on a real task, fairly, and an explorer.

A fair comparison gives every contender the same model, data, optimizer, budget and tuning
effort; it chooses on validation data and reports on test data (Choi et al. 2019; Schmidt et al.
2021; the AlgoPerf rules of Dahl et al. 2023). Here:

    contenders(peak, total_steps)   the eight schedules, each reaching the peak rate ``peak``
    sweep(peaks, epochs)            every (schedule, peak) pair, trained in one batched run
    Sweep.best()                    each schedule's peak, chosen on validation loss
    confirm(sweep, seeds)           the chosen settings retrained from fresh random starts
    results_explorer(sweep)         tick schedules, slide their peaks, see rate and losses

The training happens once, in ``sweep``; the explorer only picks curves out of its arrays, so a
slider move costs a redraw and nothing else.
"""

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import plots
from lrcourse.optimizers import sgd
from lrcourse.problems import DigitsMLP
from lrcourse.schedules import (
    constant,
    cosine_decay,
    exponential_decay,
    linear_warmup,
    multistep_decay,
    one_cycle,
    polynomial_decay,
    warmup_stable_decay,
)
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "NAMES",
    "PEAKS",
    "EPOCHS",
    "COLORS",
    "contenders",
    "stack",
    "HeldOut",
    "Sweep",
    "sweep",
    "Confirmation",
    "confirm",
    "results_explorer",
    "EXPLORERS",
]

NAMES = (
    "constant",
    "step",
    "exponential",
    "cosine",
    "warmup+cosine",
    "one-cycle",
    "WSD",
    "linear-to-zero",
)
PEAKS = 0.025 * 2.0 ** np.arange(7)  # 0.025, 0.05, ..., 1.6: a factor 2 apart
EPOCHS = 16

# One colour per schedule in every figure of the lecture; the constant rate, the baseline, black.
COLORS = dict(zip(NAMES, ["#000000", *plots.COLORS[:6], "#999999"]))


def contenders(peak, total_steps):
    """The eight schedules of Part II over a budget of ``total_steps`` updates, peaking at ``peak``.

    ``peak`` may be an array of shape (K, 1): every factory broadcasts, so each schedule then
    returns K rates per step, one for each peak. The settings are the customary ones: step decay
    divides the rate by 10 at 50% and 75% of the budget (the ResNet recipe), exponential decay
    ends at 1% of the peak, warmup takes the first 10% of the steps, WSD cools down over the
    last 20% (Hägele et al. 2024), one-cycle keeps PyTorch's defaults.

    >>> schedules = contenders(0.4, total_steps=100)
    >>> [round(float(s(99)), 4) for s in schedules.values()]
    [0.4, 0.004, 0.0042, 0.0001, 0.0001, 0.0, 0.02, 0.004]
    """
    T = total_steps
    warmup = T // 10
    return {
        "constant": constant(peak),
        "step": multistep_decay(peak, milestones=[T // 2, 3 * T // 4], gamma=0.1),
        "exponential": exponential_decay(peak, gamma=0.01 ** (1 / T)),
        "cosine": cosine_decay(peak, T),
        "warmup+cosine": linear_warmup(cosine_decay(peak, T - warmup), warmup),
        "one-cycle": one_cycle(peak, T),
        "WSD": warmup_stable_decay(peak, T, warmup, decay_steps=T // 5),
        "linear-to-zero": polynomial_decay(peak, T),
    }


def stack(schedules):
    """One learning rate for a sweep over schedules: their rates, one column, one under the other.

    At an (int) step, S schedules of K rows each give an array of shape (S * K, 1), which
    broadcasts against params of shape (S * K, dim): row s * K + k follows schedule s at peak k.
    It is meant for an optimizer's ``lr``, which is evaluated one step at a time.

    >>> lr = stack(contenders(np.array([[0.1], [0.2]]), total_steps=10).values())
    >>> lr(0).shape
    (16, 1)
    """
    schedules = list(schedules)

    def lr(step):
        return np.concatenate([np.reshape(schedule(step), (-1, 1)) for schedule in schedules])

    return lr


class HeldOut(DigitsMLP):
    """The digits MLP, whose evaluation after each epoch measures the held-out loss only.

    ``run(..., eval_every="epoch")`` evaluates every network of a sweep once per epoch. The full
    ``DigitsMLP.evaluate`` also passes over the 1,197 training images; here the training curve
    comes free from the mini-batch losses that ``run`` records anyway, so this evaluation looks
    at the 300 validation and 300 test images only: a third of the work.
    """

    def evaluate(self, params):
        return {f"{split}_loss": self.loss(params, split=split) for split in ("val", "test")}


@dataclass(frozen=True, eq=False)
class Sweep:
    """What a sweep measured, for S schedules, K peak rates and E epochs.

    names           the S schedule names
    peaks           (K,) the peak rates tried
    lr              (S, K, steps) the rate every update used (recorded by ``run``)
    train_loss      (S, K, E) each epoch's mean mini-batch loss, as a training loop logs it
    val_loss        (S, K, E + 1) validation loss before training and after every epoch
    test_loss       (S, K, E + 1) test loss, likewise
    final_train_loss, val_accuracy, test_accuracy   (S, K) at the end, on the whole split
    diverged        (S, K) True where ``run`` stopped the network (its values are then NaN)
    """

    names: tuple
    peaks: np.ndarray
    epochs: int
    steps_per_epoch: int
    seed: int
    lr: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    test_loss: np.ndarray
    final_train_loss: np.ndarray
    val_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: np.ndarray

    @property
    def final_val_loss(self):
        """(S, K) validation loss at the end of the budget; inf for a diverged network."""
        return np.where(self.diverged, np.inf, self.val_loss[..., -1])

    def best(self):
        """For each schedule, the index of the peak with the lowest final validation loss.

        The test set takes no part: it is kept to report the choice, once.
        """
        return np.argmin(self.final_val_loss, axis=1)

    def row(self, name):
        """The index of schedule ``name`` along the first axis of every array."""
        return self.names.index(name)


def sweep(
    peaks=PEAKS,
    epochs=EPOCHS,
    *,
    names=NAMES,
    momentum=0.9,
    weight_decay=3e-3,
    seed=0,
    hidden=32,
    batch_size=32,
):
    """Train the digits MLP with every schedule at every peak rate, all in one batched run.

    Every network starts from the same initialisation and sees the same mini-batches, so the
    schedule and its peak are the only differences between them. The optimizer is SGD with
    momentum and weight decay (L2), as in most SGD recipes; the budget, ``epochs`` passes over the
    training set, is the same for all.
    """
    problem = HeldOut(hidden=hidden, batch_size=batch_size, seed=seed)
    steps = epochs * problem.steps_per_epoch
    peaks = np.asarray(peaks, dtype=float)
    every = contenders(peaks[:, None], steps)
    schedules = [every[name] for name in names]
    S, K = len(names), len(peaks)
    params = np.tile(problem.start, (S * K, 1))  # network s * K + k: schedule s, peak k
    opt = sgd(lr=stack(schedules), momentum=momentum, weight_decay=weight_decay)
    history = run(opt, problem, params, steps, seed=seed, eval_every="epoch", record_params=False)

    def grid(values):  # runs along the first axis -> (S, K, ...)
        return np.reshape(values, (S, K, *np.shape(values)[1:]))

    batches = history.loss[:-1].reshape(epochs, problem.steps_per_epoch, S * K)
    final = history.final_params  # NaN for diverged networks
    diverged = grid(history.diverged)
    with np.errstate(invalid="ignore"):
        accuracy = {split: problem.accuracy(final, split) for split in ("val", "test")}
        final_train_loss = problem.loss(final, split="train")
    return Sweep(
        names=tuple(names),
        peaks=peaks,
        epochs=epochs,
        steps_per_epoch=problem.steps_per_epoch,
        seed=seed,
        lr=grid(history.lr.T),
        train_loss=grid(batches.mean(axis=1).T),
        val_loss=grid(history.metrics["val_loss"].T),
        test_loss=grid(history.metrics["test_loss"].T),
        final_train_loss=grid(final_train_loss),
        val_accuracy=np.where(diverged, np.nan, grid(accuracy["val"])),
        test_accuracy=np.where(diverged, np.nan, grid(accuracy["test"])),
        diverged=diverged,
    )


@dataclass(frozen=True, eq=False)
class Confirmation:
    """The chosen settings retrained from fresh starts: arrays of shape (len(seeds), S)."""

    names: tuple
    peaks: np.ndarray  # (S,) the peak chosen for each schedule
    seeds: tuple
    val_loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray


def confirm(result, seeds=(1, 2, 3), *, momentum=0.9, weight_decay=3e-3, hidden=32, batch_size=32):
    """Retrain every schedule at its chosen peak from fresh random starts, in one batched run.

    Network i * S + s starts from an initialisation drawn from ``seeds[i]`` and follows
    schedule s; all of them see the data in a new order (shuffled with ``seeds[0]``). The sweep
    chose each peak because it came out best on one run, which flatters it; these runs played no
    part in any choice, so their validation and test losses are honest estimates of what the
    choice is worth.
    """
    problem = HeldOut(hidden=hidden, batch_size=batch_size, seed=result.seed)
    steps = result.epochs * problem.steps_per_epoch
    peaks = result.peaks[result.best()]
    chosen = [contenders(peak, steps)[name] for name, peak in zip(result.names, peaks)]
    n, S = len(seeds), len(result.names)
    params = np.concatenate(
        [problem.init_params(np.random.default_rng(seed), (S,)) for seed in seeds]
    )
    lr = stack(chosen)
    opt = sgd(
        lr=lambda step: np.tile(lr(step), (n, 1)), momentum=momentum, weight_decay=weight_decay
    )
    history = run(opt, problem, params, steps, seed=seeds[0], eval_every=steps, record_params=False)
    with np.errstate(invalid="ignore"):
        accuracy = problem.accuracy(history.final_params, "test")
    return Confirmation(
        names=result.names,
        peaks=peaks,
        seeds=tuple(seeds),
        val_loss=history.metrics["val_loss"][-1].reshape(n, S),
        test_loss=history.metrics["test_loss"][-1].reshape(n, S),
        test_accuracy=accuracy.reshape(n, S),
    )


@functools.cache
def lecture_sweep():
    """The lecture's sweep with its default settings, computed once per session."""
    return sweep()


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
