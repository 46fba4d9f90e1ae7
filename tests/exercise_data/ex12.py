"""Lecture 12's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex12.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 12.lr_ramp -------------------------------------------------------------------------------


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


MUTANTS["12.lr_ramp"] = [
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
        lambda start_lr, end_lr, num_steps: start_lr * (end_lr / start_lr) ** np.arange(num_steps),
        "The exponent must run from 0 to 1 over the test, k / (num_steps - 1); with k alone "
        "the rate is multiplied by end_lr / start_lr at every step.",
    ),
]

ALTERNATES["12.lr_ramp"] = [
    lambda start_lr, end_lr, num_steps: np.geomspace(start_lr, end_lr, num_steps),
    lambda start_lr, end_lr, num_steps: np.exp(
        np.linspace(np.log(start_lr), np.log(end_lr), num_steps)
    ),
    lambda start_lr, end_lr, num_steps: np.logspace(
        np.log10(start_lr), np.log10(end_lr), num_steps
    ),
    _ramp_loop,
]

# --- 12.smoothed_loss -------------------------------------------------------------------------


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


MUTANTS["12.smoothed_loss"] = [
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
]

ALTERNATES["12.smoothed_loss"] = [_smooth_loop, _smooth_closed_form]

# --- 12.steepest_lr ---------------------------------------------------------------------------


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


MUTANTS["12.steepest_lr"] = [
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
]

ALTERNATES["12.steepest_lr"] = [_steepest_loop]

# --- 12.choose_schedule -----------------------------------------------------------------------


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


MUTANTS["12.choose_schedule"] = [
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
]

ALTERNATES["12.choose_schedule"] = [_choose_loops]

# --- 12.budget_rates --------------------------------------------------------------------------
# Experiments: every alternate meets the target, every mutant misses it (or has the wrong form).


def _warmup_cosine_at(peak):
    def rates(steps):
        warmup, k = steps // 10, np.arange(steps)
        cosine = peak / 2 * (1 + np.cos(np.pi * np.clip(k - warmup, 0, None) / (steps - warmup)))
        return np.where(k < warmup, peak * k / warmup, cosine)

    return rates


def _warmup_linear_decay(steps):
    warmup, k = steps // 10, np.arange(steps)
    return np.where(k < warmup, 0.3 * (k + 1) / warmup, 0.3 * (steps - k) / (steps - warmup))


MUTANTS["12.budget_rates"] = [
    Mutant(
        "constant",
        lambda steps: np.full(steps, 0.1),
        "A constant rate stays noisy to the end: let the rate fall to (nearly) 0 by the last "
        "step, as a cosine or a linear decay does.",
    ),
    Mutant(
        "too hot",
        _warmup_cosine_at(1.0),
        "A peak of 1.0 is past what this network tolerates with momentum 0.9: the loss jumps "
        "up early and the run never recovers in time. Find the peak with a sweep.",
    ),
    Mutant(
        "too cold",
        _warmup_cosine_at(0.03),
        "A peak of 0.03 is safe but far too slow for this budget: try larger peaks.",
    ),
    Mutant(
        "one rate short",
        lambda steps: _warmup_linear_decay(steps)[:-1],
        "Return one rate per update: steps of them.",
    ),
]

ALTERNATES["12.budget_rates"] = [_warmup_cosine_at(0.4), _warmup_linear_decay]
