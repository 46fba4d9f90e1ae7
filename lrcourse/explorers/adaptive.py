"""Lecture 11, adaptive methods together with schedules: the theory it measures, and its explorers.

Theory and helpers:

    untuned_warmup(beta2)            Ma and Yarats' rule: warm Adam up linearly over 2 / (1 - beta2)
                                     steps
    effective_samples(t, beta2)      how many squared gradients Adam's bias-corrected v_hat
                                     averages at step t
    radam_rectifier(t, beta2)        RAdam's factor r_t on the adaptive step (0 where RAdam takes
                                     an un-adapted step instead)
    warmup_decay(peak, warmup_steps, total_steps, decay)
                                     linear warmup, then a decay that ends with the budget
    Scaled(problem, scale)           the same landscape with its loss multiplied by ``scale``
    plateau_trace(metrics, lr, ...)  replay ``ReduceOnPlateau`` over recorded metrics: the rate,
                                     the level to beat, the bad-epoch count, the reductions
    log_axis(ax, which)              a log axis labelled in plain numbers, quick to draw

Explorers (each returns a ``lrcourse.widgets.Explorer``; ``EXPLORERS`` lists them):

    adam_schedule_explorer(problem)  Adam under a schedule: peak rate, warmup length and decay;
                                     the path, the schedule and the loss
    plateau_explorer(metrics)        reduce-on-plateau replayed over a recorded validation curve:
                                     patience, factor, threshold, cooldown
"""

from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.problems import Problem, rosenbrock
from lrcourse.schedules import (
    ReduceOnPlateau,
    constant,
    cosine_decay,
    linear_warmup,
    polynomial_decay,
)
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider, log_y

__all__ = [
    "untuned_warmup",
    "effective_samples",
    "radam_rectifier",
    "DECAYS",
    "warmup_decay",
    "Scaled",
    "PlateauTrace",
    "plateau_trace",
    "example_curve",
    "log_axis",
    "adam_schedule_explorer",
    "plateau_explorer",
    "EXPLORERS",
]


# --- warmup for Adam: the theory ---------------------------------------------------------------


def untuned_warmup(beta2):
    """Ma and Yarats' untuned linear warmup for Adam: the number of warmup steps, 2 / (1 - beta2).

    W = round(2 / (1 - beta2))          (2000 for PyTorch's default beta2 = 0.999)

    Rounded to the nearest step: in floating point 2 / (1 - 0.999) is 1999.9999999999982, so
    ``int()`` would give 1999. Ma and Yarats (2021) find a linear warmup of this length works
    about as well as RAdam, with no warmup length to tune.

    >>> untuned_warmup(0.999), untuned_warmup(0.99), untuned_warmup(0.98)
    (2000, 200, 100)
    """
    beta2 = v.in_range("beta2", beta2, 0, 1)
    return int(np.round(2 / (1 - beta2)))


def effective_samples(t, beta2):
    """How many squared gradients Adam's bias-corrected second moment v_hat averages at step t.

    v_hat_t = sum_i w_i g_i**2 with w_i = (1 - beta2) beta2**(t - i) / (1 - beta2**t), i = 1..t:
    an average of the t squared gradients seen so far, the recent ones weighted most. Its
    effective number of samples, (sum w)**2 / sum w**2 (t for equal weights), is

        n_eff(t) = (1 + beta2) (1 - beta2**t) / ((1 - beta2) (1 + beta2**t))

    about t while t << 1 / (1 - beta2), and (1 + beta2) / (1 - beta2), nearly 2 / (1 - beta2),
    for t >> 1 / (1 - beta2). For noise of variance s**2 (g**2 has variance 2 s**4), the relative
    spread of v_hat is sqrt(2 / n_eff): 141% at step 1.

    >>> effective_samples(np.array([1, 10, 100]), 0.999).round(2)
    array([ 1.  , 10.  , 99.92])
    >>> round(float(effective_samples(10**6, 0.999)), 1)      # (1 + beta2) / (1 - beta2)
    1999.0
    """
    t = v.steps(t).astype(float)
    beta2 = v.in_range("beta2", beta2, 0, 1)
    decayed = beta2**t
    return ((1 + beta2) * (1 - decayed) / ((1 - beta2) * (1 + decayed)))[()]


def radam_rectifier(t, beta2):
    """RAdam's rectification factor r_t, which multiplies Adam's adaptive step at step t = 1, 2, ...

    rho_inf = 2 / (1 - beta2) - 1
    rho_t   = rho_inf - 2 t beta2**t / (1 - beta2**t)          (the length of the "SMA")
    r_t     = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))

    applied where rho_t > 5, as PyTorch's ``RAdam`` does; before that (the first 5 steps with
    beta2 = 0.999) RAdam takes plain momentum steps, lr * m_hat, and this function returns 0: no
    adaptive step at all. r_t rises towards 1 over a few times 1 / (1 - beta2) steps, a built-in
    warmup (Liu et al. 2020).

    >>> radam_rectifier(np.array([5, 6, 1000]), 0.999).round(4)
    array([0.    , 0.0258, 0.6453])
    """
    t = v.steps(t).astype(float)
    beta2 = v.in_range("beta2", beta2, 0, 1)
    rho_inf = 2 / (1 - beta2) - 1
    with np.errstate(divide="ignore", invalid="ignore"):  # t = 0 has no rho_t
        rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        ratio = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
        return np.where(rho > 5, np.sqrt(np.where(rho > 5, ratio, 0.0)), 0.0)[()]


# --- schedules for a fixed budget --------------------------------------------------------------

DECAYS = ("constant", "cosine", "linear")


def warmup_decay(peak, warmup_steps, total_steps, decay="cosine"):
    """A linear warmup from 0 to ``peak`` over ``warmup_steps``, then a decay that ends with the
    budget: the rate reaches 0 at step ``total_steps`` ("constant": it stays at the peak).

    lr_t = peak * t / W                                   for t < W
    lr_t = decay(peak, over T - W steps)(t - W)           for W <= t   (cosine, linear or none)

    The decay is as long as the budget left after the warmup, T - W, so the whole schedule fits
    in T steps, like Optax's ``warmup_cosine_decay_schedule(0, peak, W, decay_steps=T)``, whose
    decay_steps include the warmup (Keras's ``CosineDecay(warmup_steps=W, decay_steps=D)`` counts
    D after it). ``peak`` may be an array of shape (K, 1): K schedules at once.

    >>> warmup_decay(1.0, warmup_steps=2, total_steps=6)(np.arange(7)).round(3)
    array([0.   , 0.5  , 1.   , 0.854, 0.5  , 0.146, 0.   ])
    """
    warmup_steps = v.positive_int("warmup_steps", warmup_steps, minimum=0)
    total_steps = v.positive_int("total_steps", total_steps)
    decay = v.one_of("decay", decay, DECAYS)
    if warmup_steps >= total_steps:
        raise ValueError(
            f"warmup_steps must be < total_steps ({total_steps}), got {warmup_steps}: "
            "the budget needs room to decay"
        )
    left = total_steps - warmup_steps
    if decay == "constant":
        after = constant(peak)
    elif decay == "cosine":
        after = cosine_decay(peak, left)
    else:
        after = polynomial_decay(peak, left)
    return after if warmup_steps == 0 else linear_warmup(after, warmup_steps)


# --- adaptive methods as starting points -------------------------------------------------------


class Scaled(Problem):
    """The landscape of ``problem``, its loss multiplied by ``scale``: c f(x), gradient c grad f.

    The minimum stays where it is, and gradient descent's path stays the same at the rate lr / c;
    at a fixed rate its behaviour changes completely. Adam divides the gradient by a running
    estimate of its own size, so c cancels (up to eps): its path does not change at all.
    ``scale`` may be an array with one entry per run of a sweep.

    >>> from lrcourse.problems import quadratic
    >>> bowl = Scaled(quadratic(curvatures=[1.0, 10.0]), np.array([0.01, 100.0]))
    >>> bowl.loss(np.ones((2, 2))), bowl.grad(np.ones((2, 2)))
    (array([5.5e-02, 5.5e+02]), array([[1.e-02, 1.e-01],
           [1.e+02, 1.e+03]]))
    """

    def __init__(self, problem, scale):
        self.problem = problem
        self.scale = v.positive("scale", scale)
        self.name = f"scaled {problem.name}"
        self.dim, self.start, self.minimum = problem.dim, problem.start, problem.minimum
        self.bounds = problem.bounds
        self.min_loss = None if problem.min_loss is None else problem.min_loss * self.scale

    def loss(self, params):
        return self.scale * self.problem.loss(params)

    def grad(self, params):
        return np.asarray(self.scale)[..., None] * self.problem.grad(params)


# --- reduce on plateau, replayed ---------------------------------------------------------------


class PlateauTrace(NamedTuple):
    """What ``ReduceOnPlateau`` did with each metric (arrays, one entry per call of ``step``).

    lr          the rate after the call: what the next epoch uses
    to_beat     the level the metric had to get below to count as an improvement
    improved    True where it did
    bad_epochs  the count of bad epochs after the call (reset by a reduction and by cooldown)
    reductions  the indices of the calls that cut the rate
    """

    lr: np.ndarray
    to_beat: np.ndarray
    improved: np.ndarray
    bad_epochs: np.ndarray
    reductions: np.ndarray


def plateau_trace(metrics, lr, **settings):
    """Feed ``metrics`` one by one to a fresh ``ReduceOnPlateau(lr, **settings)`` and record it.

    The rate a real run would use depends on the metrics, which depend on the rates used before:
    this replays recorded metrics, which shows *when* the rule fires, not what the run would
    have done after a cut.

    >>> trace = plateau_trace([5, 4, 4, 4, 4, 4], lr=1.0, patience=1)
    >>> trace.lr.round(6).tolist(), trace.reductions.tolist()
    ([1.0, 1.0, 1.0, 0.1, 0.1, 0.01], [3, 5])
    """
    metrics = v.as_float_array("metrics", metrics)
    if metrics.ndim != 1:
        raise ValueError(f"metrics must be a 1-D sequence, one per epoch, got {metrics.shape}")
    plateau = ReduceOnPlateau(lr, **settings)
    sign = 1.0 if plateau.mode == "min" else -1.0
    rows = []
    for metric in metrics:
        if plateau.threshold_mode == "rel":
            to_beat = plateau.best * (1 - sign * plateau.threshold)
        else:
            to_beat = plateau.best - sign * plateau.threshold
        improved = plateau.is_better(metric)
        before = float(plateau.lr)
        after = float(plateau.step(metric))
        rows.append((after, to_beat, improved, plateau.bad_epochs, after != before))
    lrs, to_beat, improved, bad, cut = (np.array(column) for column in zip(*rows))
    return PlateauTrace(lrs, to_beat, improved, bad, np.flatnonzero(cut))


def example_curve(epochs=40, seed=0):
    """A made-up validation loss per epoch, shaped like the digits MLP's: a fast fall, a noisy
    floor, then a slow rise as the network starts to overfit. For trying ``plateau_explorer``
    without training anything.

    >>> curve = example_curve()
    >>> curve.shape, bool(curve[0] > 1 > 0.2 > curve.min())
    ((40,), True)
    """
    epochs = v.positive_int("epochs", epochs)
    rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
    e = np.arange(1, epochs + 1)
    return 0.15 + 2.2 * np.exp(-e / 1.5) + 0.0015 * e + 0.008 * rng.standard_normal(epochs)


# --- figures ----------------------------------------------------------------------------------


def log_axis(ax, which="y"):
    """Put ``which`` axis ("x", "y" or "both") of ``ax`` on a log scale labelled in plain numbers.

    Ticks at 1, 2, 5 times the powers of ten when the data span two decades or less (a loss
    between 0.15 and 0.7 gets the labels 0.2 and 0.5), at the powers of ten otherwise; no minor
    ticks. Matplotlib's default labels every tick as typeset math, which costs more time to draw
    than the rest of the figure. Call it after the data are drawn: it reads the axis limits.

    >>> from lrcourse import plots
    >>> fig, ax = plots.subplots()
    >>> _ = ax.plot([1, 10], [0.15, 0.7])
    >>> log_axis(ax)
    >>> [label.get_text() for label in ax.get_yticklabels()][1:3]
    ['0.2', '0.5']
    """
    names = {"x": ("x",), "y": ("y",), "both": ("x", "y")}[
        v.one_of("which", which, ("x", "y", "both"))
    ]
    for name in names:
        getattr(ax, f"set_{name}scale")("log")
        low, high = getattr(ax, f"get_{name}lim")()
        subs = (1.0, 2.0, 5.0) if np.log10(high / low) <= 2 else (1.0,)
        axis = getattr(ax, f"{name}axis")
        axis.set_major_locator(matplotlib.ticker.LogLocator(10, subs=subs, numticks=12))
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        axis.set_minor_locator(matplotlib.ticker.NullLocator())


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
