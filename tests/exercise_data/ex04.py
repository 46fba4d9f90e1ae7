"""Lecture 04's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex04.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 04.exponential_decay ---------------------------------------------------------------------


def _per_step(rate):
    """Apply a function of one step to every entry of ``step`` (the loop alternates)."""

    def answer(*args):
        *hyper, step = args
        flat = [rate(*hyper, int(s)) for s in np.ravel(step)]
        return np.reshape(flat, np.shape(step))

    return answer


def _exponent_with(exponent):
    def answer(lr, gamma, decay_steps, staircase, step):
        return lr * gamma ** exponent(np.asarray(step) / decay_steps, staircase)

    return answer


MUTANTS["04.exponential_decay"] = [
    Mutant(
        "staircase ignored",
        _exponent_with(lambda x, staircase: x),
        "With staircase=True the exponent is rounded down, gamma ** (step // decay_steps): "
        "the rate holds for decay_steps steps, then drops by gamma.",
    ),
    Mutant(
        "always staircase",
        _exponent_with(lambda x, staircase: np.floor(x)),
        "Without the staircase the exponent is the fraction step / decay_steps: the rate "
        "falls a little at every step.",
    ),
    Mutant(
        "staircase rounds up",
        _exponent_with(lambda x, staircase: np.ceil(x) if staircase else x),
        "Round the staircase's exponent down (floor), not up: the first decay_steps steps use "
        "lr itself.",
    ),
    Mutant(
        "decay_steps ignored",
        lambda lr, gamma, decay_steps, staircase, step: lr * gamma ** np.asarray(step),
        "gamma is the factor per decay_steps steps: the exponent is step / decay_steps.",
    ),
    Mutant(
        "exp of gamma",
        lambda lr, gamma, decay_steps, staircase, step: (
            lr * np.exp(-gamma * np.asarray(step) / decay_steps)
        ),
        "gamma is the factor itself, not a rate inside an exponential: lr * gamma ** "
        "(step / decay_steps).",
    ),
]

ALTERNATES["04.exponential_decay"] = [
    _per_step(
        lambda lr, gamma, decay_steps, staircase, s: (
            lr * gamma ** ((s // decay_steps) if staircase else (s / decay_steps))
        )
    ),
    lambda lr, gamma, decay_steps, staircase, step: (
        lr
        * np.exp(
            np.log(gamma)
            * (np.floor_divide(step, decay_steps) if staircase else np.divide(step, decay_steps))
        )
    ),
]

# --- 04.inverse_time_decay --------------------------------------------------------------------


MUTANTS["04.inverse_time_decay"] = [
    Mutant(
        "decay_steps multiplies",
        lambda lr, decay_rate, decay_steps, step: (
            lr / (1 + decay_rate * np.asarray(step) * decay_steps)
        ),
        "decay_steps is the unit of time: it divides the step, 1 + decay_rate * step / "
        "decay_steps.",
    ),
    Mutant(
        "square root",
        lambda lr, decay_rate, decay_steps, step: (
            lr / np.sqrt(1 + decay_rate * np.asarray(step) / decay_steps)
        ),
        "Inverse time is 1 / t, not 1 / sqrt(t): no square root.",
    ),
    Mutant(
        "linear",
        lambda lr, decay_rate, decay_steps, step: (
            lr * (1 - decay_rate * np.asarray(step) / decay_steps)
        ),
        "Divide by (1 + decay_rate * step / decay_steps); multiplying by (1 - ...) is "
        "linear decay, which turns negative.",
    ),
    Mutant(
        "exponential",
        lambda lr, decay_rate, decay_steps, step: (
            lr / (1 + decay_rate) ** (np.asarray(step) / decay_steps)
        ),
        "That falls exponentially. Inverse-time decay divides by 1 + decay_rate * step / "
        "decay_steps, which grows linearly.",
    ),
]

ALTERNATES["04.inverse_time_decay"] = [
    _per_step(lambda lr, decay_rate, decay_steps, s: lr / (1 + decay_rate * s / decay_steps)),
    lambda lr, decay_rate, decay_steps, step: (
        lr * decay_steps / (decay_steps + decay_rate * np.asarray(step))
    ),
]

# --- 04.polynomial_decay ----------------------------------------------------------------------


def _polynomial_with(fraction=lambda t, T: np.minimum(t, T) / T, form="right"):
    def answer(lr, total_steps, power, end_lr, step):
        x = fraction(np.asarray(step), total_steps)
        with np.errstate(invalid="ignore"):
            if form == "no end":
                return lr * (1 - x) ** power
            if form == "end added":
                return end_lr + lr * (1 - x) ** power
            if form == "power inside":
                return end_lr + (lr - end_lr) * (1 - x**power)
            return end_lr + (lr - end_lr) * (1 - x) ** power

    return answer


MUTANTS["04.polynomial_decay"] = [
    Mutant(
        "no clamp",
        _polynomial_with(fraction=lambda t, T: t / T),
        "After total_steps the rate stays at end_lr: clamp the step first, np.minimum(step, "
        "total_steps).",
    ),
    Mutant(
        "end ignored",
        _polynomial_with(form="no end"),
        "The decay goes from lr down to end_lr: end_lr + (lr - end_lr) * (1 - t / T) ** power.",
    ),
    Mutant(
        "end added",
        _polynomial_with(form="end added"),
        "At step 0 the rate must be lr: scale (lr - end_lr), not lr, and add end_lr.",
    ),
    Mutant(
        "power inside",
        _polynomial_with(form="power inside"),
        "The power applies to (1 - t / T) as a whole: (1 - t / T) ** power.",
    ),
    Mutant(
        "integer division",
        _polynomial_with(fraction=lambda t, T: np.minimum(t, T) // T),
        "t / T is a fraction between 0 and 1: use true division (/), not //.",
    ),
]

ALTERNATES["04.polynomial_decay"] = [
    _per_step(
        lambda lr, total_steps, power, end_lr, s: (
            end_lr + (lr - end_lr) * (1 - min(s, total_steps) / total_steps) ** power
        )
    ),
    lambda lr, total_steps, power, end_lr, step: (
        end_lr + (lr - end_lr) * np.clip(1 - np.asarray(step) / total_steps, 0, 1) ** power
    ),
]

# --- 04.half_life -----------------------------------------------------------------------------


MUTANTS["04.half_life"] = [
    Mutant(
        "sign",
        lambda gamma, decay_steps: decay_steps * np.log(2) / np.log(gamma),
        "ln(gamma) is negative: the half-life is decay_steps * ln(1/2) / ln(gamma), or "
        "decay_steps * ln(2) / -ln(gamma), a positive number.",
    ),
    Mutant(
        "decay_steps ignored",
        lambda gamma, decay_steps: np.log(0.5) / np.log(gamma),
        "gamma is the factor per decay_steps steps: the half-life in steps is decay_steps "
        "times the number of periods.",
    ),
    Mutant(
        "time constant",
        lambda gamma, decay_steps: decay_steps / (1 - gamma),
        "1 / (1 - gamma) is about the time constant (and the sum of the rates), not the "
        "half-life: solve gamma ** (t / decay_steps) = 1/2 for t.",
    ),
    Mutant(
        "mixed logarithms",
        lambda gamma, decay_steps: decay_steps * np.log10(0.5) / np.log(gamma),
        "Use the same logarithm above and below the fraction.",
    ),
]

ALTERNATES["04.half_life"] = [
    lambda gamma, decay_steps: -decay_steps / np.log2(gamma),
    lambda gamma, decay_steps: decay_steps * np.log(2) / -np.log(gamma),
]

# --- 04.final_expected_loss -------------------------------------------------------------------


def _final_with(shrink=lambda lr, L: (1 - lr * L) ** 2, noise=lambda lr, s: lr**2 * s**2, **kw):
    """The recursion m <- shrink * m + noise, with one piece changed (the mutants)."""

    def answer(lrs, L, sigma, x0):
        lrs = np.asarray(lrs, dtype=float)
        m = np.full(lrs.shape[0], float(x0) ** 2)
        for k in range(lrs.shape[1] - kw.get("skip", 0)):
            m = shrink(lrs[:, k], L) * m + noise(lrs[:, k], sigma)
        return kw.get("scale", lambda L: 0.5 * L)(L) * m

    return answer


def _final_suffix_products(lrs, L, sigma, x0):
    # m_T = x0^2 prod_k a_k + sigma^2 sum_k lr_k^2 prod_{j > k} a_j, with a_k = (1 - lr_k L)^2.
    lrs = np.asarray(lrs, dtype=float)
    a = (1 - lrs * L) ** 2
    after = np.cumprod(a[:, ::-1], axis=1)[:, ::-1]  # after[:, k] = prod_{j >= k} a_j
    later = np.concatenate([after[:, 1:], np.ones((len(lrs), 1))], axis=1)  # prod_{j > k}
    start = after[:, 0] if lrs.shape[1] else np.ones(len(lrs))
    m = x0**2 * start + sigma**2 * np.sum(lrs**2 * later, axis=1)
    return 0.5 * L * m


MUTANTS["04.final_expected_loss"] = [
    Mutant(
        "no noise",
        _final_with(noise=lambda lr, s: 0 * lr),
        "Every update also kicks x by lr_k * sigma * xi_k: add its variance, lr_k^2 sigma^2, "
        "to E[x^2].",
    ),
    Mutant(
        "noise variance not squared",
        _final_with(noise=lambda lr, s: lr**2 * s),
        "The noise has standard deviation sigma, so its variance is sigma ** 2.",
    ),
    Mutant(
        "noise with lr, not lr squared",
        _final_with(noise=lambda lr, s: lr * s**2),
        "The kick is lr_k * sigma * xi_k: its variance is lr_k ** 2 * sigma ** 2.",
    ),
    Mutant(
        "factor not squared",
        _final_with(shrink=lambda lr, L: 1 - lr * L),
        "x is multiplied by (1 - lr_k L), so E[x^2] is multiplied by (1 - lr_k L) ** 2.",
    ),
    Mutant(
        "no half",
        _final_with(scale=lambda L: L),
        "The loss is f = L x^2 / 2: return L * E[x^2] / 2.",
    ),
    Mutant(
        "E[x^2]",
        _final_with(scale=lambda L: 1.0),
        "Return the expected loss, L * E[x^2] / 2, not E[x^2] itself.",
    ),
    Mutant(
        "last rate skipped",
        _final_with(skip=1),
        "Apply every rate of the row, the last one included: the loss after the last update.",
    ),
]

ALTERNATES["04.final_expected_loss"] = [_final_suffix_products]

# --- 04.tuned_schedule ------------------------------------------------------------------------
# Experiments: every alternate meets the target, every mutant misses it (or has the wrong form).


def _one_over_t(steps, L, sigma, x0):
    return 1 / (L * (np.arange(steps) + 1))


def _slower_one_over_t(steps, L, sigma, x0):
    return 2 / (L * (np.arange(steps) + 2))


def _best_constant(steps, L, sigma, x0):
    # the best single rate for this horizon, found by a sweep: it still stalls at its floor
    rates = np.geomspace(1e-4, 1.9, 400) / L
    m = np.full_like(rates, float(x0) ** 2)
    for _ in range(steps):
        m = (1 - rates * L) ** 2 * m + rates**2 * sigma**2
    return np.full(steps, rates[np.argmin(m)])


_DECAY_FASTER = (
    "Once the noise dominates, the rate must keep falling like 1/t: a schedule that "
    "flattens out, or falls too late, ends far above the target."
)

MUTANTS["04.tuned_schedule"] = [
    Mutant(
        "constant",
        _best_constant,
        "Even the best constant rate stalls at its noise floor: " + _DECAY_FASTER,
    ),
    Mutant(
        "cosine",
        lambda steps, L, sigma, x0: 0.5 / L * (1 + np.cos(np.pi * np.arange(steps) / steps)),
        "A cosine from 1 / L spends most of its run at high rates. " + _DECAY_FASTER,
    ),
    Mutant(
        "one step decay",
        lambda steps, L, sigma, x0: np.where(np.arange(steps) < steps // 2, 1 / L, 0.1 / L),
        "One cut halfway leaves a long phase at a constant rate. " + _DECAY_FASTER,
    ),
    Mutant(
        "one rate short",
        lambda steps, L, sigma, x0: _one_over_t(steps - 1, L, sigma, x0),
        "Return one rate per update: steps of them, for updates 0 .. steps - 1.",
    ),
]

ALTERNATES["04.tuned_schedule"] = [_one_over_t, _slower_one_over_t]
