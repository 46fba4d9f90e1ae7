"""Lecture 11's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex11.py``; ``exercise_data`` says how these are used.
"""

import math

import numpy as np

from lrcourse.grading.ex11 import A

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 11.plateau_lrs ---------------------------------------------------------------------------


def _plateau_with(
    cut_when=lambda bad, patience: bad > patience,
    reset=True,
    use_cooldown=True,
    first_best=None,
    better=lambda m, best, threshold: m < best * (1 - threshold),
    track_lows=False,
    skip_in_cooldown=False,
    shift=False,
):
    """The rule written as a loop, with one line changed as a learner's bug would change it."""

    def answer(metrics, lr, factor, patience, threshold, cooldown):
        best = np.inf if first_best is None else metrics[0]
        bad = cooldown_left = 0
        rates = []
        for m in metrics:
            if skip_in_cooldown and cooldown_left > 0:
                cooldown_left -= 1
                rates.append(lr)
                continue
            if better(m, best, threshold):
                best, bad = m, 0
            else:
                bad += 1
            if track_lows:
                best = min(best, m)
            if use_cooldown and not skip_in_cooldown and cooldown_left > 0:
                cooldown_left -= 1
                bad = 0
            if cut_when(bad, patience):
                lr = lr * factor
                cooldown_left = cooldown
                if reset:
                    bad = 0
            rates.append(lr)
        return np.array(rates, dtype=float)

    if shift:  # the rates the epochs trained with, not the ones chosen after them

        def shifted(metrics, lr, factor, patience, threshold, cooldown):
            chosen = answer(metrics, lr, factor, patience, threshold, cooldown)
            return np.concatenate([[lr], chosen[:-1]])

        return shifted
    return answer


def _plateau_since_best(metrics, lr, factor, patience, threshold, cooldown):
    # Count epochs since the last improvement or cut instead of a running counter.
    best, since, wait, rates = math.inf, 0, 0, []
    for m in metrics:
        if m < best * (1 - threshold):
            best, since = m, 0
        else:
            since += 1
        if wait:
            wait, since = wait - 1, 0
        if since >= patience + 1:
            lr, since, wait = lr * factor, 0, cooldown
        rates.append(lr)
    return A(rates)


_PATIENCE = (
    "PyTorch cuts when the number of bad epochs in a row *exceeds* patience: with patience=1 "
    "the cut comes on the second bad epoch, not the first (bad_epochs > patience, not >=)."
)


_COOLDOWN = (
    "During cooldown PyTorch still checks for improvements (and updates the best value); it only "
    "resets the bad-epoch count to 0 after counting, then decrements the cooldown counter."
)


MUTANTS["11.plateau_lrs"] = [
    Mutant("on the patience-th bad epoch", _plateau_with(cut_when=lambda b, p: b >= p), _PATIENCE),
    Mutant(
        "counter not reset",
        _plateau_with(reset=False),
        "After a cut, start counting bad epochs from 0 again; otherwise every following bad "
        "epoch cuts the rate once more.",
    ),
    Mutant(
        "cooldown ignored",
        _plateau_with(use_cooldown=False),
        "After a cut, for `cooldown` epochs bad epochs are not counted: while the cooldown "
        "counter is above 0, decrement it and set the bad-epoch count to 0.",
    ),
    Mutant("cooldown skips the check", _plateau_with(skip_in_cooldown=True), _COOLDOWN),
    Mutant(
        "best starts at the first metric",
        _plateau_with(first_best=True),
        "Start with best = infinity, so the first epoch always counts as an improvement.",
    ),
    Mutant(
        "absolute threshold",
        _plateau_with(better=lambda m, best, t: m < best - t),
        "threshold is relative (PyTorch's threshold_mode='rel'): an epoch improves if its "
        "metric < best * (1 - threshold), not best - threshold.",
    ),
    Mutant(
        "no threshold",
        _plateau_with(better=lambda m, best, t: m < best),
        "An epoch counts as an improvement only if it beats the best by more than the "
        "threshold: metric < best * (1 - threshold).",
    ),
    Mutant(
        "best follows every new low",
        _plateau_with(track_lows=True),
        "Update the best value only on an improvement (a drop of more than the threshold); "
        "a slightly lower metric that is not an improvement must not become the new best.",
    ),
    Mutant(
        "rates the epochs used",
        _plateau_with(shift=True),
        "Return the rate chosen *after* each epoch's metric (what step(metric) returns), not "
        "the rate that epoch trained with.",
    ),
]

ALTERNATES["11.plateau_lrs"] = [_plateau_since_best]

# --- 11.untuned_warmup ------------------------------------------------------------------------


_ROUND = (
    "Round to the nearest whole step: round(2 / (1 - beta2)). In floating point "
    "2 / (1 - 0.999) is 1999.9999999999982, so int() gives 1999."
)


MUTANTS["11.untuned_warmup"] = [
    Mutant("truncated", lambda beta2: int(2 / (1 - beta2)), _ROUND),
    Mutant("not rounded", lambda beta2: 2 / (1 - beta2), _ROUND),
    Mutant(
        "the averaging window",
        lambda beta2: round(1 / (1 - beta2)),
        "1 / (1 - beta2) is how far back the average of squared gradients reaches; the "
        "warmup is twice as long: 2 / (1 - beta2).",
    ),
    Mutant(
        "inverted",
        lambda beta2: 2 * (1 - beta2),
        "The warmup grows as beta2 approaches 1: divide, 2 / (1 - beta2).",
    ),
    Mutant(
        "rounded up",
        lambda beta2: math.ceil(2 / (1 - beta2)),
        "Round to the nearest step, not up: round(2 / (1 - beta2)).",
    ),
]

ALTERNATES["11.untuned_warmup"] = [
    lambda beta2: int(round(2 / (1 - beta2))),
    lambda beta2: int(np.rint(2.0 / (1.0 - beta2))),
    lambda beta2: math.floor(2 / (1 - beta2) + 0.5),
]

# --- 11.adam_warmup_path ----------------------------------------------------------------------


def _adam_with(
    rate=lambda lr, k, w: lr * min(k / w, 1.0) if w else lr,
    correction=lambda beta, k: 1 - beta ** (k + 1),
    denominator=lambda v, eps: np.sqrt(v) + eps,
):
    """Adam loops with one line changed, as a learner's bug would change it."""

    def answer(hessian, x0, lr, warmup_steps, beta1, beta2, eps, steps):
        x, m, v, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
        for k in range(steps):
            g = hessian @ x
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / correction(beta1, k), v / correction(beta2, k)
            x = x - rate(lr, k, warmup_steps) * m_hat / denominator(v_hat, eps)
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return answer


def _adam_warmup_torch_form(hessian, x0, lr, warmup_steps, beta1, beta2, eps, steps):
    # PyTorch's arrangement: t counts from 1, the bias corrections fold into the step size.
    x, m, v, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g**2
        scheduled = lr if warmup_steps == 0 else lr * min((t - 1) / warmup_steps, 1.0)
        denom = np.sqrt(v) / np.sqrt(1 - beta2**t) + eps
        x = x - scheduled / (1 - beta1**t) * m / denom
        path.append(x)
    return np.array(path)


_RIGHT_STEP = (
    "The first update is step 0 of the schedule: update k (k = 0, 1, ...) uses "
    "lr * min(k / warmup_steps, 1), so with warmup it moves nothing at all. Adam's bias "
    "corrections count from t = k + 1: schedule(t - 1), not schedule(t)."
)


MUTANTS["11.adam_warmup_path"] = [
    Mutant(
        "schedule one step early",
        _adam_with(rate=lambda lr, k, w: lr * min((k + 1) / w, 1.0) if w else lr),
        _RIGHT_STEP,
    ),
    Mutant(
        "bias correction one step late",
        _adam_with(correction=lambda beta, k: 1 - beta ** (k + 2)),
        "Adam's t counts updates from 1: the first update divides m by 1 - beta1 and v by "
        "1 - beta2 (t = k + 1 for update k).",
    ),
    Mutant(
        "no bias correction",
        _adam_with(correction=lambda beta, k: 1.0),
        "Divide m by 1 - beta1**t and v by 1 - beta2**t (t = 1, 2, ...): both averages start "
        "at 0, and without the correction the first steps are far too small.",
    ),
    Mutant(
        "eps inside the root",
        _adam_with(denominator=lambda v, eps: np.sqrt(v + eps)),
        "PyTorch adds eps after the square root: m_hat / (sqrt(v_hat) + eps).",
    ),
    Mutant(
        "no warmup",
        _adam_with(rate=lambda lr, k, w: lr),
        "Scale the rate by the warmup: update k uses lr * min(k / warmup_steps, 1).",
    ),
    Mutant(
        "warmup never ends",
        _adam_with(rate=lambda lr, k, w: lr * k / w if w else lr),
        "After warmup_steps updates the rate stays at lr: lr * min(k / warmup_steps, 1).",
    ),
]

ALTERNATES["11.adam_warmup_path"] = [_adam_warmup_torch_form]

# --- 11.budget_schedule -----------------------------------------------------------------------


def _budget_with(warmup=lambda b2, T: min(round(2 / (1 - b2)), T // 10), decay=None, shift=True):
    """A warmup + cosine written out, with one choice changed as a learner's would be."""

    def answer(lr, beta2, total_steps, step):
        t = np.asarray(step, dtype=float)
        W = warmup(beta2, total_steps)
        D = total_steps - W if decay is None else decay(W, total_steps)
        since = np.clip(t - W if shift else t, 0, D)
        cosine = lr * (1 + np.cos(np.pi * since / D)) / 2
        ramp = lr * t / W if W else lr + 0 * t
        return np.where(t < W, ramp, cosine)[()]

    return answer


def _budget_loop(lr, beta2, total_steps, step):
    warmup = min(int(round(2 / (1 - beta2))), total_steps // 10)
    out = []
    for t in np.atleast_1d(step):
        if t < warmup:
            out.append(lr * t / warmup)
        else:
            fraction = min(t - warmup, total_steps - warmup) / (total_steps - warmup)
            out.append(0.5 * lr * (1 + math.cos(math.pi * fraction)))
    return np.reshape(out, np.shape(step))


_BUDGET = (
    "The cosine runs over what the warmup leaves of the budget, total_steps - W steps, so that "
    "the rate reaches 0 at step total_steps (Optax's convention, where decay_steps include the "
    "warmup; Keras's counts them after it)."
)


MUTANTS["11.budget_schedule"] = [
    Mutant("decay over the whole budget", _budget_with(decay=lambda W, T: T), _BUDGET),
    Mutant(
        "cosine not shifted",
        _budget_with(shift=False),
        "The cosine starts where the warmup ends: evaluate it at step - W, so that the rate "
        "is exactly lr at step W.",
    ),
    Mutant(
        "warmup not capped",
        _budget_with(warmup=lambda b2, T: round(2 / (1 - b2))),
        "Cap the warmup at a tenth of the budget, min(round(2 / (1 - beta2)), "
        "total_steps // 10): a warmup of 2000 steps would eat a fifth of 10,000.",
    ),
    Mutant(
        "warmup truncated",
        _budget_with(warmup=lambda b2, T: min(int(2 / (1 - b2)), T // 10)),
        _ROUND,
    ),
    Mutant(
        "warmup over the averaging window",
        _budget_with(warmup=lambda b2, T: min(round(1 / (1 - b2)), T // 10)),
        "Ma and Yarats' warmup lasts 2 / (1 - beta2) steps, twice the averaging window.",
    ),
]

ALTERNATES["11.budget_schedule"] = [_budget_loop]
