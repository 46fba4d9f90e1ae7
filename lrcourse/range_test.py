"""The learning-rate range test: one short run whose rate grows until the loss blows up.

Leslie Smith's recipe (2015, 2017) for bounding the learning rate before any real training:
start at a rate far too small to do anything, multiply it a little at every step, and record the
loss until it explodes. The curve of loss against rate then shows three regions: a flat start
(the rate is too small to move), a fall (the rate is useful), and a blow-up (too large). The
useful rates sit where the curve falls.

    result = range_test(digits_mlp(), sgd, start_lr=1e-5, end_lr=10.0, momentum=0.9)
    result.suggestions()      # {"steepest": ..., "minimum/10": ..., "valley": ...}

The pieces, each a small function:

    lr_ramp(start_lr, end_lr, num_steps)       the rates, geometric (or linear), ends included
    smooth(losses, beta)                       an exponential moving average, bias-corrected
    cutoff(smoothed, diverge_factor)           how many points come before the blow-up
    steepest, minimum_over_10, valley          three rules that turn the curve into one rate
    range_test(problem, optimizer, ...)        the run itself -> RangeTest (arrays + summary)
    plot_range_test(result)                    loss against rate, the stop and the suggestions

A warning the lecture makes concrete: the three rules often disagree by a factor of ten or more,
and each moves with the smoothing and with the order of the mini-batches. No rule is reliable on
its own (the maintainers of pytorch-lr-finder say so; fastai changed its default rule from
"minimum/10 and steepest" to "valley" in 2021). Use the test to *bound* a sweep, not to replace it.
"""

from dataclasses import dataclass, replace

import matplotlib.ticker
import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.train import minibatches

__all__ = [
    "lr_ramp",
    "smooth",
    "cutoff",
    "steepest",
    "minimum_over_10",
    "valley",
    "RULES",
    "RULE_COLORS",
    "RangeTest",
    "range_test",
    "plot_range_test",
]


def lr_ramp(start_lr, end_lr, num_steps, mode="exp"):
    """The learning rates of a range test: ``num_steps`` rates from ``start_lr`` to ``end_lr``.

    exp:     lr_k = start_lr * (end_lr / start_lr) ** (k / (num_steps - 1))
    linear:  lr_k = start_lr + (end_lr - start_lr) * k / (num_steps - 1)
    for k = 0 .. num_steps - 1, so the first rate is ``start_lr`` and the last exactly ``end_lr``.

    The exponential ramp spends equally many steps on every decade (1e-5 to 1e-4 as many as 1 to
    10): the right spacing when nobody knows the order of magnitude yet. Smith's first range test
    (2015) was linear, for refining bounds already known to within a factor of a few.
    pytorch-lr-finder: ``LRFinder.range_test(end_lr, num_iter, step_mode="exp")``; fastai:
    ``Learner.lr_find(start_lr, end_lr, num_it)``.

    >>> lr_ramp(1e-3, 1.0, 4)
    array([0.001, 0.01 , 0.1  , 1.   ])
    >>> lr_ramp(0.1, 0.4, 4, mode="linear")
    array([0.1, 0.2, 0.3, 0.4])
    """
    start_lr = float(v.positive("start_lr", start_lr))
    end_lr = float(v.positive("end_lr", end_lr))
    if end_lr <= start_lr:
        raise ValueError(f"end_lr must be > start_lr ({start_lr:g}), got {end_lr:g}")
    num_steps = v.positive_int("num_steps", num_steps, minimum=2)
    mode = v.one_of("mode", mode, ("exp", "linear"))
    fraction = np.arange(num_steps) / (num_steps - 1)
    if mode == "exp":
        return start_lr * (end_lr / start_lr) ** fraction
    return start_lr + (end_lr - start_lr) * fraction


def _ema_step(average, loss, beta, k):
    """One step of the smoothing: the new running average, and its bias-corrected value."""
    average = beta * average + (1 - beta) * loss
    return average, average / (1 - beta ** (k + 1))


def smooth(losses, beta=0.98):
    """The exponential moving average of ``losses`` (along axis 0), corrected for its start at 0.

    avg_k      = beta * avg_{k-1} + (1 - beta) * loss_k,      avg_{-1} = 0
    smoothed_k = avg_k / (1 - beta ** (k + 1))

    Mini-batch losses are noisy; the average calms them, and the correction removes the pull
    towards 0 of an average that starts at 0 (the same correction as Adam's, lecture 10): the
    weights of the losses seen so far add up to 1 - beta ** (k + 1), and dividing by that makes
    them add up to 1. beta = 0 is no smoothing at all. A larger beta calms more, but averages
    over about 1 / (1 - beta) steps, so the smoothed curve lags behind the rate. fastai uses
    beta = 0.98; pytorch-lr-finder's ``smooth_f=0.05`` is beta = 0.95, started at the first loss.
    A NaN (a run that stopped) stays NaN from there on.

    >>> smooth(np.array([1.0, 3.0]), beta=0.5)       # 1, then (0.25 + 1.5) / 0.75
    array([1.        , 2.33333333])
    >>> smooth(np.array([4.0, 2.0, 1.0]), beta=0.0)  # no smoothing
    array([4., 2., 1.])
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim == 0:
        raise ValueError(f"losses must be an array with one loss per step, got {losses!r}")
    beta = float(v.in_range("beta", beta, 0, 1))
    average = np.zeros(losses.shape[1:])
    smoothed = np.empty_like(losses)
    for k, loss in enumerate(losses):
        average, smoothed[k] = _ema_step(average, loss, beta, k)
    return smoothed


def _factor(diverge_factor):
    """``diverge_factor`` checked: a number > 1, or inf (never cut but at a non-finite loss)."""
    if isinstance(diverge_factor, (int, float, np.floating)) and diverge_factor == np.inf:
        return np.inf
    factor = float(v.as_float_array("diverge_factor", diverge_factor))
    if not factor > 1:
        raise ValueError(f"diverge_factor must be a number > 1 (or np.inf), got {factor:g}")
    return factor


def cutoff(smoothed, diverge_factor=4.0):
    """How many points of a curve come before it blows up (along axis 0; an int per run).

    The curve has blown up at the first step k where

        smoothed_k > diverge_factor * min(smoothed_0, ..., smoothed_k)     (or is not finite),

    and the points 0 .. k-1 are kept. fastai stops at 4 times the best loss, pytorch-lr-finder at
    5. ``diverge_factor=np.inf`` keeps everything up to the first non-finite value.

    >>> cutoff(np.array([3.0, 2.0, 1.0, 2.0, 5.0, np.nan]))     # 5 > 4 * 1
    4
    >>> cutoff(np.array([3.0, 2.0, 1.0]))                       # never: all of it
    3
    """
    smoothed = np.asarray(smoothed, dtype=float)
    diverge_factor = _factor(diverge_factor)
    with np.errstate(invalid="ignore", over="ignore"):
        best = np.fmin.accumulate(smoothed, axis=0)  # the lowest value so far (NaN ignored)
        bad = ~(smoothed <= diverge_factor * best)  # `~(... <= ...)` catches NaN and inf too
    kept = np.where(bad.any(axis=0), np.argmax(bad, axis=0), len(smoothed))
    return int(kept) if kept.ndim == 0 else kept


def _kept(lrs, smoothed, diverge_factor, rule):
    """The part of one curve before its cut-off, or a clear error if too little is left."""
    lrs = v.positive("lrs", lrs)
    smoothed = np.asarray(smoothed, dtype=float)
    if lrs.ndim != 1 or smoothed.shape != lrs.shape:
        raise ValueError(
            f"lrs and smoothed must be 1-D arrays of the same length, got shapes {lrs.shape} "
            f"and {smoothed.shape}"
        )
    n = int(cutoff(smoothed, diverge_factor))
    if n < 3:
        raise ValueError(
            f"{rule} needs at least 3 points before the loss blows up, got {n}: start the ramp "
            "at a smaller rate"
        )
    return lrs[:n], smoothed[:n]


def steepest(lrs, smoothed, diverge_factor=4.0):
    """The rate where the smoothed loss falls fastest against log(lr), before the blow-up.

    slope_k = d smoothed / d log(lr) at step k    (``np.gradient``: central differences inside,
                                                   one-sided at the two ends)
    suggestion = lrs[argmin slope] over the points before ``cutoff``.

    The slope is taken against log(lr) because the ramp is geometric: each step multiplies the
    rate by the same factor, so the fall per decade is what compares. Without the cut-off the
    wild swings after the blow-up would win. fastai's "steep"; pytorch-lr-finder's suggestion.

    >>> lrs = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    >>> float(steepest(lrs, np.array([2.0, 1.9, 1.0, 0.8, 9.0])))   # 9 > 4 * 0.8: cut
    0.1
    """
    lrs, smoothed = _kept(lrs, smoothed, diverge_factor, "steepest")
    slope = np.gradient(smoothed, np.log(lrs))
    return lrs[np.argmin(slope)]


def minimum_over_10(lrs, smoothed, diverge_factor=4.0):
    """A tenth of the rate at which the smoothed loss is lowest, before the blow-up.

    suggestion = lrs[argmin smoothed] / 10

    At the minimum the rate is already on the edge of being too large; a tenth of it is safely on
    the falling side. fastai's "minimum" (the book's ``lr_min``).

    >>> lrs = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    >>> float(minimum_over_10(lrs, np.array([2.0, 1.9, 1.0, 0.8, 9.0])))
    0.1
    """
    lrs, smoothed = _kept(lrs, smoothed, diverge_factor, "minimum_over_10")
    return lrs[np.argmin(smoothed)] / 10


def valley(lrs, smoothed, diverge_factor=4.0):
    """The rate about halfway down the longest descent of the smoothed loss (fastai's "valley").

    length_k = 1 + max(length_j for j < k with smoothed_j > smoothed_k)     (1 if there is none)

    is the length of the longest decreasing subsequence ending at step k. If the longest of all
    ends at step ``end``, the valley is taken to start at ``start = end - length_end``, and the
    suggestion is the rate at step start + floor(s) + floor(s / 2) with s = (end - start) / 3,
    about half-way down. This is fastai's rule, its default since pull request #3377, because
    it lands in the useful range more often than the other two.

    >>> lrs = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3])
    >>> float(valley(lrs, np.array([3.0, 2.9, 2.0, 1.0, 0.9, 0.85, 9.0])))   # step -1 + 2 + 1
    0.1
    """
    lrs, smoothed = _kept(lrs, smoothed, diverge_factor, "valley")
    n = len(smoothed)
    length = np.ones(n, dtype=int)
    for k in range(1, n):
        higher = smoothed[:k] > smoothed[k]
        if higher.any():
            length[k] = 1 + length[:k][higher].max()
    end = int(np.argmax(length))  # the first longest
    start = end - int(length[end])
    span = (end - start) / 3
    return lrs[max(start + int(span) + int(span / 2), 0)]


RULES = {"steepest": steepest, "minimum/10": minimum_over_10, "valley": valley}
# One colour per rule in every figure of the course (not the first colour, which loss curves use).
RULE_COLORS = dict(zip(RULES, plots.COLORS[1:4]))


@dataclass(frozen=True, eq=False)
class RangeTest:
    """What a range test recorded (``...`` are the run axes of ``params``, if any).

    lrs            (num_steps,)       the rate of every step of the ramp
    loss           (num_steps, ...)   the mini-batch loss at step k, at the parameters that
                                      lrs[0] .. lrs[k-1] produced (recorded as at lrs[k], as
                                      fastai and pytorch-lr-finder do); NaN after the stop
    smoothed       (num_steps, ...)   ``smooth(loss, beta)``; NaN after the stop
    stopped_at     the step at which the smoothed loss blew up (``cutoff``), kept with its value;
                   None if it never did (for several runs, an int array, -1 for none)
    beta, diverge_factor, skip_start   the settings; the rules look at steps
                                       skip_start .. stopped_at - 1 only
    """

    lrs: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    stopped_at: object
    beta: float
    diverge_factor: float
    skip_start: int
    problem_name: str = "problem"

    @property
    def stopped(self):
        """Did the loss blow up before the end of the ramp? (a bool array for several runs)"""
        if self.stopped_at is None or isinstance(self.stopped_at, int):
            return self.stopped_at is not None
        return self.stopped_at >= 0

    @property
    def kept(self):
        """The number of points before the blow-up (an int, or an int array for several runs)."""
        if self.loss.ndim == 1:
            return len(self.lrs) if self.stopped_at is None else self.stopped_at
        return np.where(self.stopped_at >= 0, self.stopped_at, len(self.lrs))

    def run(self, i):
        """Run ``i`` of a test over several runs, as a RangeTest of its own."""
        if self.loss.ndim == 1:
            raise IndexError("this RangeTest holds a single run")
        at = int(self.stopped_at[i])
        return replace(
            self,
            loss=self.loss[:, i],
            smoothed=self.smoothed[:, i],
            stopped_at=None if at < 0 else at,
        )

    def resmooth(self, beta=None, diverge_factor=None):
        """The same losses, smoothed with another ``beta`` and cut with another factor.

        The stopping rule looks only at the past, so cutting the recorded losses afterwards
        gives what a run with these settings would have recorded, as long as it stops no later
        than this one did (after that, the losses were never measured).
        """
        beta = self.beta if beta is None else float(v.in_range("beta", beta, 0, 1))
        diverge_factor = self.diverge_factor if diverge_factor is None else diverge_factor
        return _result(
            self.lrs, self.loss, beta, diverge_factor, self.skip_start, self.problem_name
        )

    def suggestions(self):
        """``{rule: rate}`` for the three rules of ``RULES`` (NaN where too few points are kept).

        For several runs each value is an array with one suggestion per run.
        """
        if self.loss.ndim > 1:
            runs = [self.run(i).suggestions() for i in range(self.loss.shape[1])]
            return {rule: np.array([r[rule] for r in runs]) for rule in RULES}
        n, s = int(self.kept), self.skip_start
        out = {}
        for name, rule in RULES.items():
            try:
                out[name] = float(rule(self.lrs[s:n], self.smoothed[s:n], np.inf))
            except ValueError:
                out[name] = np.nan
        return out

    def summary(self):
        head = (
            f"range test on {self.problem_name}, {len(self.lrs)} steps from "
            f"{self.lrs[0]:.3g} to {self.lrs[-1]:.3g}"
        )
        if self.loss.ndim > 1:
            return f"{head}, {self.loss.shape[1]} runs: {int(np.sum(self.stopped))} stopped"
        if self.stopped:
            k = self.stopped_at
            head += f": the loss blew up at step {k} (lr {self.lrs[k]:.3g})"
        else:
            head += ": no blow-up (end_lr may be too small to find the upper bound)"
        found = self.suggestions()
        if all(np.isnan(x) for x in found.values()):
            return head + "; too few points for a suggestion: lower start_lr"
        return head + "; suggestions: " + ", ".join(f"{k} {x:.3g}" for k, x in found.items())

    def __repr__(self):
        return f"RangeTest({self.summary()})"


def _result(lrs, loss, beta, diverge_factor, skip_start, problem_name):
    """A RangeTest from raw losses: smoothed, cut at the blow-up, NaN after it."""
    loss = np.array(loss, dtype=float)
    smoothed = smooth(loss, beta)
    n = cutoff(smoothed, diverge_factor)
    stopped = n < len(lrs)
    after = np.arange(len(lrs)).reshape(-1, *[1] * (loss.ndim - 1)) > n  # the stop step stays
    loss[after] = np.nan
    smoothed = np.where(after, np.nan, smoothed)
    if loss.ndim == 1:
        stopped_at = int(n) if stopped else None
    else:
        stopped_at = np.where(stopped, n, -1)
    return RangeTest(
        lrs=lrs,
        loss=loss,
        smoothed=smoothed,
        stopped_at=stopped_at,
        beta=beta,
        diverge_factor=float(diverge_factor),
        skip_start=skip_start,
        problem_name=problem_name,
    )


def range_test(
    problem,
    optimizer=optimizers.sgd,
    params=None,
    *,
    start_lr=1e-5,
    end_lr=10.0,
    num_steps=100,
    mode="exp",
    beta=0.98,
    diverge_factor=4.0,
    skip_start=None,
    seed=0,
    **hyperparameters,
):
    """Run the range test: ``optimizer(lr=ramp, **hyperparameters)`` on ``problem``.

    Step k computes the loss and gradient on mini-batch k (as ``lrcourse.train.run`` draws
    them, from ``seed``), smooths the loss (``smooth``), stops once the smoothed loss has blown
    up (``cutoff``: more than ``diverge_factor`` times its best, or not finite), and otherwise
    updates with rate ``lrs[k]``. Nothing after the stop is recorded or plotted: those losses
    describe a run that has already failed.

    ``params`` (default ``problem.start``) may have leading axes: several runs (say, several
    initialisations) on the same mini-batches, each stopping on its own.
    ``diverge_factor=np.inf`` runs the whole ramp (stopping only if the loss stops being
    finite), so that ``RangeTest.resmooth`` can try any smoothing and factor afterwards.
    ``skip_start`` (default num_steps // 10) leaves the first points out of the suggestions:
    there the average holds only a few noisy losses. fastai skips the first tenth too.

    On a quadratic with L = 10, gradient descent is stable below 2 / L = 0.2. The smoothed loss
    lags behind the ramp, so it blows up only at a larger rate:

    >>> from lrcourse.problems import quadratic
    >>> result = range_test(quadratic(condition=10.0), start_lr=1e-3, end_lr=10.0, num_steps=100)
    >>> result.stopped_at, round(float(result.lrs[result.stopped_at]), 2)
    (78, 1.42)
    """
    lrs = lr_ramp(start_lr, end_lr, num_steps, mode)
    beta = float(v.in_range("beta", beta, 0, 1))
    diverge_factor = _factor(diverge_factor)
    skip_start = num_steps // 10 if skip_start is None else skip_start
    skip_start = v.positive_int("skip_start", skip_start, minimum=0)
    if skip_start > num_steps - 3:
        raise ValueError(f"skip_start must be <= num_steps - 3 = {num_steps - 3}, got {skip_start}")
    seed = v.positive_int("seed", seed, minimum=0)
    if not callable(optimizer):
        raise ValueError(
            f"optimizer must be a factory such as lrcourse.optimizers.sgd, got {optimizer!r}"
        )

    def ramp(step):
        return lrs[np.minimum(v.steps(step), num_steps - 1)]

    opt = optimizer(lr=ramp, **hyperparameters)
    params = np.array(problem.start if params is None else params, dtype=float)
    if params.ndim == 0 or params.shape[-1] != problem.dim:
        raise ValueError(
            f"params must have a last axis of length {problem.dim} (the problem's dim), "
            f"got shape {params.shape}"
        )
    rng = np.random.default_rng(seed)
    batches = None
    if problem.n_train is not None and problem.batch_size is not None:
        batches = minibatches(problem.n_train, problem.batch_size, rng)

    runs = params.shape[:-1]
    loss_history = np.full((num_steps, *runs), np.nan)
    average = np.zeros(runs)
    best = np.full(runs, np.inf)
    alive = np.ones(runs, dtype=bool)
    state = opt.init(params)
    for k in range(num_steps):
        batch = None if batches is None else next(batches)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if hasattr(problem, "loss_and_grad"):
                loss, grads = problem.loss_and_grad(params, batch=batch, rng=rng)
            else:
                loss, grads = problem.loss(params), problem.grad(params)
            loss_history[k] = np.where(alive, loss, np.nan)
            # The stopping rule of ``cutoff``, applied as the losses arrive.
            average, smoothed = _ema_step(average, loss, beta, k)
            best = np.fmin(best, smoothed)
            alive &= smoothed <= diverge_factor * best
        if k == num_steps - 1 or not alive.any():
            break
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            params, state = opt.step(params, grads, state)
    name = getattr(problem, "name", type(problem).__name__)
    return _result(lrs, loss_history, beta, diverge_factor, skip_start, name)


@plots.styled
def plot_range_test(result, *, ax=None, title=None, rules=tuple(RULES), raw=True):
    """Loss against learning rate (log axis), up to the blow-up, with each rule's suggestion.

    The raw mini-batch losses are drawn faint, the smoothed loss bold. The curve ends at the step
    where the loss blew up, marked with an x; nothing after it is drawn. Each suggestion is a
    dotted vertical line in its own colour, named in the legend with its rate.
    """
    if result.loss.ndim != 1:
        raise ValueError("plot_range_test draws one run: pass result.run(i)")
    if ax is None:
        ax = plots.subplots(figsize=plots.STYLE["figure.figsize"])[1]
    end = len(result.lrs) if not result.stopped else result.stopped_at + 1
    lrs = result.lrs[:end]
    if raw:
        ax.plot(lrs, result.loss[:end], color="grey", linewidth=0.8, alpha=0.5, label="loss")
    ax.plot(lrs, result.smoothed[:end], color="black", label=f"smoothed (beta = {result.beta:g})")
    # The view: from the lowest loss before the blow-up to 1.6 times the starting loss. The
    # blow-up itself leaves through the top (its marker sits at the edge).
    kept = slice(0, max(int(result.kept), 1))
    low = np.nanmin(np.fmin(result.loss[kept], result.smoothed[kept]))
    high = 1.6 * result.smoothed[0]
    if np.isfinite(low) and np.isfinite(high) and high > low:
        ax.set_ylim(low - 0.05 * (high - low), high)
    if result.stopped:
        k = result.stopped_at
        value = result.smoothed[k]
        ax.plot(
            [result.lrs[k]],
            [min(value, 0.97 * high) if np.isfinite(value) else 0.97 * high],
            "x",
            color="black",
            markersize=9,
            markeredgewidth=2,
            label=f"blew up at lr {result.lrs[k]:.3g}",
        )
    found = result.suggestions()
    for rule in rules:
        lr = found[rule]
        if np.isfinite(lr):
            ax.axvline(
                lr, color=RULE_COLORS[rule], linestyle=":", linewidth=1.6,
                label=f"{rule}: {lr:.3g}",
            )  # fmt: skip
    ax.set_xscale("log")
    # Plain labels (1e-05, 0.001, 0.1, 10): typeset powers of ten cost more to draw than the rest.
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(10, numticks=12))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set(
        xlabel="learning rate",
        ylabel="loss",
        title=title or f"Range test on {result.problem_name}",
    )
    ax.legend(loc="upper left")
    return ax
