"""Lecture 05's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex05.py``; ``exercise_data`` says how these are used.
"""

import math

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 05.cosine_lr -----------------------------------------------------------------------------


def _t(step):
    return np.asarray(step, dtype=float)


def _cosine_with(fraction, amplitude=lambda lr, m: lr - m, base=lambda m: m, half=2.0):
    def cosine_lr(step, lr, total_steps, min_lr):
        x = fraction(_t(step), total_steps)
        return base(min_lr) + amplitude(lr, min_lr) * (1 + np.cos(np.pi * x)) / half

    return cosine_lr


def _clamped(t, total):
    return np.minimum(t, total) / total


def _cosine_loop(step, lr, total_steps, min_lr):
    out = []
    for t in np.atleast_1d(step).tolist():
        t = min(t, total_steps)
        out.append(min_lr + (lr - min_lr) * (1 + math.cos(math.pi * t / total_steps)) / 2)
    return np.array(out) if np.ndim(step) else out[0]


def _cosine_where(step, lr, total_steps, min_lr):
    t = np.asarray(step)
    cosine = min_lr + 0.5 * (lr - min_lr) * (1 + np.cos(np.pi * t / total_steps))
    return np.where(t >= total_steps, min_lr, cosine)


_CLAMP = (
    "Hold min_lr from step total_steps on: np.minimum(step, total_steps). Without the clamp the "
    "cosine turns around and climbs back to lr at 2 * total_steps, as PyTorch's "
    "CosineAnnealingLR does."
)


MUTANTS["05.cosine_lr"] = [
    Mutant("periodic, like PyTorch", _cosine_with(lambda t, total: t / total), _CLAMP),
    Mutant(
        "decays to zero",
        _cosine_with(_clamped, amplitude=lambda lr, m: lr, base=lambda m: 0.0),
        "The cosine goes from lr down to min_lr, not to 0: "
        "min_lr + (lr - min_lr) * (1 + cos(pi * t / T)) / 2.",
    ),
    Mutant(
        "min_lr added on top",
        _cosine_with(_clamped, amplitude=lambda lr, m: lr),
        "Scale the cosine by lr - min_lr, so that it starts at lr (not lr + min_lr).",
    ),
    Mutant(
        "no half",
        _cosine_with(_clamped, half=1.0),
        "(1 + cos) runs from 2 to 0: divide it by 2 to go from lr to min_lr.",
    ),
    Mutant(
        "a whole period",
        _cosine_with(lambda t, total: 2 * _clamped(t, total)),
        "Half a cosine period over the horizon: cos(pi * t / T), not cos(2 * pi * t / T).",
    ),
    Mutant(
        "ends one step early",
        _cosine_with(lambda t, total: np.minimum(t, total - 1) / max(total - 1, 1)),
        "The rate reaches min_lr at step total_steps, not total_steps - 1: use t / total_steps.",
    ),
]

ALTERNATES["05.cosine_lr"] = [_cosine_loop, _cosine_where]

# --- 05.prepend_warmup ------------------------------------------------------------------------


def _ramp_with(fraction, factor=lambda s: s, overlay=False, target=lambda lrs, t: lrs[0]):
    def prepend_warmup(lrs, warmup_steps, start_factor):
        lrs = np.asarray(lrs, dtype=float)
        t = np.arange(warmup_steps)
        s = factor(start_factor)
        ramp = target(lrs, t) * (s + (1 - s) * fraction(t, warmup_steps))
        if overlay:
            return np.concatenate([ramp, lrs[warmup_steps:]])[: len(lrs)]
        return np.concatenate([ramp, lrs])

    return prepend_warmup


def _warmup_linspace(lrs, warmup_steps, start_factor):
    peak = lrs[0]
    return np.concatenate([np.linspace(start_factor * peak, peak, warmup_steps), lrs])


def _warmup_loop(lrs, warmup_steps, start_factor):
    out = []
    for t in range(warmup_steps):
        out.append(lrs[0] * (start_factor + (1 - start_factor) * t / warmup_steps))
    return np.array(out + list(lrs))


def _warmup_endpoint(lrs, warmup_steps, start_factor):
    ramp = np.linspace(start_factor, 1.0, warmup_steps + 1)[:-1] * lrs[0]
    return np.concatenate([ramp, lrs])


_FIRST = (
    "The first update, step 0, uses start_factor * peak, and the ramp rises by "
    "(1 - start_factor) * peak / warmup_steps per step: "
    "peak * (start_factor + (1 - start_factor) * t / warmup_steps) for t < warmup_steps. The peak "
    "itself is reached at step warmup_steps, where lrs[0] takes over."
)


MUTANTS["05.prepend_warmup"] = [
    Mutant("one step ahead", _ramp_with(lambda t, w: (t + 1) / w), _FIRST),
    Mutant("reaches the peak one step early", _warmup_linspace, _FIRST),
    Mutant(
        "from zero",
        _ramp_with(lambda t, w: t / w, factor=lambda s: 0.0),
        "Start the ramp at start_factor * peak, not at 0.",
    ),
    Mutant(
        "overlaid",
        _ramp_with(lambda t, w: t / w, overlay=True),
        "The schedule behind the warmup counts its own steps from warmup_steps on: return "
        "warmup_steps + len(lrs) rates, the ramp followed by all of lrs.",
    ),
    Mutant(
        "ramps towards each rate",
        _ramp_with(lambda t, w: t / w, target=lambda lrs, t: lrs[np.minimum(t, len(lrs) - 1)]),
        "Ramp towards the schedule's first rate, lrs[0] (its peak), at every warmup step.",
    ),
]

ALTERNATES["05.prepend_warmup"] = [_warmup_loop, _warmup_endpoint]

# --- 05.restart_steps -------------------------------------------------------------------------


def _restarts_with(start, first=1, inclusive=False):
    """Restart steps start(period, m, k) for k = first, first + 1, ... while they fit."""

    def restart_steps(period, period_mult, total_steps):
        out = []
        for k in range(first, first + 64):  # bounded: a wrong formula may never pass the end
            t = start(period, period_mult, k)
            if t > total_steps or (t == total_steps and not inclusive):
                break
            out.append(t)
        return np.array(out, dtype=int)

    return restart_steps


def _closed(p, m, k):
    return p * (m**k - 1) // (m - 1) if m > 1 else p * k


def _restarts_loop(period, period_mult, total_steps):
    out, start, length = [], 0, period
    while start + length < total_steps:
        start += length
        length *= period_mult
        out.append(start)
    return np.array(out, dtype=int)


def _restarts_closed(period, period_mult, total_steps):
    m = period_mult
    starts = [period * k if m == 1 else period * (m**k - 1) // (m - 1) for k in range(1, 64)]
    return np.array([t for t in starts if t < total_steps], dtype=int)


_SUM = (
    "The k-th restart comes after the first k cycles: period * (1 + m + ... + m^(k-1)) = "
    "period * (m^k - 1) / (m - 1) steps (k * period when m = 1)."
)


MUTANTS["05.restart_steps"] = [
    Mutant(
        "step 0 included",
        _restarts_with(_closed, first=0),
        "Step 0 is the start, not a restart: list the steps 0 < t < total_steps.",
    ),
    Mutant(
        "total_steps included",
        _restarts_with(_closed, inclusive=True),
        "The updates are steps 0 .. total_steps - 1: a restart at total_steps never happens.",
    ),
    Mutant("one cycle's length", _restarts_with(lambda p, m, k: p * m ** (k - 1)), _SUM),
    Mutant("no division", _restarts_with(lambda p, m, k: p * (m**k - 1) or p * k), _SUM),
    Mutant(
        "one step early",
        _restarts_with(lambda p, m, k: _closed(p, m, k) - 1),
        "Cycle 0 covers steps 0 .. period - 1, so the first restart is step period itself.",
    ),
]

ALTERNATES["05.restart_steps"] = [_restarts_loop, _restarts_closed]

# --- 05.one_cycle_lr --------------------------------------------------------------------------


def _half_cosine(start, end, x):
    return end + (start - end) * (1 + np.cos(np.pi * x)) / 2


def _cycle_with(peak_at, end_at, final=lambda m: m / 25 / 1e4, hold=True, shape=_half_cosine,
                start=lambda m: m / 25):  # fmt: skip
    def one_cycle_lr(step, max_lr, total_steps, pct_start):
        t = _t(step)
        p, e = peak_at(pct_start, total_steps), end_at(total_steps)
        if hold:
            t = np.minimum(t, e)
        up = shape(start(max_lr), max_lr, np.clip(t / p, 0, 1))
        down = shape(max_lr, final(max_lr), (t - p) / (e - p))
        return np.where(t <= p, up, down)

    return one_cycle_lr


def _peak(pct, total):
    return pct * total - 1


def _end(total):
    return total - 1


def _one_cycle_loop(step, max_lr, total_steps, pct_start):
    initial = max_lr / 25
    final = initial / 1e4
    peak, end = pct_start * total_steps - 1, total_steps - 1
    out = []
    for t in np.atleast_1d(step).tolist():
        t = min(t, end)
        if t <= peak:
            x, a, b = t / peak, initial, max_lr
        else:
            x, a, b = (t - peak) / (end - peak), max_lr, final
        out.append(b + (a - b) * (1 + math.cos(math.pi * x)) / 2)
    return np.array(out) if np.ndim(step) else out[0]


MUTANTS["05.one_cycle_lr"] = [
    Mutant(
        "phases one step late",
        _cycle_with(lambda pct, total: pct * total, lambda total: total),
        "The rate peaks at step pct_start * total_steps - 1 and reaches its final value at "
        "step total_steps - 1, the last update (PyTorch's OneCycleLR; Optax's is one step "
        "later).",
    ),
    Mutant(
        "final = max_lr / final_div_factor",
        _cycle_with(_peak, _end, final=lambda m: m / 1e4),
        "The final rate is the initial one divided by final_div_factor: "
        "max_lr / 25 / 1e4, not max_lr / 1e4.",
    ),
    Mutant(
        "not held",
        _cycle_with(_peak, _end, hold=False),
        "After step total_steps - 1 hold the final rate (np.minimum(step, total_steps - 1)); "
        "PyTorch's OneCycleLR extrapolates its cosine there instead.",
    ),
    Mutant(
        "linear",
        _cycle_with(_peak, _end, shape=lambda a, b, x: a + (b - a) * x),
        "Both phases follow half a cosine: end + (start - end) * (1 + cos(pi * x)) / 2.",
    ),
    Mutant(
        "starts at max_lr / 10",
        _cycle_with(_peak, _end, start=lambda m: m / 10, final=lambda m: m / 10 / 1e4),
        "The first rate is max_lr / div_factor with div_factor = 25.",
    ),
]

ALTERNATES["05.one_cycle_lr"] = [_one_cycle_loop, _cycle_with(_peak, _end)]

# --- 05.wsd_lr --------------------------------------------------------------------------------


def _wsd_with(cooldown=lambda x: 1 - np.sqrt(x), warm=lambda t, w: t / w, shift=0, clip=True):
    def wsd_lr(step, lr, total_steps, warmup_steps, decay_steps):
        t = _t(step)
        start = total_steps - decay_steps
        x = (t - start + shift) / decay_steps
        x = np.clip(x, 0, 1) if clip else np.maximum(x, 0)
        with np.errstate(invalid="ignore"):
            cool = lr * cooldown(x)
        ramp = lr * warm(t, max(warmup_steps, 1))
        return np.where(t < warmup_steps, ramp, np.where(t < start, lr, cool))

    return wsd_lr


def _wsd_loop(step, lr, total_steps, warmup_steps, decay_steps):
    out = []
    for t in np.atleast_1d(step).tolist():
        if t < warmup_steps:
            out.append(lr * t / warmup_steps)
        elif t < total_steps - decay_steps:
            out.append(lr)
        else:
            x = min((t - (total_steps - decay_steps)) / decay_steps, 1.0)
            out.append(lr * (1 - math.sqrt(x)))
    return np.array(out) if np.ndim(step) else out[0]


MUTANTS["05.wsd_lr"] = [
    Mutant(
        "linear cooldown",
        _wsd_with(cooldown=lambda x: 1 - x),
        "The cooldown follows 1 - sqrt(x), x going from 0 to 1 over the last decay_steps "
        "steps: it drops fast at first and slowly at the end.",
    ),
    Mutant(
        "sqrt(1 - x)",
        _wsd_with(cooldown=lambda x: np.sqrt(1 - x)),
        "1 - sqrt(x), not sqrt(1 - x): the cooldown drops fast at first.",
    ),
    Mutant(
        "cooldown one step early",
        _wsd_with(shift=1),
        "The cooldown starts at step total_steps - decay_steps with x = 0 (the rate is still "
        "lr there) and x = (t - (total_steps - decay_steps)) / decay_steps.",
    ),
    Mutant(
        "warmup one step ahead",
        _wsd_with(warm=lambda t, w: (t + 1) / w),
        "The warmup starts from 0: step t < warmup_steps uses lr * t / warmup_steps.",
    ),
    Mutant(
        "not clamped",
        _wsd_with(clip=False),
        "After the last step of the cooldown hold the rate at 0: clip x to [0, 1].",
    ),
]

ALTERNATES["05.wsd_lr"] = [_wsd_loop]
