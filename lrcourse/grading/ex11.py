"""Exercises of lecture 11: adaptive methods together with schedules.

PyTorch's reduce-on-plateau rule, Ma and Yarats' warmup length 2 / (1 - beta2), Adam under a
linear warmup with the schedule evaluated at the right step, and a warmup plus cosine decay that
fits a fixed budget. References come from ``lrcourse.schedules.ReduceOnPlateau``,
``lrcourse.optimizers.adam`` and ``lrcourse.explorers.adaptive``.
"""

import math

import numpy as np

from lrcourse.explorers.adaptive import example_curve, untuned_warmup, warmup_decay
from lrcourse.optimizers import adam
from lrcourse.problems import Quadratic
from lrcourse.schedules import ReduceOnPlateau, constant, linear_warmup

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden
from .spec import Exercise, Hidden, Mutant

TITLE = "Adaptive methods with schedules"
NOTEBOOK = "11_adaptive_with_schedules"

# The learner writes these rules; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "ReduceOnPlateau": "uses lrcourse's ReduceOnPlateau",
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.schedules": "uses lrcourse.schedules",
    "lrcourse.explorers": "uses lrcourse.explorers",
}

A = np.array


# --- 11.plateau_lrs ----------------------------------------------------------------------------


def _plateau_lrs(metrics, lr, factor, patience, threshold, cooldown):
    plateau = ReduceOnPlateau(
        lr, factor=factor, patience=patience, threshold=threshold, cooldown=cooldown
    )
    return np.array([float(plateau.step(metric)) for metric in metrics])


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

plateau_lrs = Exercise(
    id="11.plateau_lrs",
    title="Reduce on plateau, as PyTorch does it",
    reference=_plateau_lrs,
    cases=[
        dict(
            metrics=A([5.0, 4, 4, 4, 4, 4]),
            lr=1.0,
            factor=0.1,
            patience=1,
            threshold=1e-4,
            cooldown=0,
        ),
        dict(
            metrics=A([3.0, 2, 2, 1, 1, 1]),
            lr=0.2,
            factor=0.5,
            patience=0,
            threshold=1e-4,
            cooldown=0,
        ),
        dict(
            metrics=A([1.0, 0.995, 0.986, 0.984, 0.983, 0.98]),
            lr=0.1,
            factor=0.5,
            patience=1,
            threshold=0.01,
            cooldown=0,
        ),
        dict(
            metrics=A([0.2, 0.185, 0.17, 0.16, 0.15, 0.149, 0.148, 0.147]),
            lr=0.01,
            factor=0.3,
            patience=1,
            threshold=0.05,
            cooldown=0,
        ),
        dict(
            metrics=A([1.0, 1, 1, 0.5, 0.6, 0.6, 0.6, 0.6]),
            lr=0.1,
            factor=0.1,
            patience=1,
            threshold=1e-4,
            cooldown=2,
        ),
        dict(metrics=A([1.0] * 10), lr=0.1, factor=0.1, patience=2, threshold=1e-4, cooldown=1),
        dict(
            metrics=example_curve(25).round(4),
            lr=0.02,
            factor=0.5,
            patience=2,
            threshold=1e-4,
            cooldown=0,
        ),
    ],
    mutants=[
        Mutant(
            "on the patience-th bad epoch", _plateau_with(cut_when=lambda b, p: b >= p), _PATIENCE
        ),
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
    ],
    alternates=[_plateau_since_best],
    hints={"shape": "Return one rate per metric: an array of len(metrics) numbers."},
    hidden_cases=[
        Hidden(
            "a long run with several plateaus and a cooldown",
            dict(
                metrics=A(
                    [2.0, 1.5, 1.2, 1.19, 1.19, 1.18, 1.0, 0.9, 0.9, 0.9]
                    + [0.9, 0.85, 0.85, 0.85, 0.85, 0.84, 0.7, 0.7, 0.7, 0.7]
                ),
                lr=0.1,
                factor=0.5,
                patience=2,
                threshold=0.02,
                cooldown=1,
            ),
        ),
        Hidden(
            "patience = 0 with a cooldown",
            dict(
                metrics=A([1.0, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5]),
                lr=0.3,
                factor=0.2,
                patience=0,
                threshold=1e-4,
                cooldown=2,
            ),
        ),
        Hidden(
            "a metric on a larger scale (around 100)",
            dict(
                metrics=A([100.0, 99.5, 99.0, 98.8, 97.5, 97.4, 97.3, 97.2]),
                lr=0.1,
                factor=0.5,
                patience=1,
                threshold=0.01,
                cooldown=0,
            ),
        ),
        Hidden(
            "a metric that rises after improving",
            dict(
                metrics=A([1.0, 0.8, 0.9, 1.0, 1.1, 0.7, 0.75, 0.8]),
                lr=0.05,
                factor=0.1,
                patience=1,
                threshold=1e-3,
                cooldown=0,
            ),
        ),
    ],
)


# --- 11.untuned_warmup -------------------------------------------------------------------------


_ROUND = (
    "Round to the nearest whole step: round(2 / (1 - beta2)). In floating point "
    "2 / (1 - 0.999) is 1999.9999999999982, so int() gives 1999."
)

untuned_warmup_exercise = Exercise(
    id="11.untuned_warmup",
    title="The untuned warmup length 2 / (1 - beta2)",
    reference=lambda beta2: untuned_warmup(beta2),
    cases=[dict(beta2=b) for b in (0.999, 0.99, 0.98, 0.9999, 0.95, 0.9985, 0.9)],
    mutants=[
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
    ],
    alternates=[
        lambda beta2: int(round(2 / (1 - beta2))),
        lambda beta2: int(np.rint(2.0 / (1.0 - beta2))),
        lambda beta2: math.floor(2 / (1 - beta2) + 0.5),
    ],
    hidden_cases=[
        Hidden("beta2 closer to 1 than in the visible cases", dict(beta2=0.99995)),
        Hidden("a beta2 for which 2 / (1 - beta2) is not a whole number", dict(beta2=0.997)),
        Hidden("a small beta2", dict(beta2=0.8)),
    ],
)


# --- 11.adam_warmup_path -----------------------------------------------------------------------


def _adam_warmup_path(hessian, x0, lr, warmup_steps, beta1, beta2, eps, steps):
    schedule = constant(lr) if warmup_steps == 0 else linear_warmup(constant(lr), warmup_steps)
    problem, opt = Quadratic(hessian), adam(lr=schedule, betas=(beta1, beta2), eps=eps)
    x, state, path = x0, opt.init(x0), [x0]
    for _ in range(steps):
        x, state = opt.step(x, problem.grad(x), state)
        path.append(x)
    return np.array(path)


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

adam_warmup_path = Exercise(
    id="11.adam_warmup_path",
    title="Adam with a linear warmup, each rate at the right step",
    reference=_adam_warmup_path,
    cases=[
        dict(
            hessian=DIAG,
            x0=A([1.0, 1.0]),
            lr=0.1,
            warmup_steps=4,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            steps=8,
        ),
        dict(
            hessian=TILTED,
            x0=A([-2.0, 1.5]),
            lr=0.3,
            warmup_steps=5,
            beta1=0.9,
            beta2=0.99,
            eps=1e-8,
            steps=12,
        ),
        dict(
            hessian=ONE, x0=A([2.0]), lr=0.5, warmup_steps=2, beta1=0.5, beta2=0.9, eps=0.1, steps=6
        ),
        dict(
            hessian=DENSE,
            x0=A([1.0, -1.0, 2.0]),
            lr=0.05,
            warmup_steps=10,
            beta1=0.8,
            beta2=0.95,
            eps=1e-6,
            steps=15,
        ),
        dict(
            hessian=DIAG,
            x0=A([0.5, -0.5]),
            lr=0.1,
            warmup_steps=0,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            steps=5,
        ),
        dict(
            hessian=DIAG,
            x0=A([3.0, -1.0]),
            lr=0.1,
            warmup_steps=3,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            steps=0,
        ),
    ],
    mutants=[
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
    ],
    alternates=[_adam_warmup_torch_form],
    hidden_cases=path_hidden(
        dict(lr=0.05, warmup_steps=4, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(lr=0.02, warmup_steps=15, beta1=0.9, beta2=0.99, eps=1e-8),
        dict(lr=0.1, warmup_steps=3, beta1=0.8, beta2=0.9, eps=1e-6),
    )
    + [
        Hidden(
            "a warmup longer than the run",
            dict(
                hessian=TILTED,
                x0=A([1.0, -1.0]),
                lr=0.3,
                warmup_steps=20,
                beta1=0.9,
                beta2=0.999,
                eps=1e-8,
                steps=8,
            ),
        ),
        Hidden(
            "warmup_steps = 1",
            dict(
                hessian=DIAG,
                x0=A([2.0, -1.0]),
                lr=0.1,
                warmup_steps=1,
                beta1=0.9,
                beta2=0.99,
                eps=1e-8,
                steps=6,
            ),
        ),
    ],
    hints={
        "shape": "Return steps + 1 points: x0 first, then one point after each update.",
        "nan": "A NaN here usually means dividing by 1 - beta**0 = 0 in a bias correction "
        "(t counts from 1), or by warmup_steps = 0 (no warmup: the rate is lr throughout).",
    },
)


# --- 11.budget_schedule ------------------------------------------------------------------------


def _budget_schedule(lr, beta2, total_steps, step):
    warmup = min(untuned_warmup(beta2), total_steps // 10)
    return warmup_decay(lr, warmup, total_steps, "cosine")(step)


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

budget_schedule = Exercise(
    id="11.budget_schedule",
    title="Warmup and cosine decay within a fixed budget",
    reference=_budget_schedule,
    cases=[
        dict(
            lr=1e-3,
            beta2=0.999,
            total_steps=10_000,
            step=A([0, 1, 500, 999, 1000, 1001, 5000, 9999, 10_000, 12_000]),
        ),
        dict(lr=0.01, beta2=0.99, total_steps=5000, step=A([0, 100, 199, 200, 201, 2600, 4999])),
        dict(lr=3e-4, beta2=0.999, total_steps=30_000, step=A([0, 1, 1000, 1999, 2000, 16_000])),
        dict(lr=0.1, beta2=0.9, total_steps=100, step=np.arange(0, 101, 5)),
        dict(lr=1.0, beta2=0.98, total_steps=1000, step=100),
        dict(lr=0.5, beta2=0.999, total_steps=50, step=A([0, 2, 4, 5, 6, 27, 49, 50])),
    ],
    mutants=[
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
    ],
    alternates=[_budget_loop],
    hints={"shape": "Return one rate per step: the same shape as `step` (a number for a number)."},
    hidden_cases=[
        Hidden(
            "a long budget in which the untuned warmup fits",
            dict(
                lr=2e-3,
                beta2=0.9995,
                total_steps=100_000,
                step=A([0, 1, 1999, 3999, 4000, 4001, 50_000, 99_999, 100_000, 150_000]),
            ),
        ),
        Hidden("an int step in the warmup", dict(lr=0.05, beta2=0.99, total_steps=3000, step=57)),
        Hidden(
            "the smallest budget, T = 10",
            dict(lr=0.4, beta2=0.99, total_steps=10, step=np.arange(12)),
        ),
        Hidden("an int step past the budget", dict(lr=0.3, beta2=0.95, total_steps=500, step=777)),
    ],
)

EXERCISES = [plateau_lrs, untuned_warmup_exercise, adam_warmup_path, budget_schedule]
