"""Exercises of lecture 10: Adam, bias correction, AdamW and AMSGrad.

Adam as PyTorch runs it (both moments bias-corrected with t = 1 for the first update, eps added
to sqrt(v_hat)), AdamW's decoupled weight decay (params * (1 - lr * wd) before the Adam step),
AMSGrad (the running maximum of the raw second moment), and the factor by which the step grows
when both corrections are dropped. References come from ``lrcourse.optimizers`` and
``lrcourse.explorers.adam``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex10.py``.
"""

import numpy as np

from lrcourse.optimizers import adam, adamw
from lrcourse.theory import bias_correction_factor

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden, quadratic_path
from .spec import Exercise, Hidden

TITLE = "Adam, bias correction, AdamW, AMSGrad"
NOTEBOOK = "10_adam"

# The learner writes these formulas; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.explorers": "uses lrcourse.explorers.adam",
}

A = np.array


# --- 10.adam_path ------------------------------------------------------------------------------


def _adam_path(hessian, x0, lr, beta1, beta2, eps, steps):
    return quadratic_path(adam(lr=lr, betas=(beta1, beta2), eps=eps), hessian, x0, steps)


_CASES = [
    dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, steps=6),
    dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.05, beta1=0.9, beta2=0.99, eps=0.1, steps=10),
    dict(hessian=ONE, x0=A([2.0]), lr=0.2, beta1=0.5, beta2=0.9, eps=1.0, steps=5),
    dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.05, beta1=0.8, beta2=0.95, eps=1e-3, steps=8),
    dict(hessian=DIAG, x0=A([0.5, -0.5]), lr=0.02, beta1=0.0, beta2=0.5, eps=0.01, steps=12),
    dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, steps=0),
]

_T_FROM_ZERO = (
    "Count the updates from t = 1: the first update divides by 1 - beta1**1 = 1 - beta1. With "
    "t = 0 the corrections are 1 - beta**0 = 0, a division by zero (NaN or inf)."
)

adam_path = Exercise(
    id="10.adam_path",
    key=(
        "m / (1 - beta1**t)",
        "v / (1 - beta2**t)",
        r"m_t/(1-\beta_1^t)",
        r"v_t/(1-\beta_2^t)",
        r"\frac{m_t}{1-\beta_1^t}",
        r"\frac{v_t}{1-\beta_2^t}",
        r"\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
    ),
    title="Adam with bias correction, as PyTorch runs it",
    reference=_adam_path,
    cases=_CASES,
    hints={
        "shape": "Return steps + 1 points: x0 first, then one point after each update.",
        "nan": _T_FROM_ZERO,
        "inf": _T_FROM_ZERO,
    },
    hidden_cases=path_hidden(
        dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(lr=0.02, beta1=0.9, beta2=0.99, eps=1e-8),
        dict(lr=0.1, beta1=0.8, beta2=0.9, eps=0.01),
    )
    + [
        Hidden(
            "beta1 and beta2 close to 1",
            dict(
                hessian=DIAG,
                x0=A([2.0, -1.0]),
                lr=0.1,
                beta1=0.99,
                beta2=0.9999,
                eps=1e-8,
                steps=15,
            ),
        )
    ],
)


# --- 10.adamw_path -----------------------------------------------------------------------------


def _adamw_path(hessian, x0, lr, beta1, beta2, eps, weight_decay, steps):
    opt = adamw(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    return quadratic_path(opt, hessian, x0, steps)


# Adam's cases with a weight decay each, inserted in the order of the function's parameters.
_WD_CASES = [
    {**{k: v for k, v in case.items() if k != "steps"}, "weight_decay": wd, "steps": case["steps"]}
    for case, wd in zip(_CASES, [0.1, 0.5, 1.0, 0.05, 2.0, 0.1])
]

adamw_path = Exercise(
    id="10.adamw_path",
    key=(
        "x * (1 - lr * weight_decay)",
        "(1 - lr * weight_decay)",
        r"(1 - \eta\lambda)",
    ),
    title="AdamW's decoupled weight decay",
    reference=_adamw_path,
    cases=_WD_CASES,
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.2),
        dict(lr=0.02, beta1=0.9, beta2=0.99, eps=0.1, weight_decay=5.0),
        dict(lr=0.3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.5),
    )
    + [
        Hidden(
            "weight_decay = 0",
            dict(
                hessian=TILTED,
                x0=A([1.0, -1.0]),
                lr=0.1,
                beta1=0.8,
                beta2=0.9,
                eps=0.01,
                weight_decay=0.0,
                steps=6,
            ),
        )
    ],
)


# --- 10.amsgrad_path ---------------------------------------------------------------------------


def _amsgrad_path(hessian, x0, lr, beta1, beta2, eps, steps):
    return quadratic_path(
        adam(lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=True), hessian, x0, steps
    )


_AMS_CASES = [
    dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.1, beta1=0.9, beta2=0.9, eps=1e-8, steps=12),
    dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.2, beta1=0.5, beta2=0.5, eps=1e-3, steps=15),
    dict(hessian=ONE, x0=A([2.0]), lr=0.3, beta1=0.0, beta2=0.8, eps=0.1, steps=10),
    dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, steps=20),
    dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, steps=0),
]

amsgrad_path = Exercise(
    id="10.amsgrad_path",
    key=(
        "np.maximum(v_max, v)",
        r"\max(v^{\max}_{t-1}, v_t)",
        r"v^{\max}_t/(1-\beta_2^t)",
    ),
    title="AMSGrad: the running maximum of the raw second moment",
    reference=_amsgrad_path,
    cases=_AMS_CASES,
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.05, beta1=0.9, beta2=0.99, eps=1e-8),
        dict(lr=0.02, beta1=0.9, beta2=0.9, eps=1e-8),
        dict(lr=0.1, beta1=0.5, beta2=0.8, eps=1e-3),
    ),
)


# --- 10.bias_correction_factor -----------------------------------------------------------------


def _factor(t, beta1, beta2):
    return bias_correction_factor(np.asarray(t), betas=(beta1, beta2))


bias_correction_factor_exercise = Exercise(
    id="10.bias_correction_factor",
    key=(
        "(1 - beta1**t) / np.sqrt(1 - beta2**t)",
        "(1-\\beta_1^t)/\\sqrt{1-\\beta_2^t}",
        r"\frac{1-\beta_1^t}{\sqrt{1-\beta_2^t}}",
    ),
    title="How much larger the step is without bias correction",
    reference=_factor,
    cases=[
        dict(t=1, beta1=0.9, beta2=0.999),
        dict(t=A([1, 12, 100, 1000]), beta1=0.9, beta2=0.999),
        dict(t=A([1, 2, 3, 10]), beta1=0.5, beta2=0.9),
        dict(t=A([5, 50]), beta1=0.99, beta2=0.999),
        dict(t=A([1, 7]), beta1=0.0, beta2=0.99),
    ],
    hints={"nan": "NaN comes from 0 / 0: count the updates from t = 1, not from t = 0."},
    hidden_cases=[
        Hidden("an int t far beyond the visible ones", dict(t=10_000, beta1=0.9, beta2=0.999)),
        Hidden("beta2 close to 1", dict(t=A([1, 2, 100, 5000]), beta1=0.95, beta2=0.9999)),
        Hidden("t = 1 (an int) with other betas", dict(t=1, beta1=0.8, beta2=0.99)),
        Hidden("every t from 1 to 300", dict(t=np.arange(1, 301), beta1=0.9, beta2=0.99)),
    ],
)


# --- 10.adam_first_update (predict, then run) --------------------------------------------------


def _adam_first_update(grads, lr, beta1, beta2, eps):
    """The experiment: one step of lrcourse's Adam from 0; the update it makes."""
    opt = adam(lr=lr, betas=(beta1, beta2), eps=eps)
    start = np.zeros_like(np.asarray(grads, dtype=float))
    return opt.step(start, np.asarray(grads, dtype=float), opt.init(start))[0] - start


adam_first_update = Exercise(
    id="10.adam_first_update",
    kind="predict",
    key=(
        "grads / (np.abs(grads) + eps)",
        "g / (|g| + eps)",
        r"|g| + \epsilon",
        r"|g_1| + \epsilon",
    ),
    title="Predict Adam's first update",
    reference=_adam_first_update,
    cases=[
        dict(grads=A([5.0, -0.01]), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(grads=A([1e3, 1.0, 1e-3, -1e-6]), lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(grads=A([1e-8, -1e-9, 0.0]), lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(grads=A([2.0, -2.0]), lr=0.5, beta1=0.5, beta2=0.9, eps=0.1),
    ],
    hints={"shape": "Return the update of every parameter: an array of grads' shape."},
    hidden_cases=[
        Hidden(
            "gradients of every size at once",
            dict(
                grads=np.geomspace(1e-12, 1e6, 10) * np.resize([1, -1], 10),
                lr=3e-4,
                beta1=0.9,
                beta2=0.999,
                eps=1e-8,
            ),
        ),
        Hidden(
            "a large eps (1)",
            dict(grads=A([0.5, 2.0, -8.0]), lr=0.1, beta1=0.8, beta2=0.99, eps=1.0),
        ),
        Hidden(
            "a matrix of gradients",
            dict(grads=A([[1.0, -3.0], [1e-9, 4e-7]]), lr=0.02, beta1=0.95, beta2=0.9999, eps=1e-8),
        ),
    ],
)


EXERCISES = [
    adam_path,
    adamw_path,
    amsgrad_path,
    bias_correction_factor_exercise,
    adam_first_update,
]
