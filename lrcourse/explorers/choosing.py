"""Lecture 12, choosing a schedule: sensitivity sweeps, a landscape with a trap, and explorers.

    OPTIMIZERS, DEFAULT_LR          the five optimizers compared, and PyTorch's default rates
    SCHEDULES, schedules(peak, T)   constant, cosine, warmup+cosine and one-cycle (as lecture 06)
    sensitivity(lrs, epochs)        every (optimizer, schedule, lr) on the digits MLP, batched
    good_width(lrs, losses)         how many decades of lr come within a factor of the best
    good_band(lrs, losses)          the stretch of rates around the best that does
    TiltedDoubleWell                a 1-D loss with a shallow and a deep minimum
    range_test_explorer()           sliders for the range test: the curve and its suggestions

The training happens in ``sensitivity``, once: one batched run per optimizer trains every
schedule at every rate (S * K networks side by side), so that a whole figure of sensitivity
curves costs five calls of ``lrcourse.train.run``.
"""

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.explorers.compare import HeldOut, contenders, stack
from lrcourse.problems import Problem, digits_mlp
from lrcourse.range_test import RULES, range_test
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "OPTIMIZERS",
    "DEFAULT_LR",
    "SCHEDULES",
    "LRS",
    "schedules",
    "Sensitivity",
    "sensitivity",
    "good_width",
    "good_band",
    "TiltedDoubleWell",
    "range_test_explorer",
    "EXPLORERS",
]

# Each optimizer as a function of its learning rate (a number, an array or a schedule), with
# PyTorch's defaults for everything else; "momentum" is SGD with momentum 0.9.
OPTIMIZERS = {
    "SGD": lambda lr: optimizers.sgd(lr=lr),
    "momentum": lambda lr: optimizers.sgd(lr=lr, momentum=0.9),
    "RMSProp": lambda lr: optimizers.rmsprop(lr=lr),
    "Adam": lambda lr: optimizers.adam(lr=lr),
    "AdamW": lambda lr: optimizers.adamw(lr=lr),
}

# The rate each optimizer gets in PyTorch when none is given (torch.optim's defaults).
DEFAULT_LR = {"SGD": 1e-3, "momentum": 1e-3, "RMSProp": 1e-2, "Adam": 1e-3, "AdamW": 1e-3}

SCHEDULES = ("constant", "cosine", "warmup+cosine", "one-cycle")

# Half a decade apart, from 1e-4 to 10: the coarse log grid of a first sweep.
LRS = 10.0 ** np.arange(-4.0, 1.01, 0.5)


def schedules(peak, total_steps, names=SCHEDULES):
    """The schedules of the sweep, each peaking at ``peak`` (which may be a (K, 1) array).

    The same settings as lecture 06 (``lrcourse.explorers.compare.contenders``): cosine decays
    to 0 at the end of the budget, warmup takes the first 10% of it, one-cycle keeps PyTorch's
    defaults.

    >>> [round(float(s(0)), 4) for s in schedules(0.5, 100).values()]
    [0.5, 0.5, 0.0, 0.02]
    """
    every = contenders(peak, total_steps)
    return {name: every[name] for name in names}


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Final validation loss (and more) for O optimizers x S schedules x K learning rates.

    val_loss, val_accuracy, test_loss   (O, S, K) after the budget; NaN for diverged networks
    train_loss                          (O, S, K, steps + 1) the mini-batch loss at every step
    start_val_loss                      the validation loss before training (chance level)
    """

    optimizers: tuple
    schedules: tuple
    lrs: np.ndarray
    epochs: int
    steps_per_epoch: int
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    start_val_loss: float

    @property
    def failed(self):
        """(O, S, K) True where training made things worse: a validation loss above the start
        (or not finite). These rates are "too large", whether or not the loss overflowed."""
        return ~(self.val_loss < self.start_val_loss)

    def index(self, optimizer, schedule):
        return self.optimizers.index(optimizer), self.schedules.index(schedule)

    def curve(self, optimizer, schedule):
        """The sensitivity curve: validation loss at each rate of ``lrs`` (inf where failed)."""
        o, s = self.index(optimizer, schedule)
        return np.where(self.failed[o, s], np.inf, self.val_loss[o, s])

    def best(self, optimizer, schedule=None):
        """(lr, validation loss) at the best rate; with no schedule, the best over schedules.

        With no schedule the result is (schedule, lr, validation loss).
        """
        if schedule is not None:
            curve = self.curve(optimizer, schedule)
            k = int(np.argmin(curve))
            return float(self.lrs[k]), float(curve[k])
        found = [(self.best(optimizer, s), s) for s in self.schedules]
        (lr, loss), name = min(found, key=lambda item: item[0][1])
        return name, lr, loss

    def at(self, optimizer, schedule, lr):
        """The validation loss of one setting; ``lr`` must be one of ``lrs``."""
        o, s = self.index(optimizer, schedule)
        k = int(np.argmin(np.abs(np.log(self.lrs) - np.log(lr))))
        if not np.isclose(self.lrs[k], lr, rtol=1e-9):
            raise ValueError(f"lr must be one of the swept rates {self.lrs.tolist()}, got {lr}")
        return float(self.val_loss[o, s, k])


def sensitivity(lrs=LRS, epochs=3, *, optimizer_names=tuple(OPTIMIZERS), names=SCHEDULES, seed=0):
    """Train the digits MLP with every optimizer, schedule and rate: one batched run per optimizer.

    Every network starts from the same initialisation (drawn from ``seed``) and sees the same
    mini-batches of 32; the budget is ``epochs`` passes over the 1,197 training images. Within
    an optimizer's run, network s * K + k follows schedule s at peak rate lrs[k].
    """
    lrs = np.asarray(v.positive("lrs", lrs), dtype=float).reshape(-1)
    epochs = v.positive_int("epochs", epochs)
    problem = HeldOut(seed=v.positive_int("seed", seed, minimum=0))
    steps = epochs * problem.steps_per_epoch
    S, K = len(names), len(lrs)
    lr = stack(schedules(lrs[:, None], steps, names).values())
    start = np.tile(problem.start, (S * K, 1))
    val, accuracy, test, train = [], [], [], []
    for name in optimizer_names:
        history = run(
            OPTIMIZERS[name](lr), problem, start, steps, seed=seed, eval_every=steps,
            record_params=False,
        )  # fmt: skip
        final = history.final_params  # NaN rows for networks run() stopped
        with np.errstate(invalid="ignore", over="ignore"):
            accuracy.append(problem.accuracy(final, "val").reshape(S, K))
        val.append(history.metrics["val_loss"][-1].reshape(S, K))
        test.append(history.metrics["test_loss"][-1].reshape(S, K))
        train.append(history.loss.T.reshape(S, K, steps + 1))
    return Sensitivity(
        optimizers=tuple(optimizer_names),
        schedules=tuple(names),
        lrs=lrs,
        epochs=epochs,
        steps_per_epoch=problem.steps_per_epoch,
        val_loss=np.array(val),
        val_accuracy=np.where(np.isnan(val), np.nan, np.array(accuracy)),
        test_loss=np.array(test),
        train_loss=np.array(train),
        start_val_loss=float(problem.loss(problem.start, split="val")),
    )


def _good(lrs, losses, tolerance):
    """(fine log10-lr grid, mask of its good points), the curve interpolated in log-log."""
    lrs = np.log10(v.positive("lrs", lrs)).reshape(-1)
    losses = np.asarray(losses, dtype=float).reshape(-1)
    if lrs.shape != losses.shape or len(lrs) < 2 or np.any(np.diff(lrs) <= 0):
        raise ValueError(
            f"lrs must be increasing and as long as losses (at least 2), got {len(lrs)} rates "
            f"and {len(losses)} losses"
        )
    tolerance = float(v.positive("tolerance", tolerance))
    if tolerance < 1:
        raise ValueError(f"tolerance must be >= 1, got {tolerance:g}")
    fine = np.linspace(lrs[0], lrs[-1], 100 * (len(lrs) - 1) + 1)
    finite = np.isfinite(losses) & (losses > 0)
    if not finite.any():
        return fine, np.zeros(len(fine), dtype=bool)
    log_loss = np.where(finite, np.log10(np.where(finite, losses, 1.0)), 1e6)
    limit = np.log10(losses[finite].min() * tolerance)
    return fine, np.interp(fine, lrs, log_loss) <= limit + 1e-12


def good_width(lrs, losses, tolerance=1.5):
    """How many decades of learning rate give a loss within ``tolerance`` times the best.

    Between the swept rates the curve is interpolated linearly in (log lr, log loss); a rate
    whose run failed (inf or NaN) counts as infinitely bad. The answer is the total length, in
    decades of lr, of the stretches where loss <= tolerance * min(losses): a flat, forgiving
    curve has a wide good region, a sharp one a narrow one (a single good point has width 0).

    >>> good_width([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.0, 1.2, np.inf])  # 1e-2 .. 1e-1 and 0.59 more
    1.59
    """
    fine, good = _good(lrs, losses, tolerance)
    return round(float((good[1:].sum() + good[:-1].sum()) / 2 * (fine[1] - fine[0])), 2)


def good_band(lrs, losses, tolerance=1.5):
    """(low, high): the stretch of rates around the best where loss <= tolerance * best.

    The same interpolation as ``good_width``; the band is the connected stretch that holds the
    best rate.

    >>> [round(x, 4) for x in good_band([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.0, 1.2, np.inf])]
    [0.0026, 0.1]
    """
    fine, good = _good(lrs, losses, tolerance)
    losses = np.asarray(losses, dtype=float).reshape(-1)
    best = np.argmin(np.where(np.isfinite(losses), losses, np.inf))
    i = int(np.argmin(np.abs(fine - np.log10(np.asarray(lrs, dtype=float).reshape(-1)[best]))))
    low, high = i, i
    while low > 0 and good[low - 1]:
        low -= 1
    while high < len(fine) - 1 and good[high + 1]:
        high += 1
    return float(10 ** fine[low]), float(10 ** fine[high])


class TiltedDoubleWell(Problem):
    """A 1-D loss with two minima: f(x) = x^4 / 4 - x^2 / 2 + tilt * x.

    f'(x) = x^3 - x + tilt. With a small positive tilt there is a shallow minimum near x = +1 and
    a deeper one near x = -1, separated by a bump near x = 0. The start, x = 2, lies in the
    basin of the shallow one: small steps roll into it and stay there; a step large enough to
    clear the bump can land in the deep one (or, at larger rates still, anywhere).

    >>> well = TiltedDoubleWell()
    >>> [round(float(x), 4) for x in well.minima], [round(float(f), 4) for f in well.minima_loss]
    ([-1.0679, 0.9143], [-0.4053, -0.1061])
    """

    name = "tilted double well"
    dim = 1

    def __init__(self, tilt=0.15):
        self.tilt = float(v.positive("tilt", tilt))
        roots = np.roots([1.0, 0.0, -1.0, self.tilt])  # f'(x) = 0
        real = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
        if len(real) != 3:
            raise ValueError(f"tilt must be small enough for two minima (< 0.38), got {tilt}")
        self.minima = real[[0, 2]]  # the outer two; the middle one is the bump
        self.bump = real[1]
        self.minima_loss = self.loss(self.minima[:, None])
        self.minimum = self.minima[:1]
        self.min_loss = float(self.minima_loss[0])
        self.start = np.array([2.0])

    def loss(self, params):
        x = self._params(params)[..., 0]
        return x**4 / 4 - x**2 / 2 + self.tilt * x

    def grad(self, params):
        x = self._params(params)
        return x**3 - x + self.tilt


# --- the range-test explorer -------------------------------------------------------------------

_RANGE_OPTIMIZERS = {
    "SGD": (optimizers.sgd, {}),
    "momentum 0.9": (optimizers.sgd, {"momentum": 0.9}),
    "Adam": (optimizers.adam, {}),
}


@plots.styled
def range_test_explorer(
    problem=None,
    *,
    optimizer="momentum 0.9",
    start_lr=1e-5,
    end_lr=10.0,
    num_steps=100,
    beta=0.98,
    diverge_factor=4.0,
    seed=0,
    bands=None,
):
    """Sliders for the range test on the digits MLP: the loss against the rate, and the rules.

    Controls: the optimizer, the ramp (start_lr, end_lr, num_steps), the smoothing beta, the
    blow-up factor and the seed of the mini-batch order. A run is made (and kept) once per
    (optimizer, ramp, seed) over the whole ramp; smoothing and cut-off are applied afterwards
    (``RangeTest.resmooth``), so those two sliders answer without training. ``bands`` maps an
    optimizer's name to the (low, high) rates that a real sweep found good: drawn as a grey
    band, so each suggestion can be checked against the truth.
    """
    problem = digits_mlp() if problem is None else problem
    bands = dict(bands or {})
    controls = {
        "optimizer": widgets.Dropdown(
            options=list(_RANGE_OPTIMIZERS), value=optimizer, description="optimizer"
        ),
        "start_lr": log_slider(start_lr, 1e-7, 1e-2, description="start_lr"),
        "end_lr": log_slider(end_lr, 1e-2, 100.0, description="end_lr"),
        "num_steps": widgets.IntSlider(
            value=num_steps, min=20, max=300, step=10, description="num_steps",
            style={"description_width": "initial"},
        ),
        "beta": widgets.FloatSlider(
            value=beta, min=0.0, max=0.995, step=0.005, readout_format=".3f",
            description="beta (smoothing)", style={"description_width": "initial"},
        ),
        "diverge_factor": widgets.FloatSlider(
            value=diverge_factor, min=1.5, max=10.0, step=0.5, description="diverge_factor",
            style={"description_width": "initial"},
        ),
        "seed": widgets.IntSlider(
            value=seed, min=0, max=9, description="seed (batch order)",
            style={"description_width": "initial"},
        ),
    }  # fmt: skip

    @functools.lru_cache(maxsize=64)
    def full_run(name, start, end, steps, seed):
        factory, hyperparameters = _RANGE_OPTIMIZERS[name]
        return range_test(
            problem, factory, start_lr=start, end_lr=end, num_steps=steps, seed=seed,
            diverge_factor=np.inf, **hyperparameters,
        )  # fmt: skip

    fig, (ax,) = figure(width=7.0, height=3.6)
    loss0 = float(np.mean(problem.loss(problem.start)))
    ax.set(xscale="log", xlim=(1e-7, 100.0), ylim=(0.0, 1.6 * loss0))
    ax.set(xlabel="learning rate", ylabel="loss", title=f"Range test on {problem.name}")
    rule_colors = dict(zip(RULES, plots.COLORS))
    # A legend drawn once, with stand-in lines: the numbers go to the status line. (A legend
    # rebuilt on every move would cost more than everything else in the picture.)
    handles = [
        Line2D([], [], color="grey", linewidth=0.7, label="loss"),
        Line2D([], [], color="black", label="smoothed loss"),
        Line2D([], [], color="black", marker="x", linestyle="none", label="blow-up"),
        *(Line2D([], [], color=c, linestyle=":", label=rule) for rule, c in rule_colors.items()),
    ]
    if bands:
        handles.append(Patch(color="grey", alpha=0.15, label="good in a real sweep"))
    ax.legend(handles=handles, loc="upper left", fontsize=7)

    def draw(values):
        if values["end_lr"] <= values["start_lr"]:
            raise ValueError(
                f"end_lr must be > start_lr ({values['start_lr']:.3g}), got {values['end_lr']:.3g}"
            )
        full = full_run(
            values["optimizer"], values["start_lr"], values["end_lr"], values["num_steps"],
            values["seed"],
        )  # fmt: skip
        result = full.resmooth(beta=values["beta"], diverge_factor=values["diverge_factor"])
        if values["optimizer"] in bands:
            ax.axvspan(*bands[values["optimizer"]], color="grey", alpha=0.15)
        end = result.kept + 1 if result.stopped else len(result.lrs)
        lrs = result.lrs[:end]
        ax.plot(lrs, np.minimum(result.loss[:end], 2 * loss0), color="grey", linewidth=0.7)
        ax.plot(lrs, result.smoothed[:end], color="black")
        if result.stopped:
            k = result.stopped_at
            ax.plot(
                [result.lrs[k]], [min(result.smoothed[k], 1.55 * loss0)], "x", color="black",
                markersize=9, markeredgewidth=2,
            )  # fmt: skip
        found = result.suggestions()
        for rule, lr in found.items():
            if np.isfinite(lr):
                ax.axvline(lr, color=rule_colors[rule], linestyle=":", linewidth=1.8)
        if result.stopped:
            where = f"blew up at step {result.stopped_at} (lr {result.lrs[result.stopped_at]:.3g})"
        else:
            where = "never blew up (raise end_lr)"
        shown = ", ".join(
            f"{rule} {lr:.3g}" if np.isfinite(lr) else f"{rule}: too few points"
            for rule, lr in found.items()
        )
        return f"{values['optimizer']}, seed {values['seed']}: {where}; suggestions: {shown}"

    return Explorer(controls, draw, fig, title="range_test_explorer")


EXPLORERS = {"range_test_explorer": range_test_explorer}
