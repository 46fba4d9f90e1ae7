"""Lecture 13's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex13.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 13.torch_eps -----------------------------------------------------------------------------

MUTANTS["13.torch_eps"] = [
    Mutant(
        "multiplied",
        lambda epsilon, beta_2, t: epsilon * np.sqrt(1 - beta_2 ** np.asarray(t)),
        "Keras's epsilon sits next to the uncorrected sqrt(v), which is sqrt(1 - beta_2**t) "
        "times smaller than PyTorch's sqrt(v_hat): PyTorch's eps is the larger one, early on.",
    ),
    Mutant(
        "unchanged",
        lambda epsilon, beta_2, t: epsilon + 0 * np.asarray(t, dtype=float),
        "The same number is not the same eps: Keras adds it before the bias correction, so in "
        "PyTorch's form it is divided by sqrt(1 - beta_2**t), a different value every update.",
    ),
    Mutant(
        "no square root",
        lambda epsilon, beta_2, t: epsilon / (1 - beta_2 ** np.asarray(t)),
        "The correction of v is 1 - beta_2**t; the denominator of the step is sqrt(v), so eps "
        "moves by its square root.",
    ),
    Mutant(
        "t from 0",
        lambda epsilon, beta_2, t: epsilon / np.sqrt(1 - beta_2 ** (np.asarray(t) + 1)),
        "t counts updates from 1, as Adam's bias correction does: at the first update t = 1.",
    ),
]

ALTERNATES["13.torch_eps"] = [
    lambda epsilon, beta_2, t: epsilon * (1 - np.power(beta_2, t)) ** -0.5,
    lambda epsilon, beta_2, t: np.vectorize(lambda k: epsilon / (1 - beta_2**k) ** 0.5)(t),
]

# --- 13.lambda_factor -------------------------------------------------------------------------


def _factor_loop(step, base_lr, peak, warmup_steps, total_steps):
    def rate(t):
        if t < warmup_steps:
            return peak * t / warmup_steps
        decay = total_steps - warmup_steps
        x = min(t - warmup_steps, decay) / decay
        return peak * (1 + np.cos(np.pi * x)) / 2

    flat = [rate(int(t)) / base_lr for t in np.ravel(step)]
    return np.reshape(flat, np.shape(step))


def _factor_where(step, base_lr, peak, warmup_steps, total_steps):
    t = np.asarray(step, dtype=float)
    x = np.clip((t - warmup_steps) / (total_steps - warmup_steps), 0, 1)
    rate = np.where(t < warmup_steps, peak * t / warmup_steps, peak * (1 + np.cos(np.pi * x)) / 2)
    return rate / base_lr


def _cosine_lasting(decay):
    """The factor with a cosine of ``decay`` steps after the warmup (Keras's convention)."""

    def factor(step, base_lr, peak, warmup_steps, total_steps):
        t = np.asarray(step, dtype=float)
        x = np.clip((t - warmup_steps) / decay, 0, 1)
        cosine = peak * (1 + np.cos(np.pi * x)) / 2
        return np.where(t < warmup_steps, peak * t / warmup_steps, cosine) / base_lr

    return factor


MUTANTS["13.lambda_factor"] = [
    Mutant(
        "the rate, not a factor",
        lambda step, base_lr, peak, warmup_steps, total_steps: (
            _factor_where(step, base_lr, peak, warmup_steps, total_steps) * base_lr
        ),
        "LambdaLR multiplies the optimizer's own lr by your function's value: return "
        "schedule(step) / base_lr, not the rate itself.",
    ),
    Mutant(
        "cosine after the whole horizon",
        lambda step, base_lr, peak, warmup_steps, total_steps: _cosine_lasting(total_steps)(
            step, base_lr, peak, warmup_steps, total_steps
        ),
        "total_steps counts the warmup too (Optax's convention): the cosine lasts "
        "total_steps - warmup_steps updates and reaches 0 at step total_steps.",
    ),
    Mutant(
        "cosine from step 0",
        lambda step, base_lr, peak, warmup_steps, total_steps: (
            np.where(
                np.asarray(step) < warmup_steps,
                peak * np.asarray(step) / warmup_steps,
                peak * (1 + np.cos(np.pi * np.minimum(step, total_steps) / total_steps)) / 2,
            )
            / base_lr
        ),
        "The cosine starts where the warmup ends: it counts its own steps from warmup_steps, so "
        "step warmup_steps is its step 0, at the peak.",
    ),
    Mutant(
        "warmup one step ahead",
        lambda step, base_lr, peak, warmup_steps, total_steps: np.where(
            np.asarray(step) < warmup_steps,
            peak * (np.asarray(step) + 1) / warmup_steps / base_lr,
            _factor_where(step, base_lr, peak, warmup_steps, total_steps),
        ),
        "The warmup starts from 0 at step 0 (the first update moves nothing) and reaches the "
        "peak at step warmup_steps.",
    ),
]

ALTERNATES["13.lambda_factor"] = [_factor_loop, _factor_where]

# --- 13.torch_rmsprop_updates -----------------------------------------------------------------


def _rmsprop_with(denominator, first=None):
    """RMSProp updates with a given denominator(v, eps); ``first`` starts v (default 0)."""

    def updates(grads, lr, alpha, eps):
        grads = np.asarray(grads, dtype=float)
        v = np.zeros(grads.shape[1:]) if first is None else first(grads)
        out = []
        for g in grads:
            v = alpha * v + (1 - alpha) * g**2
            out.append(-lr * g / denominator(v, eps))
        return np.array(out)

    return updates


def _rmsprop_vectorised(grads, lr, alpha, eps):
    grads = np.asarray(grads, dtype=float)
    k = np.arange(len(grads))
    weights = (1 - alpha) * alpha ** (k[:, None] - k[None, :]) * (k[:, None] >= k[None, :])
    v = np.tensordot(weights, grads**2, axes=1)
    return -lr * grads / (np.sqrt(v) + eps)


MUTANTS["13.torch_rmsprop_updates"] = [
    Mutant(
        "the planted bug",
        _rmsprop_with(lambda v, eps: np.sqrt(v + eps)),
        "eps is still inside the square root, as Keras and Optax put it. PyTorch adds it "
        "outside: sqrt(v) + eps. The two differ most for small gradients.",
    ),
    Mutant(
        "weights swapped",
        lambda grads, lr, alpha, eps: _swapped(grads, lr, alpha, eps),
        "The average keeps alpha of the old value and adds (1 - alpha) of the new g**2.",
    ),
    Mutant(
        "eps squared inside",
        _rmsprop_with(lambda v, eps: np.sqrt(v + eps**2)),
        "Moving eps inside as eps**2 only approximates sqrt(v) + eps; PyTorch adds eps itself, "
        "after the square root.",
    ),
]


def _swapped(grads, lr, alpha, eps):
    grads = np.asarray(grads, dtype=float)
    v, out = np.zeros(grads.shape[1:]), []
    for g in grads:
        v = (1 - alpha) * v + alpha * g**2
        out.append(-lr * g / (np.sqrt(v) + eps))
    return np.array(out)


ALTERNATES["13.torch_rmsprop_updates"] = [
    _rmsprop_with(lambda v, eps: np.sqrt(v) + eps),
    _rmsprop_vectorised,
]
