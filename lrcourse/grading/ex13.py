"""Exercises of lecture 13: from lrcourse to PyTorch, Optax and Keras.

Porting between frameworks without any of them installed: Keras's Adam epsilon as PyTorch's, an
lrcourse schedule as the factor a PyTorch ``LambdaLR`` multiplies the optimizer's rate by, and a
port of RMSProp from Keras to PyTorch with the bug the lecture warns about (eps inside the square
root). References come from ``lrcourse.schedules`` and ``lrcourse.optimizers``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex13.py``.
"""

import numpy as np

from lrcourse.optimizers import rmsprop
from lrcourse.schedules import cosine_decay, linear_warmup

from .spec import Exercise, Hidden

TITLE = "From lrcourse to PyTorch, Optax and Keras"
NOTEBOOK = "13_lrcourse_to_pytorch"

# The learner ports these by hand; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.schedules": "uses lrcourse.schedules",
    "lrcourse.optimizers": "uses lrcourse.optimizers",
}

A = np.array


# --- 13.torch_eps ------------------------------------------------------------------------------


def _torch_eps(epsilon, beta_2, t):
    # Keras adds epsilon to the uncorrected sqrt(v); dividing through by sqrt(1 - beta_2**t)
    # shows PyTorch's form with eps = epsilon / sqrt(1 - beta_2**t) (lecture 13, section 4.2).
    return epsilon / np.sqrt(1 - beta_2 ** np.asarray(t))


torch_eps = Exercise(
    id="13.torch_eps",
    key=(
        "epsilon / np.sqrt(1 - beta_2",
        "\\hat\\epsilon/\\sqrt{1-\\beta_2^t}",
        r"\frac{\hat\epsilon}{\sqrt{1-\beta_2^t}}",
    ),
    title="Keras's Adam epsilon, as PyTorch's eps",
    reference=_torch_eps,
    cases=[
        dict(epsilon=1e-7, beta_2=0.999, t=1),
        dict(epsilon=1e-7, beta_2=0.999, t=A([1, 2, 10, 100, 1000])),
        dict(epsilon=1e-3, beta_2=0.9, t=A([1, 5, 50])),
        dict(epsilon=0.5, beta_2=0.5, t=A([[1, 2], [3, 4]])),
    ],
    hints={"shape": "Return one eps per update t: the same shape as t (a number for an int)."},
    hidden_cases=[
        Hidden(
            "late updates (t in the tens of thousands)",
            dict(epsilon=1e-8, beta_2=0.9999, t=A([10_000, 50_000])),
        ),
        Hidden("beta_2 = 0.99", dict(epsilon=1e-6, beta_2=0.99, t=A([1, 3, 30, 300]))),
        Hidden("an int t far along", dict(epsilon=2e-7, beta_2=0.998, t=700)),
    ],
)


# --- 13.lambda_factor --------------------------------------------------------------------------


def _lambda_factor(step, base_lr, peak, warmup_steps, total_steps):
    schedule = linear_warmup(cosine_decay(peak, total_steps - warmup_steps), warmup_steps)
    return schedule(step) / base_lr


lambda_factor = Exercise(
    id="13.lambda_factor",
    # the factor is the rate over base_lr; the rate's cosine, however typeset (lecture 05, §1)
    key=("/ base_lr", "base_lr * lr_lambda", r"1+\cos(\pi"),
    title="An lrcourse schedule as a PyTorch LambdaLR factor",
    reference=_lambda_factor,
    cases=[
        dict(step=np.arange(12), base_lr=1.0, peak=1.0, warmup_steps=2, total_steps=10),
        dict(step=np.arange(12), base_lr=0.1, peak=0.3, warmup_steps=4, total_steps=10),
        dict(
            step=A([0, 99, 100, 101, 550, 1000, 5000]),
            base_lr=1e-3,
            peak=3e-3,
            warmup_steps=100,
            total_steps=1000,
        ),
        dict(step=7, base_lr=0.5, peak=0.5, warmup_steps=5, total_steps=20),
    ],
    hints={"shape": "Return one factor per step: the same shape as step (a number for an int)."},
    hidden_cases=[
        Hidden(
            "a long run with a short warmup",
            dict(
                step=A([0, 1, 9, 10, 11, 5000, 9999, 10000, 20000]),
                base_lr=0.01,
                peak=0.02,
                warmup_steps=10,
                total_steps=10_000,
            ),
        ),
        Hidden(
            "a warmup of one step",
            dict(step=np.arange(6), base_lr=2.0, peak=1.0, warmup_steps=1, total_steps=5),
        ),
        Hidden(
            "an int step in the warmup",
            dict(step=3, base_lr=0.1, peak=0.4, warmup_steps=8, total_steps=40),
        ),
    ],
)


# --- 13.torch_rmsprop_updates (debug) ----------------------------------------------------------


def _torch_rmsprop_updates(grads, lr, alpha, eps):
    """torch.optim.RMSprop's update for every gradient in turn (rows of grads)."""
    grads = np.asarray(grads, dtype=float)
    opt = rmsprop(lr=lr, alpha=alpha, eps=eps)
    params = np.zeros(grads.shape[1:])
    state, updates = opt.init(params), []
    for g in grads:
        new, state = opt.step(params, g, state)
        updates.append(new - params)
        params = new
    return np.array(updates)


_GRADS = A([[1.0, 1e-4], [0.5, -2e-4], [2.0, 1e-5], [-1.0, 3e-4]])

torch_rmsprop_updates = Exercise(
    id="13.torch_rmsprop_updates",
    kind="debug",
    key=("np.sqrt(v) + eps", r"\sqrt{v}+\epsilon", r"\sqrt{v_t}+\epsilon"),
    title="Debug: an RMSProp ported from Keras",
    reference=_torch_rmsprop_updates,
    cases=[
        dict(grads=_GRADS, lr=0.01, alpha=0.99, eps=1e-8),
        dict(grads=_GRADS, lr=0.01, alpha=0.9, eps=1e-3),
        dict(grads=A([[3.0], [3.0], [3.0]]), lr=0.1, alpha=0.5, eps=0.1),
        dict(grads=A([[1e-6, 1.0]]), lr=1.0, alpha=0.99, eps=1e-7),
    ],
    hints={"shape": "Return one update per gradient: an array of grads' shape."},
    hidden_cases=[
        Hidden(
            "a long run of small gradients",
            dict(
                grads=1e-5 * np.cos(np.arange(60.0)).reshape(20, 3), lr=1e-3, alpha=0.99, eps=1e-8
            ),
        ),
        Hidden("a large eps", dict(grads=A([[0.2, -0.4], [0.1, 0.3]]), lr=0.5, alpha=0.8, eps=1.0)),
        Hidden(
            "gradients far below eps",
            dict(grads=A([[1e-10], [-3e-10], [2e-10]]), lr=0.1, alpha=0.9, eps=1e-8),
        ),
    ],
)

EXERCISES = [torch_eps, lambda_factor, torch_rmsprop_updates]
