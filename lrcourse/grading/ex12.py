"""Exercises of lecture 12: choosing a schedule.

The learning-rate range test in three small functions (the ramp of rates, the smoothed loss, the
steepest-descent rule with its blow-up cut-off), then the last step of a tuning run: choosing a
schedule and its peak rate from sweep results, by validation loss, under a budget of steps.
References come from ``lrcourse.range_test``.
"""

import numpy as np

from lrcourse.range_test import lr_ramp as _ramp
from lrcourse.range_test import smooth as _smooth
from lrcourse.range_test import steepest as _steepest

from .spec import Exercise, Hidden, Mutant

TITLE = "Choosing a schedule"
NOTEBOOK = "12_choosing_a_schedule"

# The learner writes these; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.range_test": "uses lrcourse.range_test",
    "lrcourse.explorers": "uses lrcourse.explorers",
}

# The notebook's experiments train the digits MLP; the range test itself stays out of reach.
ALLOW = ("_validate", "optimizers", "problems", "train", "data")

A = np.array
NAN = np.nan


# --- 12.lr_ramp --------------------------------------------------------------------------------


def _reference_ramp(start_lr, end_lr, num_steps):
    return _ramp(start_lr, end_lr, num_steps)


def _ramp_loop(start_lr, end_lr, num_steps):
    ratio = (end_lr / start_lr) ** (1 / (num_steps - 1))
    lrs = [start_lr]
    for _ in range(num_steps - 1):
        lrs.append(lrs[-1] * ratio)
    return np.array(lrs)


_SPACING = (
    "A range test multiplies the rate by the same factor every step, so equally many steps fall "
    "in every decade: lr_k = start_lr * (end_lr / start_lr) ** (k / (num_steps - 1)). "
    "np.geomspace(start_lr, end_lr, num_steps) does exactly that."
)
_LAST = (
    "Off by one at the last step: with k = 0 .. num_steps - 1, the exponent k / (num_steps - 1) "
    "runs from 0 to 1, so the last rate is exactly end_lr. Dividing by num_steps stops short."
)

lr_ramp = Exercise(
    id="12.lr_ramp",
    title="The exponential ramp of a range test",
    reference=_reference_ramp,
    cases=[
        dict(start_lr=1e-3, end_lr=1.0, num_steps=4),
        dict(start_lr=1e-5, end_lr=10.0, num_steps=7),
        dict(start_lr=0.01, end_lr=0.1, num_steps=2),
        dict(start_lr=0.5, end_lr=2.0, num_steps=3),
        dict(start_lr=1e-6, end_lr=100.0, num_steps=101),
    ],
    mutants=[
        Mutant(
            "linear",
            lambda start_lr, end_lr, num_steps: np.linspace(start_lr, end_lr, num_steps),
            _SPACING,
        ),
        Mutant(
            "divides by num_steps",
            lambda start_lr, end_lr, num_steps: (
                start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / num_steps)
            ),
            _LAST,
        ),
        Mutant(
            "one rate too many",
            lambda start_lr, end_lr, num_steps: np.geomspace(start_lr, end_lr, num_steps + 1),
            "Return exactly num_steps rates, one per step of the test: the first start_lr, the "
            "last end_lr.",
        ),
        Mutant(
            "logspace of the rates",
            lambda start_lr, end_lr, num_steps: np.logspace(start_lr, end_lr, num_steps),
            "np.logspace(a, b, n) goes from 10**a to 10**b: it wants the exponents, "
            "np.log10(start_lr) and np.log10(end_lr), not the rates themselves.",
        ),
        Mutant(
            "no fraction",
            lambda start_lr, end_lr, num_steps: (
                start_lr * (end_lr / start_lr) ** np.arange(num_steps)
            ),
            "The exponent must run from 0 to 1 over the test, k / (num_steps - 1); with k alone "
            "the rate is multiplied by end_lr / start_lr at every step.",
        ),
    ],
    alternates=[
        lambda start_lr, end_lr, num_steps: np.geomspace(start_lr, end_lr, num_steps),
        lambda start_lr, end_lr, num_steps: np.exp(
            np.linspace(np.log(start_lr), np.log(end_lr), num_steps)
        ),
        lambda start_lr, end_lr, num_steps: np.logspace(
            np.log10(start_lr), np.log10(end_lr), num_steps
        ),
        _ramp_loop,
    ],
    hints={"shape": "Return num_steps rates: an array of shape (num_steps,)."},
    hidden_cases=[
        Hidden("a long ramp (300 steps)", dict(start_lr=1e-7, end_lr=1.0, num_steps=300)),
        Hidden("a ramp over a narrow range", dict(start_lr=0.3, end_lr=0.4, num_steps=5)),
        Hidden(
            "an odd number of steps over several decades",
            dict(start_lr=2e-4, end_lr=50.0, num_steps=9),
        ),
    ],
)


# --- 12.smoothed_loss --------------------------------------------------------------------------


def _reference_smooth(losses, beta):
    return _smooth(losses, beta)


def _smooth_loop(losses, beta):
    out, average = [], 0.0
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (k + 1)))
    return np.array(out)


def _smooth_closed_form(losses, beta):
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    k = np.arange(n)
    weights = np.where(k[:, None] >= k[None, :], beta ** np.abs(k[:, None] - k[None, :]), 0.0)
    return (weights * (1 - beta)) @ losses / (1 - beta ** (k + 1))


def _smooth_with(correct=lambda beta, k: 1 - beta ** (k + 1), start=0.0, swap=False):
    """Wrong smoothings: no or a shifted correction, another start, the weights swapped."""

    def smoothed_loss(losses, beta):
        out, average = [], losses[0] if start is None else start
        for k, loss in enumerate(losses):
            if swap:
                average = (1 - beta) * average + beta * loss
            else:
                average = beta * average + (1 - beta) * loss
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append(average / correct(beta, k))
        return np.array(out)

    return smoothed_loss


_DEBIAS = (
    "The average starts at 0, so early on it is too small: after k + 1 losses the weights add up "
    "to 1 - beta ** (k + 1) only. Divide by that, as Adam does with its moments: "
    "avg_k / (1 - beta ** (k + 1))."
)

smoothed_loss = Exercise(
    id="12.smoothed_loss",
    title="The smoothed loss, with bias correction",
    reference=_reference_smooth,
    cases=[
        dict(losses=A([1.0, 3.0]), beta=0.5),
        dict(losses=A([2.3, 2.2, 2.25, 2.0, 1.7, 1.9, 1.2, 1.0]), beta=0.9),
        dict(losses=A([4.0, 2.0, 1.0]), beta=0.0),
        dict(losses=A([2.3]), beta=0.98),
        dict(losses=np.linspace(2.3, 0.3, 40) + 0.2 * np.sin(np.arange(40.0)), beta=0.98),
    ],
    mutants=[
        Mutant("no correction", _smooth_with(correct=lambda beta, k: 1.0), _DEBIAS),
        Mutant(
            "correction one step late",
            _smooth_with(correct=lambda beta, k: 1 - beta**k),
            "Count the losses: after the first loss (k = 0) the weights add up to 1 - beta, so "
            "the correction is 1 - beta ** (k + 1); with beta ** k the first step divides by 0.",
        ),
        Mutant(
            "started at the first loss",
            _smooth_with(correct=lambda beta, k: 1.0, start=None),
            "Starting the average at the first loss (pytorch-lr-finder does) is another way to "
            "avoid the pull towards 0, but not the one asked for: start at 0 and correct, "
            "avg_k / (1 - beta ** (k + 1)).",
        ),
        Mutant(
            "weights swapped",
            _smooth_with(swap=True),
            "beta weighs the *old* average and (1 - beta) the new loss: avg = beta * avg + "
            "(1 - beta) * loss. A beta near 1 means heavy smoothing.",
        ),
        Mutant(
            "running mean",
            lambda losses, beta: np.cumsum(losses) / np.arange(1, len(losses) + 1),
            "A plain running mean weighs every loss alike, however old: the moving average "
            "forgets old losses at the rate beta, so the smoothed curve can follow the ramp.",
        ),
    ],
    alternates=[_smooth_loop, _smooth_closed_form],
    hints={"shape": "Return one smoothed value per loss: an array as long as losses."},
    hidden_cases=[
        Hidden(
            "a long, noisy curve (200 losses)",
            dict(
                losses=2.5 * np.exp(-np.arange(200) / 60)
                + 0.2
                + 0.1 * np.cos(1.7 * np.arange(200)),
                beta=0.9,
            ),
        ),
        Hidden("beta very close to 1", dict(losses=A([5.0, 4.0, 4.5, 3.0, 3.5]), beta=0.999)),
        Hidden("a rising curve", dict(losses=A([0.1, 0.2, 0.4, 0.8, 1.6, 3.2]), beta=0.6)),
    ],
)


# --- 12.steepest_lr ----------------------------------------------------------------------------


def _reference_steepest(lrs, smoothed, diverge_factor):
    return _steepest(lrs, smoothed, diverge_factor)


def _kept_loop(smoothed, diverge_factor):
    best = np.inf
    for k, value in enumerate(smoothed):
        best = min(best, value) if np.isfinite(value) else best
        if not value <= diverge_factor * best:
            return k
    return len(smoothed)


def _steepest_loop(lrs, smoothed, diverge_factor):
    n = _kept_loop(smoothed, diverge_factor)
    x, y = np.log(lrs[:n]), smoothed[:n]
    slope = [(y[1] - y[0]) / (x[1] - x[0])]
    for k in range(1, n - 1):
        slope.append((y[k + 1] - y[k - 1]) / (x[k + 1] - x[k - 1]))
    slope.append((y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]))
    return lrs[int(np.argmin(slope))]


def _steepest_with(keep=_kept_loop, slope=lambda lrs, s: np.gradient(s, np.log(lrs)), pick=0):
    """Wrong rules: another cut-off, another slope, or the rate next to the right one."""

    def steepest_lr(lrs, smoothed, diverge_factor):
        n = keep(smoothed, diverge_factor)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = int(np.argmin(slope(lrs[:n], smoothed[:n])))
        return lrs[min(k + pick, n - 1)]

    return steepest_lr


def _kept_gt(smoothed, diverge_factor):
    best = np.fmin.accumulate(smoothed)
    bad = smoothed > diverge_factor * best  # False for NaN: a NaN slips through
    return int(np.argmax(bad)) if bad.any() else len(smoothed)


_LRS = np.geomspace(1e-4, 10.0, 11)
_TOO_FEW = (
    "Did the cut-off keep almost nothing? Compare each point with the best loss *so far* "
    "(np.fmin.accumulate(smoothed)), not with the best of the whole curve: a curve that starts "
    "at 2.3 and ends at 0.4 is above 4 x 0.4 at its very first point."
)

# A longer range test for a hidden case: a smooth fall around lr = 5e-3, a blow-up past lr = 1.
_LONG_LRS = np.geomspace(1e-5, 10.0, 40)
_LONG = (
    0.3
    + 2.0 / (1 + np.exp(3 * (np.log10(_LONG_LRS) + 2.3)))
    + np.where(_LONG_LRS > 1, 50 * np.log10(_LONG_LRS) ** 2, 0.0)
)

steepest_lr = Exercise(
    id="12.steepest_lr",
    title="The steepest-descent suggestion, cut at the blow-up",
    reference=_reference_steepest,
    cases=[
        dict(
            lrs=_LRS,
            smoothed=A([2.3, 2.3, 2.25, 2.1, 1.6, 0.9, 0.5, 0.4, 0.45, 2.5, NAN]),
            diverge_factor=4.0,
        ),
        # after the blow-up the loss swings down: a steep "fall" that is not one
        dict(
            lrs=_LRS,
            smoothed=A([2.3, 2.28, 2.2, 1.9, 1.5, 1.2, 1.0, 0.8, 5.0, 0.1, 0.05]),
            diverge_factor=4.0,
        ),
        # NaN straight after the steepest point: nothing exceeds the factor first
        dict(
            lrs=_LRS[:7],
            smoothed=A([2.0, 1.9, 1.7, 1.2, 0.6, NAN, NAN]),
            diverge_factor=4.0,
        ),
        # a bump on the way down, above 3 x the best overall but not 3 x the best so far
        dict(
            lrs=_LRS[:9],
            smoothed=A([1.0, 1.0, 0.9, 1.5, 2.2, 1.2, 0.7, 0.5, 3.0]),
            diverge_factor=3.0,
        ),
        # NaN right after a point that is not the steepest
        dict(
            lrs=_LRS[:6],
            smoothed=A([2.0, 1.9, 1.2, 1.0, 0.95, NAN]),
            diverge_factor=4.0,
        ),
        # unevenly spaced rates (a linear ramp): the slope is against log(lr)
        dict(
            lrs=A([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
            smoothed=A([2.0, 1.6, 1.3, 1.05, 0.8, 0.6]),
            diverge_factor=4.0,
        ),
        # the loss never blows up: use it all
        dict(
            lrs=_LRS[:6],
            smoothed=A([2.3, 2.2, 1.9, 1.5, 1.4, 1.35]),
            diverge_factor=4.0,
        ),
    ],
    mutants=[
        Mutant(
            "no cut-off",
            _steepest_with(keep=lambda smoothed, f: len(smoothed)),
            "Cut the curve first: after the blow-up the loss swings wildly, and a swing down "
            "there looks like the steepest descent of all. Keep only the points before the first "
            "k with smoothed[k] > diverge_factor * min(smoothed[:k + 1]) (or not finite).",
        ),
        Mutant(
            "NaN not cut",
            _steepest_with(keep=_kept_gt),
            "A NaN compares False with everything, so `smoothed > diverge_factor * best` lets it "
            "through. Test the other way round, `not (smoothed <= diverge_factor * best)`, which "
            "is True for NaN and inf.",
        ),
        Mutant(
            "slope against lr",
            _steepest_with(slope=lambda lrs, s: np.gradient(s, lrs)),
            "Take the slope against log(lr): np.gradient(smoothed, np.log(lrs)). Against lr "
            "itself the small rates, packed together, get huge slopes.",
        ),
        Mutant(
            "forward differences",
            _steepest_with(slope=lambda lrs, s: np.diff(s) / np.diff(np.log(lrs))),
            "Use np.gradient, which takes central differences at inner points (one-sided at the "
            "ends), so slope k belongs to lrs[k]; np.diff gives one fewer slope, each between "
            "two rates.",
        ),
        Mutant(
            "steepest rise",
            _steepest_with(slope=lambda lrs, s: -np.gradient(s, np.log(lrs))),
            "The suggestion is where the loss *falls* fastest: the most negative slope, "
            "np.argmin, not np.argmax.",
        ),
    ],
    alternates=[_steepest_loop],
    hints={
        "shape": "Return one number: the suggested learning rate, one of lrs.",
        "error:IndexError": _TOO_FEW,
        "error:ValueError": _TOO_FEW,
    },
    hidden_cases=[
        Hidden(
            "a longer range test (40 rates)",
            dict(lrs=_LONG_LRS, smoothed=_LONG, diverge_factor=4.0),
        ),
        Hidden(
            "a curve that turns inf at the blow-up",
            dict(
                lrs=np.geomspace(1e-4, 1.0, 9),
                smoothed=A([2.0, 1.98, 1.9, 1.4, 1.2, 0.8, 0.7, np.inf, np.inf]),
                diverge_factor=5.0,
            ),
        ),
        Hidden(
            "a larger diverge_factor",
            dict(
                lrs=_LRS[2:],
                smoothed=A([3.0, 2.9, 2.5, 1.5, 1.0, 2.5, 9.0, 0.6, 0.5]),
                diverge_factor=10.0,
            ),
        ),
    ],
)


# --- 12.choose_schedule ------------------------------------------------------------------------


def _choose(val_loss, budgets, peaks, budget):
    val_loss = np.asarray(val_loss, dtype=float)
    fits = np.asarray(budgets) <= budget
    considered = np.where(np.isnan(val_loss) | ~fits, np.inf, val_loss)
    s, k, b = np.unravel_index(np.argmin(considered), considered.shape)
    return np.array([s, peaks[k], budgets[b]], dtype=float)


def _choose_loops(val_loss, budgets, peaks, budget):
    best, choice = np.inf, None
    for s, per_schedule in enumerate(val_loss):
        for k, per_peak in enumerate(per_schedule):
            for b, loss in enumerate(per_peak):
                if budgets[b] <= budget and loss < best:  # False for NaN
                    best, choice = loss, [s, peaks[k], budgets[b]]
    return np.array(choice, dtype=float)


def _choose_with(fits=lambda budgets, budget: budgets <= budget, nan_is_bad=True, as_index=False):
    def choose_schedule(val_loss, budgets, peaks, budget):
        val_loss, budgets = np.asarray(val_loss, dtype=float), np.asarray(budgets)
        considered = np.where(fits(budgets, budget), val_loss, np.inf)
        if nan_is_bad:
            considered = np.where(np.isnan(considered), np.inf, considered)
        s, k, b = np.unravel_index(np.argmin(considered), considered.shape)
        return np.array([s, k if as_index else peaks[k], budgets[b]], dtype=float)

    return choose_schedule


def _largest_fit_only(budgets, budget):
    fits = budgets <= budget
    return budgets == budgets[fits].max()


# val_loss[s, k, b]: schedule s, peak k, budget b
_THREE = A(
    [
        [[0.90, 0.60, 0.50], [0.70, 0.45, 0.30], [NAN, NAN, NAN]],  # constant
        [[0.80, 0.50, 0.35], [0.60, 0.40, 0.25], [0.65, 0.38, 0.22]],  # cosine
    ]
)
_NAN_BEST = A(
    [
        [[0.5, NAN], [0.4, 0.3]],
        [[0.45, 0.33], [NAN, NAN]],
        [[0.6, 0.35], [0.55, 0.31]],
    ]
)
_OVERFIT = A(
    [
        [[0.40, 0.20, 0.25, 0.30]],  # best at the second budget, then worse
        [[0.50, 0.30, 0.22, 0.21]],
    ]
)

# A larger sweep for a hidden case: the largest peak diverged for every schedule.
_SWEEP = np.random.default_rng(12).uniform(0.2, 1.0, (3, 4, 3)).round(3)
_SWEEP[:, 3] = NAN

choose_schedule = Exercise(
    id="12.choose_schedule",
    title="Choose a schedule and its peak under a budget",
    reference=_choose,
    cases=[
        dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=1000),
        dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=500),
        dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=300),
        dict(val_loss=_NAN_BEST, budgets=[50, 200], peaks=A([0.01, 0.03]), budget=200),
        dict(val_loss=_OVERFIT, budgets=[10, 20, 40, 80], peaks=A([3e-4]), budget=80),
        dict(val_loss=_OVERFIT, budgets=[10, 20, 40, 80], peaks=A([3e-4]), budget=79),
    ],
    mutants=[
        Mutant(
            "budget ignored",
            _choose_with(fits=lambda budgets, budget: np.ones(len(budgets), bool)),
            "Only runs that fit the budget count: consider budgets[b] <= budget and nothing "
            "longer, however good it looks.",
        ),
        Mutant(
            "budget strictly below",
            _choose_with(fits=lambda budgets, budget: budgets < budget),
            "A run of exactly `budget` steps fits the budget: use <=, not <.",
        ),
        Mutant(
            "longest budget only",
            _choose_with(fits=_largest_fit_only),
            "Consider every budget that fits, not only the longest: a shorter run can end with "
            "a lower validation loss (a longer one may overfit).",
        ),
        Mutant(
            "NaN chosen",
            _choose_with(nan_is_bad=False),
            "A diverged run has a NaN loss, and np.argmin treats NaN as the smallest number. "
            "Exclude them: np.where(np.isnan(val_loss), np.inf, val_loss) before np.argmin.",
        ),
        Mutant(
            "peak index",
            _choose_with(as_index=True),
            "Return the peak rate itself, peaks[k], not its position k.",
        ),
    ],
    alternates=[_choose_loops],
    hidden_cases=[
        Hidden(
            "a budget that only the shortest runs fit",
            dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=100),
        ),
        Hidden(
            "a larger sweep (3 schedules, 4 peaks, 3 budgets)",
            dict(
                val_loss=_SWEEP, budgets=[50, 100, 200], peaks=A([0.01, 0.03, 0.1, 0.3]), budget=100
            ),
        ),
        Hidden(
            "a budget between two run lengths",
            dict(
                val_loss=A([[[0.5, 0.3, 0.22, 0.21], [0.45, 0.28, NAN, NAN]]]),
                budgets=[10, 20, 40, 80],
                peaks=A([1e-3, 3e-3]),
                budget=50,
            ),
        ),
    ],
    hints={
        "shape": "Return three numbers: [schedule index, peak rate, budget in steps].",
        "error:ValueError": "np.unravel_index(np.argmin(x), x.shape) turns the position in the "
        "flattened array back into (s, k, b).",
    },
)

EXERCISES = [lr_ramp, smoothed_loss, steepest_lr, choose_schedule]
