"""The experiments the lectures run: their problems, sweeps and the results they compare.

An experiment here is what a lecture measures and asserts on, written once so that the lecture,
its explorer and the tests share it; the explorers in ``lrcourse.explorers`` only draw it.

    lecture_problem(), mean_histories(...)    lectures 03-04: the noisy quadratic, run averages
    race_problem()                            lecture 05: the noisy quadratic of the races
    contenders, sweep, confirm, Sweep         lecture 06: every schedule on the digits network
    sensitivity, good_width, good_band        lecture 12: how wide the good range of rates is
    online_counterexample, decay_example      lecture 10: Reddi et al.'s problem, weight decay
    sweep_from_starts                         lecture 10: a sweep of rates from several starts
    plateau_trace, example_curve              lecture 11: reduce-on-plateau, replayed
    track_sharpness, adam_preconditioner      lecture 14: training while measuring the sharpness
    edge_sweep                                lecture 14: the runs of the edge explorer
    steps_to_loss                             lecture 15: steps to a target loss, tuned rate
    quadratic_batch_sweep                     lecture 15: McCandlish et al.'s noisy quadratic
    losses_at, budget_race, eval_point        lecture 16: schedule-free against tuned schedules
    prodigy_trace, steps_to_reach             lecture 16: Prodigy's estimate of the rate
    schedule_free_paths                       lecture 16: the sequences z, y and x, for a picture
"""

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers
from lrcourse.optimizers import sgd
from lrcourse.problems import (
    HeldOut,
    common_noise_quadratic,
    counterexample_gradients,
    digits_mlp,
    noisy_quadratic,
    sharpness,
)
from lrcourse.schedules import (
    ReduceOnPlateau,
    constant,
    cosine_decay,
    exponential_decay,
    inverse_sqrt,
    linear_warmup,
    multistep_decay,
    one_cycle,
    polynomial_decay,
    stack,
    warmup_stable_decay,
)
from lrcourse.train import History, minibatches, run


def interior_best(losses, axis=-1):
    """The index of the lowest loss along a grid of settings, checked to lie inside the grid.

    best = argmin_k losses[k], a diverged run (NaN or inf) counting as worse than any number.

    A best at the first or last grid point says only that the optimum is somewhere beyond it: the
    grid is too narrow, and "the best rate" would be an artefact of where the grid was cut. So that
    is a ``ValueError`` that names the end, never a silent answer. Every best rate a lecture
    reads off a grid goes through this check. ``axis`` is the grid's axis; the other axes are
    separate grids, each of which must have its best inside.

    >>> int(interior_best([0.5, 0.1, np.nan, 0.3]))
    1
    >>> interior_best([[0.5, 0.1, 0.3], [0.2, 0.1, 0.05]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the lowest loss lies at the last point of the grid (index 2 of 3) for grid 1: ...
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim == 0 or losses.shape[axis] < 3:
        raise ValueError(f"losses must have a grid of at least 3 settings on axis {axis}")
    finite = np.where(np.isfinite(losses), losses, np.inf)
    if np.any(np.all(np.isinf(finite), axis=axis)):
        raise ValueError("every run on a grid diverged: there is no best setting")
    best = np.argmin(finite, axis=axis)
    size = losses.shape[axis]
    for where, index in np.ndenumerate(best):
        if index in (0, size - 1):
            end = "first" if index == 0 else "last"
            which = f" for grid {where[0] if len(where) == 1 else where}" if where else ""
            raise ValueError(
                f"the lowest loss lies at the {end} point of the grid (index {index} of {size})"
                f"{which}: widen the grid"
            )
    return best[()]


def lecture_problem():
    """The noisy quadratic of lectures 03 and 04: curvatures 1 and 4, noise sigma = 1, and a start
    far from the minimum, so that a small constant rate takes thousands of steps to get there."""
    return noisy_quadratic(condition=4.0, sigma=1.0, start=[-10.0, 7.5])


def mean_histories(history, labels):
    """Each row of a sweep of noisy runs, averaged over its runs: ``{label: History}``.

    ``history`` comes from ``run`` with params of shape (rows, runs, dim): every row a setting
    (a schedule), every run of it an independent draw of the gradient noise. The average over the
    runs estimates the expected loss; the plots draw it like any single run.
    """
    labels = list(labels)
    if history.loss.ndim != 3 or history.loss.shape[1] != len(labels):
        raise ValueError(
            f"labels must name each row of a sweep whose loss has shape (steps + 1, rows, runs), "
            f"got {len(labels)} labels for loss of shape {history.loss.shape}"
        )
    if np.any(history.diverged):
        raise ValueError("some runs diverged: their average is meaningless; plot them one by one")
    return {
        label: History(
            loss=history.loss[:, i].mean(axis=-1),
            lr=history.lr[:, i, 0],
            diverged_at=None,
            final_params=history.final_params[i].mean(axis=0),
            problem_name=history.problem_name,
        )
        for i, label in enumerate(labels)
    }


def race_problem():
    """The noisy quadratic of lecture 05: curvatures 0.02 and 1, noise sigma = 1, start (3, 3).

    The flat direction (curvature 0.02) needs a high rate for a long time to get anywhere; the
    noise needs a low rate at the end to settle. A schedule has to do both, within its budget.
    """
    return common_noise_quadratic(curvatures=[0.02, 1.0], sigma=1.0, start=[3.0, 3.0])


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


def confirm(
    result,
    seeds=(1, 2, 3),
    *,
    momentum=0.9,
    weight_decay=3e-3,
    hidden=32,
    batch_size=32,
    inside=True,
):
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

    The same settings as lecture 06 (``contenders``): cosine decays
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
            k = int(interior_best(curve))
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


def online_counterexample(
    amsgrad=False, C=3.0, steps=1500, alpha=0.5, beta2=None, starts=(-1.0, 0.0, 1.0)
):
    """Reddi, Kale and Kumar's (2018) online problem, run with ``optimizers.adam``.

    At step t = 1, 2, ... the loss is f_t(x) = C x if t mod 3 == 1, else -x, on x in [-1, 1].
    Over each cycle of three steps the losses add up to (C - 2) x, so for C > 2 the best point
    is x = -1. The optimizer sees the gradient C or -1, takes one step with the step size
    alpha / sqrt(t), and x is projected back onto [-1, 1] (clipped). beta1 = 0, and beta2
    defaults to 1 / (1 + C**2), the paper's choice: then v forgets the rare large gradient so
    quickly that the two small ones, each normalised to a full step, win, and Adam drifts to
    the worst point, +1. AMSGrad divides by the largest v seen so far and goes to -1.

    Returns the positions, shape (steps + 1, len(starts)): one column per starting point, all
    run at once.

    >>> x = online_counterexample(steps=300)
    >>> x[-3:].mean(axis=0).round(2), online_counterexample(True, steps=300)[-3:].mean(0).round(2)
    (array([0.99, 0.99, 0.99]), array([-0.99, -0.99, -0.99]))
    """
    C = float(v.positive("C", C))
    steps = v.positive_int("steps", steps)
    beta2 = 1 / (1 + C**2) if beta2 is None else beta2
    opt = optimizers.adam(lr=inverse_sqrt(alpha), betas=(0.0, beta2), amsgrad=v.flag("a", amsgrad))
    x = v.as_float_array("starts", starts).reshape(-1)
    if np.any(np.abs(x) > 1):
        raise ValueError(f"starts must lie in [-1, 1], got {starts!r}")
    state, path = opt.init(x), [x]
    for g in counterexample_gradients(steps, C):
        x, state = opt.step(x, np.full_like(x, g), state)
        x = np.clip(x, -1.0, 1.0)  # the projection onto the feasible set
        path.append(x)
    return np.array(path)


def decay_example(opt, scales=(10.0, 1.0, 0.1, 0.0), steps=1000, w0=1.0):
    """Weights that only weight decay should shrink, under ``opt``: returns (steps + 1, ..., n).

    Weight i gets the data gradient scales[i] * (-1)**k at step k: a gradient of a fixed size
    that points back and forth, as a mini-batch gradient does around a minimum, with no pull
    in either direction on average. Whatever shrinks the weights is the optimizer's weight
    decay. With L2 inside Adam the decay term wd * w is divided by about sqrt(v) ~ scales[i], so
    a weight with large gradients is barely decayed and one with none is pulled to 0 at a full
    step per update; AdamW multiplies every weight by (1 - lr * wd) per step.

    >>> w = decay_example(optimizers.adamw(lr=0.01, weight_decay=0.1), steps=100)
    >>> float(w[-1, -1].round(6)) == round(0.999**100, 6)       # no gradient: pure decay
    True
    """
    scales = v.as_float_array("scales", scales)
    steps = v.positive_int("steps", steps)
    w = np.full(np.shape(scales), float(w0))
    state, path = opt.init(w), [w]
    for k in range(steps):
        w, state = opt.step(w, scales * (-1.0) ** k, state)
        path.append(w)
    return np.array(path)


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


# --- lecture 14: the edge of stability ---------------------------------------------------------


def adam_preconditioner(state, betas=(0.9, 0.999), eps=1e-8):
    """Adam's step as x -= lr P^-1 m: returns p = P^-1/2, with P = (1 - beta1^t)(sqrt(v_hat) + eps).

    Adam moves by lr m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - beta1^t): that is
    lr P^-1 m for the diagonal P above (Cohen et al. 2022). The eigenvalues of P^-1 H are those
    of P^-1/2 H P^-1/2 = diag(p) H diag(p), a symmetric matrix, so ``sharpness`` with
    ``preconditioner=p`` measures Adam's preconditioned sharpness.

    >>> state = optimizers.AdamState(1, np.zeros(2), np.array([4.0, 0.25]), np.zeros(2))
    >>> adam_preconditioner(state, eps=0.0).round(4)    # P = 0.1 * sqrt(v / 0.001): 6.32, 1.58
    array([0.3976, 0.7953])
    """
    beta1, beta2 = betas
    t = v.positive_int("state.step", state.step)  # after at least one update
    v_hat = state.exp_avg_sq / (1 - beta2**t)
    return 1 / np.sqrt((1 - beta1**t) * (np.sqrt(v_hat) + eps))


class SharpnessHistory(NamedTuple):
    """What ``track_sharpness`` saw (``...``: the leading axes of params, one per run).

    loss             (steps + 1, ...)    the full-batch loss before each update (and at the end)
    sharpness_steps  (n,)                the steps at which the sharpness was measured
    sharpness        (n, ...)            the (preconditioned) sharpness there
    lr               (steps, ...)        the rate of each update
    final_params     (..., dim)
    """

    loss: np.ndarray
    sharpness_steps: np.ndarray
    sharpness: np.ndarray
    lr: np.ndarray
    final_params: np.ndarray


def track_sharpness(
    opt, problem, params=None, steps=1000, *, every=10, iters=10, preconditioner=None, batch=None
):
    """Full-batch training of ``params`` by ``opt``, measuring the sharpness every ``every`` steps.

    Each measurement is ``sharpness(problem, params, iters, vectors)`` started from the vectors
    of the last one (the top eigenvector turns slowly, so a few iterations keep up; the first
    measurement takes ``5 * iters``). ``preconditioner(state)`` (e.g. ``adam_preconditioner``
    with the optimizer's betas) makes it the preconditioned sharpness from the first update on
    (at step 0 there is no preconditioner yet: the plain sharpness). ``batch``: a fixed set
    of training examples to use instead of all of them. A run diverges once its loss passes
    10^6 times its start (the overflow that follows is silenced): its loss and sharpness are
    NaN from that step on.

    >>> mlp = digits_mlp(hidden=8, criterion="squared_error", batch_size=None)
    >>> h = track_sharpness(optimizers.sgd(lr=0.1), mlp, steps=20, every=10)
    >>> h.loss.shape, h.sharpness_steps.tolist(), h.sharpness.round(2).tolist()
    ((21,), [0, 10, 20], [10.91, 9.86, 9.95])
    """
    steps = v.positive_int("steps", steps, minimum=0)
    every = v.positive_int("every", every)
    params = np.array(problem.start if params is None else params, dtype=float)
    state = opt.init(params)
    vectors = np.random.default_rng(0).standard_normal(params.shape)
    losses, lrs, measured, at = [], [], [], []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(steps + 1):
            loss, grads = problem.loss_and_grad(params, batch=batch)
            losses.append(loss)
            if k % every == 0 or k == steps:
                scale = None if preconditioner is None or k == 0 else preconditioner(state)
                value, vectors = sharpness(
                    problem, params, iters * (5 if k == 0 else 1), vectors, scale, batch
                )
                measured.append(value)
                at.append(k)
            if k < steps:
                lrs.append(np.broadcast_to(opt.lr(state.step), params.shape)[..., 0])  # one per run
                params, state = opt.step(params, grads, state)
    losses, at, measured = np.array(losses), np.array(at), np.array(measured)
    # A run whose loss passes 1e6 times its start has diverged: NaN from then on, not garbage.
    lost = np.logical_or.accumulate(~(np.abs(losses) <= 1e6 * np.maximum(losses[0], 1)), axis=0)
    losses[lost] = np.nan
    measured[lost[at]] = np.nan
    return SharpnessHistory(losses, at, measured, np.array(lrs), params)


@functools.lru_cache(maxsize=4)
def edge_sweep(lrs, steps=300, hidden=16, examples=200):
    """Full-batch gradient descent at every rate of the tuple ``lrs``, one batched run, cached.

    The digits MLP with squared error, on its first ``examples`` training images, sharpness every
    10 steps (3 warm-started iterations): what ``edge_explorer`` shows. Cached, so an explorer
    built twice trains once.

    >>> h = edge_sweep((0.1, 0.4), steps=20)
    >>> h.sharpness.shape, bool(np.all(h.loss[-1] < h.loss[0]))
    ((3, 2), True)
    """
    mlp = digits_mlp(hidden=hidden, criterion="squared_error", batch_size=None)
    lrs = np.array(lrs)
    starts = np.tile(mlp.start, (len(lrs), 1))
    batch = np.arange(examples)
    return track_sharpness(
        optimizers.sgd(lr=lrs[:, None]), mlp, starts, steps, every=10, iters=3, batch=batch
    )


# --- lecture 16: learning without a schedule -----------------------------------------------------


def eval_point(params, state):
    """Where to evaluate a model: schedule-free's average ``state.x``, else ``params`` itself.

    A schedule-free optimizer's params are y, where the next gradient is taken; the average x is
    the point its guarantee is about (PyTorch: call ``optimizer.eval()`` before testing).
    """
    return getattr(state, "x", params)


def no_schedule_problem():
    """Lecture 16's noisy quadratic: 10 curvatures from 0.01 to 1 (condition 100), noise sigma
    = 1, starting 3 away from the minimum in every coordinate."""
    return noisy_quadratic(curvatures=np.logspace(-2, 0, 10), sigma=1.0, start=np.full(10, 3.0))


def no_schedule_mlp():
    """Lecture 16's digits network: 32 tanh units, mini-batches of 32 (38 steps an epoch)."""
    return digits_mlp(hidden=32, batch_size=32)


def losses_at(opt, problem, starts, checkpoints, seed=0):
    """Train every run of ``starts`` (shape (..., dim)) and return the loss at the evaluation
    point after each number of steps in ``checkpoints``: shape (len(checkpoints), ...).

    The noisy quadratic's loss is the exact f; the digits network's is the validation loss.
    Every run of a batch sees the same mini-batches and its own gradient noise.

    >>> q = no_schedule_problem()
    >>> losses_at(optimizers.sgd_schedule_free(lr=0.1), q, q.start, [0, 10]).round(2)
    array([11.17,  5.32])
    """
    rng = np.random.default_rng(seed)
    batches = None
    if problem.n_train is not None:
        batches = minibatches(problem.n_train, problem.batch_size, rng)
    params = np.array(starts, dtype=float)
    state = opt.init(params)
    out = np.full((len(checkpoints), *params.shape[:-1]), np.nan)
    for k in range(max(checkpoints) + 1):
        if k in checkpoints:
            out[list(checkpoints).index(k)] = _held_out_loss(problem, eval_point(params, state))
        if k == max(checkpoints):
            break
        batch = None if batches is None else next(batches)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _, grads = problem.loss_and_grad(params, batch=batch, rng=rng)
            params, state = opt.step(params, grads, state)
    return out


def _held_out_loss(problem, params):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if problem.n_train is None:
            return problem.loss(params)
        return problem.loss(params, split="val")


def budget_schedules(lr, total_steps):
    """The schedules schedule-free is measured against, each at peak ``lr`` for ``total_steps``:
    cosine to zero, linear decay to zero, and WSD holding lr for 80% then decaying linearly."""
    return {
        "cosine": cosine_decay(lr, total_steps),
        "linear": polynomial_decay(lr, total_steps),
        "wsd": warmup_stable_decay(lr, total_steps, 0, max(total_steps // 5, 1)),
    }


# The base optimizers: SGD with momentum on the quadratic, Adam on the network; each one's
# schedule-free twin takes the same kind of step.
BASES = {
    "quadratic": (lambda lr: sgd(lr=lr, momentum=0.9), optimizers.sgd_schedule_free),
    "mlp": (lambda lr: optimizers.adam(lr=lr), optimizers.adamw_schedule_free),
}


def replicas(problem, lrs, seeds):
    """Starts of shape (len(lrs), seeds, dim): the digits network gets a fresh init per seed."""
    if problem.n_train is None:
        return np.broadcast_to(problem.start, (len(lrs), seeds, problem.dim))
    inits = problem.init_params(np.random.default_rng(1), (seeds,))
    return np.broadcast_to(inits, (len(lrs), seeds, problem.dim))


def budget_race(problem, kind, lrs, budgets, seeds=4, seed=0):
    """Every method at every rate of ``lrs`` and every budget, averaged over ``seeds`` runs.

    Returns {method: (len(budgets), len(lrs)) mean losses}. The scheduled methods run once per
    budget (their schedule depends on it); schedule-free runs once, for the longest budget, and
    is read at every budget: it has no horizon to know (its anytime property).

    >>> out = budget_race(no_schedule_problem(), "quadratic", [0.01, 0.1, 1.0], [20, 40], seeds=2)
    >>> sorted(out), out["cosine"].shape
    (['cosine', 'linear', 'schedule_free', 'wsd'], (2, 3))
    """
    lrs = np.asarray(lrs, dtype=float)
    column = lrs[:, None, None]  # one rate per row of (len(lrs), seeds) runs
    starts = replicas(problem, lrs, seeds)
    scheduled, free = BASES[kind]
    out = {name: np.zeros((len(budgets), len(lrs))) for name in ("cosine", "linear", "wsd")}
    for i, total in enumerate(budgets):
        for name, schedule in budget_schedules(column, total).items():
            losses = losses_at(scheduled(schedule), problem, starts, [total], seed)
            out[name][i] = losses[0].mean(-1)
    anytime = losses_at(free(lr=column), problem, starts, list(budgets), seed)
    out["schedule_free"] = anytime.mean(-1)
    return out


class ProdigyTrace(NamedTuple):
    """Prodigy's estimate d after every step, shape (steps, ...runs), and the final held-out
    loss of every run."""

    d: np.ndarray
    final_loss: np.ndarray


def prodigy_trace(problem, starts, steps, lr=1.0, seed=0):
    """Train with Prodigy (``lr`` a multiplier or a schedule of multipliers, as in its paper),
    recording its rate estimate d at every step.

    >>> q = no_schedule_problem()
    >>> trace = prodigy_trace(q, q.start, 50)
    >>> trace.d.shape, bool(trace.d[-1] > 1e3 * trace.d[0])    # from d0 = 1e-6 upwards
    ((50,), True)
    """
    rng = np.random.default_rng(seed)
    batches = None
    if problem.n_train is not None:
        batches = minibatches(problem.n_train, problem.batch_size, rng)
    opt = optimizers.prodigy(lr=lr)
    params = np.array(starts, dtype=float)
    state = opt.init(params)
    d = []
    for _ in range(steps):
        batch = None if batches is None else next(batches)
        _, grads = problem.loss_and_grad(params, batch=batch, rng=rng)
        params, state = opt.step(params, grads, state)
        d.append(state.d[..., 0])
    return ProdigyTrace(np.array(d), _held_out_loss(problem, params))


def steps_to_reach(trace, fraction=0.5):
    """The first step (1, 2, ...) after which d is at least ``fraction`` of its final value.

    >>> int(steps_to_reach(np.array([0.1, 0.4, 0.9, 1.0])))
    3
    """
    trace = np.asarray(trace)
    reached = trace >= fraction * trace[-1]
    return (np.argmax(reached, axis=0) + 1)[()]


# --- lecture 15: batch size and the learning rate ----------------------------------------------


def steps_to_loss(opt, problem, target, max_steps, *, eval_every=5, seed=0):
    """Train ``problem.start`` (one copy per run of ``opt``'s rates) on mini-batches until the
    full training loss first reaches ``target``; returns (steps, run): the first step at which
    any run got there (checked every ``eval_every`` steps) and which run it was.

    The runs are the rates of one sweep, all on the same mini-batches (``train.minibatches``), so
    the first to arrive is the best-tuned rate for this batch size: no later arrival can beat
    it, and the loop stops there. (inf, -1) if none arrives within ``max_steps``.

    >>> mlp = digits_mlp(hidden=8, batch_size=16)
    >>> steps_to_loss(optimizers.sgd(lr=np.array([[0.1], [0.5]])), mlp, 1.0, 500)
    (45, 1)
    """
    runs = np.shape(opt.lr(0))[0] if np.ndim(opt.lr(0)) else 1
    params = np.tile(problem.start, (runs, 1))
    state = opt.init(params)
    batches = minibatches(problem.n_train, problem.batch_size, np.random.default_rng(seed))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # diverging rates
        for k in range(max_steps + 1):
            if k % eval_every == 0:
                arrived = np.flatnonzero(problem.loss(params) <= target)
                if arrived.size:
                    return k, int(arrived[0])
            grads = problem.loss_and_grad(params, batch=next(batches))[1]
            params, state = opt.step(params, grads, state)
    return np.inf, -1


class SchedulePaths(NamedTuple):
    """Schedule-Free SGD's three sequences, each of shape (steps + 1, ..., dim), and the exact
    loss at x and at y after every step (steps + 1, ...)."""

    z: np.ndarray
    y: np.ndarray
    x: np.ndarray
    loss_x: np.ndarray
    loss_y: np.ndarray


def schedule_free_paths(problem, steps, seed=0, start=None, **settings):
    """Run Schedule-Free SGD (``settings``: lr, momentum, warmup_steps, ...) on a noisy problem
    and keep z (the SGD steps), y (where gradients are taken) and x (their average). ``start``
    (default ``problem.start``) may hold several runs, shape (..., dim), e.g. one per rate.

    >>> q = noisy_quadratic(curvatures=[0.2, 1.0], sigma=0.5, start=[3.0, -2.0])
    >>> paths = schedule_free_paths(q, 200, lr=0.5)
    >>> noisy_sgd = q.loss(paths.z[100:]).mean()              # z alone: SGD at a constant rate
    >>> paths.x.shape, bool(paths.loss_x[100:].mean() < noisy_sgd / 3)   # the average: far lower
    ((201, 2), True)
    """
    rng = np.random.default_rng(seed)
    opt = optimizers.sgd_schedule_free(**settings)
    params = np.array(problem.start if start is None else start, dtype=float)
    state = opt.init(params)
    z, y, x = [params], [params], [params]
    for _ in range(steps):
        params, state = opt.step(params, problem.grad(params, rng=rng), state)
        z.append(state.z)
        y.append(params)
        x.append(state.x)
    z, y, x = np.array(z), np.array(y), np.array(x)
    return SchedulePaths(z, y, x, problem.loss(x), problem.loss(y))


class BatchSweep(NamedTuple):
    """SGD on the noisy quadratic of ``quadratic_batch_sweep``, every (rate, batch size) pair.

    lrs (n_lr,), batch_sizes (n_b,)   the grid
    loss    (n_lr, n_b, steps + 1)    the loss per step, averaged over the repeats
    steps   (n_lr, n_b)               the first step with mean loss <= target (inf: never)
    """

    lrs: np.ndarray
    batch_sizes: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    target: float


@functools.lru_cache(maxsize=4)
def quadratic_batch_sweep(lrs, batch_sizes, target=0.02, steps=800, dim=8, sigma=0.5, reps=8):
    """McCandlish et al.'s model problem: SGD on a quadratic with mini-batch gradient noise.

        f(x) = 1/2 sum_i c_i x_i^2,   g = c x + (sigma / sqrt(B)) xi,   xi ~ N(0, I)

    with curvatures c from 1 down to 0.1 (``dim`` of them, log-spaced) and B examples of noise
    sigma each.
    Every rate of ``lrs`` with every batch size of ``batch_sizes`` (tuples), ``reps`` repeats
    each, from x = (1, ..., 1), all in one array computation; cached. Small batches need small
    rates to get under the noise floor, so they need many steps; large batches are held back by
    the stability limit lr < 2 / c_max = 2 and the slowest curvature instead, and a larger batch
    no longer helps.

    >>> sweep = quadratic_batch_sweep((0.1, 1.0), (1, 64), steps=200)
    >>> sweep.steps.tolist()           # rates 0.1 and 1.0 (rows) at batch sizes 1 and 64
    [[inf, 87.0], [inf, 14.0]]
    """
    lrs, sizes = np.array(lrs, dtype=float), np.array(batch_sizes, dtype=float)
    rng = np.random.default_rng(0)
    c = np.geomspace(1.0, 0.1, dim)
    x = np.ones((len(lrs), len(sizes), reps, dim))
    scale = (sigma / np.sqrt(sizes))[:, None, None]
    lr = lrs[:, None, None, None]
    loss = [0.5 * np.sum(c * x**2, axis=-1).mean(axis=-1)]
    with np.errstate(over="ignore", invalid="ignore"):  # rates above 2 diverge
        for _ in range(steps):
            x = x - lr * (c * x + scale * rng.standard_normal(x.shape))
            loss.append(0.5 * np.sum(c * x**2, axis=-1).mean(axis=-1))
    loss = np.moveaxis(np.array(loss), 0, -1)
    below = loss <= target
    first = np.where(below.any(axis=-1), np.argmax(below, axis=-1), np.inf)
    return BatchSweep(lrs, sizes, loss, first.astype(float), target)


def sweep_from_starts(make, problem, lrs, steps, starts=8, scale=1e-3, seed=0):
    """Every rate of ``lrs`` from ``starts`` starting points, in one batched run.

    ``make(lr)`` builds the optimizer. The first start is ``problem.start``, the others add a
    seeded N(0, ``scale``^2) perturbation to it. In a chaotic regime (Rosenbrock's valley at
    high rates) one trajectory is an accident of rounding; a statement about the rates is
    robust when it holds for most starts. Returns the ``History``; its ``final_loss`` has shape
    (len(lrs), starts).

    >>> from lrcourse.optimizers import adam
    >>> from lrcourse.problems import rosenbrock
    >>> h = sweep_from_starts(lambda lr: adam(lr=lr), rosenbrock(), [1e-3, 0.3], 500, starts=4)
    >>> h.final_loss.shape, np.median(h.final_loss, axis=1) < 1e-2
    ((2, 4), array([False,  True]))
    """
    lrs = np.asarray(lrs, dtype=float)
    jitter = scale * np.random.default_rng(seed).standard_normal((starts, problem.dim))
    jitter[0] = 0.0
    params = np.broadcast_to(problem.start + jitter, (len(lrs), starts, problem.dim)).copy()
    return run(make(lrs[:, None, None]), problem, params, steps=steps, record_params=False)
