"""Lecture 10's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex10.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from lrcourse.grading.ex10 import _T_FROM_ZERO

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 10.adam_path -----------------------------------------------------------------------------


def _adam_loop(
    corrections=lambda t, b1, b2: (1 - b1**t, 1 - b2**t),
    denominator=lambda v, bc2, eps: np.sqrt(v / bc2) + eps,
    first_t=1,
    decay=None,
    second=lambda v, v_max, bc2: (v, v_max),
):
    """An Adam loop with replaceable lines, as a learner's bug would change them.

    ``decay(x, g, lr, wd) -> (x, g)`` applies weight decay (AdamW's or a wrong one);
    ``second(v, v_max, bc2) -> (what to divide by, new v_max)`` is AMSGrad's line."""

    def run(hessian, x0, lr, beta1, beta2, eps, steps, weight_decay=0.0):
        x, m, v = x0, np.zeros(len(x0)), np.zeros(len(x0))
        v_max, path = np.zeros(len(x0)), [x0]
        for t in range(first_t, first_t + steps):
            g = hessian @ x
            if decay is not None:
                x, g = decay(x, g, lr, weight_decay, hessian)
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            bc1, bc2 = corrections(t, beta1, beta2)
            used, v_max = second(v, v_max, bc2)
            with np.errstate(divide="ignore", invalid="ignore"):
                x = x - lr * (m / bc1) / denominator(used, bc2, eps)
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _with_wd(loop):
    """``loop`` as a function of AdamW's parameters (weight_decay before steps)."""

    def run(hessian, x0, lr, beta1, beta2, eps, weight_decay, steps):
        return loop(hessian, x0, lr, beta1, beta2, eps, steps, weight_decay)

    return run


def _adam_epsilon_hat(hessian, x0, lr, beta1, beta2, eps, steps):
    # The paper's "efficient" form: fold both corrections into the rate, and rescale eps so
    # that it still sits after the correction: eps_hat = eps * sqrt(1 - beta2**t).
    x, m, v, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        m = m + (1 - beta1) * (g - m)
        v = v + (1 - beta2) * (g * g - v)
        lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
        x = x - lr_t * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2**t))
        path.append(x)
    return np.array(path).reshape(-1, len(x0))


def _adam_history(hessian, x0, lr, beta1, beta2, eps, steps):
    # Every gradient kept; m_hat and v_hat as weighted means whose weights sum to 1.
    path, grads = [x0], []
    for t in range(1, steps + 1):
        grads.append(hessian @ path[-1])
        age = np.arange(t - 1, -1, -1.0)
        w1, w2 = beta1**age * (1 - beta1), beta2**age * (1 - beta2)
        m_hat = w1 @ np.array(grads) / w1.sum()
        v_hat = w2 @ np.square(grads) / w2.sum()
        path.append(path[-1] - lr * m_hat / (np.sqrt(v_hat) + eps))
    return np.array(path)


_NO_CORRECTION = (
    "Divide both averages by their bias corrections, m / (1 - beta1**t) and v / (1 - beta2**t): "
    "they start at 0, so early on they are too small. Without the corrections the first step is "
    "3.16 times too large at the default betas."
)


_EPS_INSIDE = (
    "PyTorch adds eps after the square root and after the bias correction: "
    "sqrt(v / (1 - beta2**t)) + eps. Inside the root, or before the correction (as Keras "
    "does), it is a different optimizer when eps is not tiny."
)


MUTANTS["10.adam_path"] = [
    Mutant("no bias correction", _adam_loop(corrections=lambda t, b1, b2: (1, 1)), _NO_CORRECTION),
    Mutant(
        "only the first moment corrected",
        _adam_loop(corrections=lambda t, b1, b2: (1 - b1**t, 1)),
        "Correct the second moment too: v_hat = v / (1 - beta2**t). Without it the early "
        "steps are too large by 1 / sqrt(1 - beta2**t) (31.6 times at the first step).",
    ),
    Mutant(
        "only the second moment corrected",
        _adam_loop(corrections=lambda t, b1, b2: (1, 1 - b2**t)),
        "Correct the first moment too: m_hat = m / (1 - beta1**t). Without it the early "
        "steps are too small by (1 - beta1**t).",
    ),
    Mutant("t from 0", _adam_loop(first_t=0), _T_FROM_ZERO),
    Mutant(
        "eps inside the root",
        _adam_loop(denominator=lambda v, bc2, eps: np.sqrt(v / bc2 + eps)),
        _EPS_INSIDE,
    ),
    Mutant(
        "eps before the correction",
        _adam_loop(denominator=lambda v, bc2, eps: (np.sqrt(v) + eps) / np.sqrt(bc2)),
        _EPS_INSIDE,
    ),
    Mutant(
        "betas swapped",
        lambda hessian, x0, lr, beta1, beta2, eps, steps: _adam_loop()(
            hessian, x0, lr, beta2, beta1, eps, steps
        ),
        "beta1 averages the gradient (m), beta2 its square (v): m = beta1 * m + "
        "(1 - beta1) * g and v = beta2 * v + (1 - beta2) * g**2.",
    ),
]

ALTERNATES["10.adam_path"] = [_adam_epsilon_hat, _adam_history]

# --- 10.adamw_path ----------------------------------------------------------------------------


def _decoupled(x, g, lr, wd, hessian):
    return x * (1 - lr * wd), g


def _adamw_after(hessian, x0, lr, beta1, beta2, eps, weight_decay, steps):
    # Decay applied after the Adam step instead of before: (x - lr * u) * (1 - lr * wd).
    x, m, v, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        u = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        x = (x - lr * u) * (1 - lr * weight_decay)
        path.append(x)
    return np.array(path).reshape(-1, len(x0))


def _adamw_subtract(hessian, x0, lr, beta1, beta2, eps, weight_decay, steps):
    # The decay as a separate term of the same update: x - lr * wd * x - lr * u.
    x, m, v, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        m = m + (1 - beta1) * (g - m)
        v = v + (1 - beta2) * (g**2 - v)
        u = m / (1 - beta1**t) / (np.sqrt(v) / np.sqrt(1 - beta2**t) + eps)
        x = x - lr * weight_decay * x - lr * u
        path.append(x)
    return np.array(path)


MUTANTS["10.adamw_path"] = [
    Mutant(
        "decay added to the gradient",
        _with_wd(_adam_loop(decay=lambda x, g, lr, wd, h: (x, g + wd * x))),
        "That is L2 regularization inside Adam (torch.optim.Adam's weight_decay): the decay "
        "term then gets divided by sqrt(v_hat). AdamW decouples it: params = params * "
        "(1 - lr * weight_decay), then Adam's step on the data gradient alone.",
    ),
    Mutant(
        "decay without lr",
        _with_wd(_adam_loop(decay=lambda x, g, lr, wd, h: (x * (1 - wd), g))),
        "PyTorch's AdamW multiplies the decay by the learning rate: params * "
        "(1 - lr * weight_decay).",
    ),
    Mutant(
        "decay after the step",
        _adamw_after,
        "PyTorch's AdamW decays first: params = params * (1 - lr * weight_decay), then "
        "subtracts Adam's step.",
    ),
    Mutant(
        "gradient at the decayed point",
        _with_wd(
            _adam_loop(decay=lambda x, g, lr, wd, h: (x * (1 - lr * wd), h @ (x * (1 - lr * wd))))
        ),
        "The gradient is computed once, at the current point, before anything changes; "
        "decaying the parameters does not change the gradient of this step.",
    ),
    Mutant(
        "no bias correction",
        _with_wd(_adam_loop(corrections=lambda t, b1, b2: (1, 1), decay=_decoupled)),
        _NO_CORRECTION,
    ),
    Mutant(
        "no decay",
        _with_wd(_adam_loop()),
        "Apply the weight decay: params = params * (1 - lr * weight_decay) before the step.",
    ),
]

ALTERNATES["10.adamw_path"] = [_with_wd(_adam_loop(decay=_decoupled)), _adamw_subtract]

# --- 10.amsgrad_path --------------------------------------------------------------------------


def _raw_max(v, v_max, bc2):
    v_max = np.maximum(v_max, v)
    return v_max, v_max


def _corrected_max(v, v_max, bc2):
    # Optax's amsgrad: the maximum of the bias-corrected v_hat (then no more correction).
    v_max = np.maximum(v_max, v / bc2)
    return v_max * bc2, v_max


def _stale_max(v, v_max, bc2):
    return v_max, np.maximum(v_max, v)


def _amsgrad_max_of_squares(hessian, x0, lr, beta1, beta2, eps, steps):
    x, m, g2_max, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        m = beta1 * m + (1 - beta1) * g
        g2_max = np.maximum(g2_max, g * g)
        x = x - lr * (m / (1 - beta1**t)) / (np.sqrt(g2_max / (1 - beta2**t)) + eps)
        path.append(x)
    return np.array(path).reshape(-1, len(x0))


MUTANTS["10.amsgrad_path"] = [
    Mutant(
        "no maximum",
        _adam_loop(),
        "That is plain Adam. AMSGrad keeps v_max = max(v_max, v) over all steps and divides "
        "by sqrt(v_max / (1 - beta2**t)) + eps, so the denominator never shrinks.",
    ),
    Mutant(
        "maximum of v_hat",
        _adam_loop(second=_corrected_max),
        "PyTorch (and Keras) take the maximum of the raw v, before the bias correction, and "
        "then correct it: sqrt(max(v_max, v) / (1 - beta2**t)). Optax's amsgrad takes it of "
        "v_hat instead, a different optimizer early on.",
    ),
    Mutant(
        "maximum of g**2",
        _amsgrad_max_of_squares,
        "Take the maximum of the moving average v, not of the squared gradients themselves.",
    ),
    Mutant(
        "previous maximum",
        _adam_loop(second=_stale_max),
        "Include the current v in the maximum before dividing: v_max = max(v_max, v), then "
        "use v_max.",
    ),
    Mutant(
        "maximum not bias-corrected",
        _adam_loop(second=_raw_max, denominator=lambda used, bc2, eps: np.sqrt(used) + eps),
        "Divide the maximum by the bias correction too: sqrt(v_max / (1 - beta2**t)) + eps.",
    ),
]

ALTERNATES["10.amsgrad_path"] = [_adam_loop(second=_raw_max)]

# --- 10.bias_correction_factor ----------------------------------------------------------------


def _factor_loop(t, beta1, beta2):
    # Run the two decays step by step, as Adam's state would: no powers at all.
    ts = np.atleast_1d(t)
    out = np.empty(ts.shape)
    for i, last in enumerate(ts):
        p1 = p2 = 1.0
        for _ in range(int(last)):
            p1, p2 = p1 * beta1, p2 * beta2
        out[i] = (1 - p1) / np.sqrt(1 - p2)
    return out.reshape(np.shape(t))


MUTANTS["10.bias_correction_factor"] = [
    Mutant(
        "inverted",
        lambda t, beta1, beta2: np.sqrt(1 - beta2 ** np.asarray(t)) / (1 - beta1 ** np.asarray(t)),
        "The ratio asked for is uncorrected over corrected: m / sqrt(v) against "
        "(m / (1 - beta1**t)) / sqrt(v / (1 - beta2**t)), that is "
        "(1 - beta1**t) / sqrt(1 - beta2**t), 3.16 at t = 1 with the default betas.",
    ),
    Mutant(
        "t from 0",
        lambda t, beta1, beta2: (
            (1 - beta1 ** (np.asarray(t) - 1)) / np.sqrt(1 - beta2 ** (np.asarray(t) - 1))
        ),
        "The first update is t = 1 (PyTorch increments its step count before using it): "
        "(1 - beta1**t) / sqrt(1 - beta2**t) with t = 1 is 0.1 / sqrt(0.001) = 3.16.",
    ),
    Mutant(
        "no square root",
        lambda t, beta1, beta2: (1 - beta1 ** np.asarray(t)) / (1 - beta2 ** np.asarray(t)),
        "Adam divides by the *root* of v_hat, so the second correction enters as "
        "sqrt(1 - beta2**t).",
    ),
    Mutant(
        "only the second correction",
        lambda t, beta1, beta2: 1 / np.sqrt(1 - beta2 ** np.asarray(t)),
        "Both corrections are dropped: the missing first one makes the step smaller by "
        "(1 - beta1**t), the missing second one larger by 1 / sqrt(1 - beta2**t).",
    ),
]

ALTERNATES["10.bias_correction_factor"] = [
    lambda t, beta1, beta2: np.divide(1.0 - np.power(beta1, t), np.sqrt(1.0 - np.power(beta2, t))),
    _factor_loop,
]

# --- 10.adam_first_update ---------------------------------------------------------------------


def _first_update_by_hand(grads, lr, beta1, beta2, eps):
    g = np.asarray(grads, dtype=float)
    m_hat = (1 - beta1) * g / (1 - beta1)
    v_hat = (1 - beta2) * g**2 / (1 - beta2)
    return -lr * m_hat / (np.sqrt(v_hat) + eps)


MUTANTS["10.adam_first_update"] = [
    Mutant(
        "plain SGD",
        lambda grads, lr, beta1, beta2, eps: -lr * np.asarray(grads),
        "Adam divides by the root of the second moment: after bias correction the first "
        "update is about lr in size for every parameter, whatever its gradient's scale.",
    ),
    Mutant(
        "no bias correction",
        lambda grads, lr, beta1, beta2, eps: (
            -lr * (1 - beta1) * np.asarray(grads) / (np.sqrt(1 - beta2) * np.abs(grads) + eps)
        ),
        "At t = 1 both averages are corrected: m / (1 - beta1) and v / (1 - beta2) give back "
        "g and g**2 exactly.",
    ),
    Mutant(
        "uphill",
        lambda grads, lr, beta1, beta2, eps: lr * np.asarray(grads) / (np.abs(grads) + eps),
        "An update moves against the gradient: a minus sign.",
    ),
    Mutant(
        "sign only",
        lambda grads, lr, beta1, beta2, eps: -lr * np.sign(grads),
        "Close, but eps matters where |g| is near or below it: the update is "
        "lr * |g| / (|g| + eps), much less than lr for a tiny gradient.",
    ),
]

ALTERNATES["10.adam_first_update"] = [
    _first_update_by_hand,
    lambda grads, lr, beta1, beta2, eps: -lr * np.sign(grads) / (1 + eps / np.abs(grads)),
]
