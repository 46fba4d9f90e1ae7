"""Exercises of lecture 07: momentum and Nesterov.

PyTorch's heavy-ball update (the buffer starts at the first gradient, undamped; then
buf = momentum * buf + (1 - dampening) * g), Nesterov's update g + momentum * buf, the stability
bound 2 (1 + momentum) / L, and Polyak's tuned learning rate and momentum for a quadratic.
References come from ``lrcourse.optimizers.sgd``, ``lrcourse.problems`` and
``lrcourse.explorers.momentum``.
"""

import numpy as np

from lrcourse.explorers.momentum import max_stable_lr, optimal_momentum
from lrcourse.optimizers import sgd
from lrcourse.problems import Quadratic

from .ex01 import (
    DENSE,
    DIAG,
    FIVE,
    HESSIAN_HIDDEN,
    ONE,
    STIFF,
    TILTED,
    TURNED,
    path_hidden,
    quadratic_path,
)
from .spec import Exercise, Hidden, Mutant

TITLE = "Momentum and Nesterov"
NOTEBOOK = "07_momentum"

A = np.array


def _loop(update):
    """A momentum loop with a replaceable rule ``update(buf, g, k, ...) -> (buf, d)``.

    The mutants below vary one line of a correct loop, as a learner's bug would."""

    def run(hessian, x0, lr, momentum, dampening, steps):
        x, buf, path = x0, np.zeros_like(x0, dtype=float), [x0]
        for k in range(steps):
            g = hessian @ x
            buf, d = update(buf, g, k, momentum, dampening)
            x = x - lr * d
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _right(buf, g, k, mu, tau):
    buf = g if k == 0 else mu * buf + (1 - tau) * g
    return buf, buf


# --- 07.momentum_path --------------------------------------------------------------------------


def _momentum_path(hessian, x0, lr, momentum, dampening, steps):
    return quadratic_path(sgd(lr=lr, momentum=momentum, dampening=dampening), hessian, x0, steps)


def _heavy_ball_form(hessian, x0, lr, momentum, dampening, steps):
    # x_{k+1} = x_k + momentum (x_k - x_{k-1}) - lr (1 - dampening) g_k, after an undamped start
    path = [x0, x0 - lr * (hessian @ x0)] if steps else [x0]
    for _ in range(steps - 1):
        x, previous = path[-1], path[-2]
        path.append(x + momentum * (x - previous) - lr * (1 - dampening) * (hessian @ x))
    return np.array(path)


def _momentum_preallocated(hessian, x0, lr, momentum, dampening, steps):
    path = np.zeros((steps + 1, len(x0)))
    path[0] = x0
    buf = None
    for k in range(steps):
        g = hessian @ path[k]
        buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
        path[k + 1] = path[k] - lr * buf
    return path


_FIRST = (
    "PyTorch starts the buffer at the first gradient itself, buf = g, and does not dampen that "
    "first step; from the second step on, buf = momentum * buf + (1 - dampening) * g."
)

momentum_path = Exercise(
    id="07.momentum_path",
    title="Heavy-ball momentum as PyTorch runs it",
    reference=_momentum_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, momentum=0.9, dampening=0.0, steps=6),
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, momentum=0.9, dampening=0.5, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, momentum=0.5, dampening=0.5, steps=10),
        dict(hessian=ONE, x0=A([1.0]), lr=0.2, momentum=0.8, dampening=0.8, steps=8),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.1, momentum=0.7, dampening=0.1, steps=7),
        dict(hessian=TILTED, x0=A([1.0, 1.0]), lr=0.1, momentum=0.0, dampening=0.0, steps=5),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, momentum=0.9, dampening=0.3, steps=0),
    ],
    mutants=[
        Mutant(
            "first step dampened",
            _loop(lambda buf, g, k, mu, tau: ((mu * buf + (1 - tau) * g),) * 2),
            _FIRST,
        ),
        Mutant(
            "dampening ignored",
            _loop(lambda buf, g, k, mu, tau: ((g if k == 0 else mu * buf + g),) * 2),
            "Multiply the new gradient by (1 - dampening) from the second step on.",
        ),
        Mutant(
            "dampening on the buffer",
            _loop(lambda buf, g, k, mu, tau: ((g if k == 0 else (1 - tau) * mu * buf + g),) * 2),
            "Dampening scales the new gradient, not the old buffer: "
            "buf = momentum * buf + (1 - dampening) * g.",
        ),
        Mutant(
            "moving average",
            _loop(lambda buf, g, k, mu, tau: ((g if k == 0 else mu * buf + (1 - mu) * g),) * 2),
            "The gradient's factor is (1 - dampening), not (1 - momentum): the two are separate "
            "hyperparameters (they coincide only when dampening = momentum).",
        ),
        Mutant(
            "stale buffer",
            _loop(lambda buf, g, k, mu, tau: (_right(buf, g, k, mu, tau)[0], buf)),
            "Update the buffer with the current gradient first, then step with the new buffer.",
        ),
        Mutant(
            "plain gradient descent",
            _loop(lambda buf, g, k, mu, tau: (buf, g)),
            "Step along the momentum buffer, params - lr * buf, not along the gradient.",
        ),
    ],
    alternates=[_heavy_ball_form, _momentum_preallocated],
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.05, momentum=0.8, dampening=0.2),
        dict(lr=0.01, momentum=0.95, dampening=0.0),
        dict(lr=0.1, momentum=0.9, dampening=0.5),
    )
    + [
        Hidden(
            "dampening equal to momentum",
            dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=0.2, momentum=0.6, dampening=0.6, steps=8),
        )
    ],
)


# --- 07.nesterov_path --------------------------------------------------------------------------


def _nesterov_path(hessian, x0, lr, momentum, steps):
    return quadratic_path(sgd(lr=lr, momentum=momentum, nesterov=True), hessian, x0, steps)


def _nesterov_loop(direction):
    """A Nesterov loop whose step direction ``direction(g, buf, old, momentum)`` can be wrong."""

    def run(hessian, x0, lr, momentum, steps):
        x, buf, path = x0, np.zeros_like(x0, dtype=float), [x0]
        for _ in range(steps):
            g = hessian @ x
            old, buf = buf, momentum * buf + g  # from zero: the first buffer is g itself
            x = x - lr * direction(g, buf, old, momentum)
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _sutskever_params(hessian, x0, lr, momentum, steps):
    # Sutskever et al.: v = mu v - lr grad(x + mu v); x = x + v. Its x is NOT PyTorch's params.
    x, v, path = x0, np.zeros_like(x0, dtype=float), [x0]
    for _ in range(steps):
        v = momentum * v - lr * (hessian @ (x + momentum * v))
        x = x + v
        path.append(x)
    return np.array(path)


def _sutskever_lookahead(hessian, x0, lr, momentum, steps):
    # The same method, reporting the look-ahead points x + mu v: exactly PyTorch's params.
    x, v, path = x0, np.zeros_like(x0, dtype=float), [x0]
    for _ in range(steps):
        v = momentum * v - lr * (hessian @ (x + momentum * v))
        x = x + v
        path.append(x + momentum * v)
    return np.array(path)


nesterov_path = Exercise(
    id="07.nesterov_path",
    title="Nesterov momentum in PyTorch's form",
    reference=_nesterov_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, momentum=0.9, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, momentum=0.5, steps=10),
        dict(hessian=ONE, x0=A([1.0]), lr=0.2, momentum=0.8, steps=8),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.1, momentum=0.7, steps=7),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, momentum=0.9, steps=0),
    ],
    mutants=[
        Mutant(
            "heavy ball",
            _nesterov_loop(lambda g, buf, old, mu: buf),
            "That is heavy-ball momentum. Nesterov steps along g + momentum * buf, with the buffer "
            "already updated.",
        ),
        Mutant(
            "roles swapped",
            _nesterov_loop(lambda g, buf, old, mu: buf + mu * g),
            "The momentum multiplies the buffer, not the gradient: g + momentum * buf.",
        ),
        Mutant(
            "old buffer",
            _nesterov_loop(lambda g, buf, old, mu: g + mu * old),
            "Update the buffer first (buf = momentum * buf + g), then step along "
            "g + momentum * buf with the new buffer.",
        ),
        Mutant(
            "Sutskever's x",
            _sutskever_params,
            "That is the look-ahead form of Sutskever et al.; PyTorch stores the look-ahead point "
            "itself as the parameters, so its update only needs the gradient at params: "
            "buf = momentum * buf + g; params - lr * (g + momentum * buf).",
        ),
        Mutant(
            "gradient only",
            _nesterov_loop(lambda g, buf, old, mu: g),
            "Nesterov steps along g + momentum * buf: the gradient plus the momentum buffer.",
        ),
    ],
    alternates=[_sutskever_lookahead, _nesterov_loop(lambda g, buf, old, mu: g + mu * buf)],
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.05, momentum=0.8), dict(lr=0.01, momentum=0.95), dict(lr=0.1, momentum=0.9)
    )
    + [
        Hidden(
            "a small momentum and a large rate",
            dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=0.4, momentum=0.1, steps=6),
        )
    ],
)


# --- 07.momentum_max_lr ------------------------------------------------------------------------


def _max_lr(hessian, momentum):
    return max_stable_lr(Quadratic(hessian).L, momentum)


def _largest(hessian):
    return np.linalg.eigvalsh(hessian)[-1]


momentum_max_lr = Exercise(
    id="07.momentum_max_lr",
    title="The largest stable learning rate with momentum",
    reference=_max_lr,
    cases=[
        dict(hessian=DIAG, momentum=0.9),
        dict(hessian=TILTED, momentum=0.5),
        dict(hessian=DENSE, momentum=0.0),
        dict(hessian=ONE, momentum=0.99),
        dict(hessian=TURNED, momentum=0.3),
    ],
    mutants=[
        Mutant(
            "no momentum",
            lambda hessian, momentum: 2 / _largest(hessian),
            "2 / L is gradient descent's limit; momentum widens it by the factor (1 + momentum).",
        ),
        Mutant(
            "1 - momentum",
            lambda hessian, momentum: 2 * (1 - momentum) / _largest(hessian),
            "Momentum widens the stable range: the factor is (1 + momentum), from the root "
            "z = -1 of z^2 - (1 + momentum - lr L) z + momentum.",
        ),
        Mutant(
            "effective rate",
            lambda hessian, momentum: 2 / ((1 - momentum) * _largest(hessian)),
            "Dividing by (1 - momentum) is the effective rate on a constant slope, not the "
            "stability limit: that is 2 (1 + momentum) / L.",
        ),
        Mutant(
            "no factor 2",
            lambda hessian, momentum: (1 + momentum) / _largest(hessian),
            "Check the factor 2: 2 (1 + momentum) / L.",
        ),
        Mutant(
            "smallest eigenvalue",
            lambda hessian, momentum: 2 * (1 + momentum) / np.linalg.eigvalsh(hessian)[0],
            "Use the largest eigenvalue L: the stiffest direction is the first to blow up.",
        ),
        Mutant(
            "diagonal",
            lambda hessian, momentum: 2 * (1 + momentum) / np.max(np.diag(hessian)),
            "The diagonal of H holds its eigenvalues only when H is diagonal: use "
            "np.linalg.eigvalsh(hessian).",
        ),
    ],
    alternates=[
        lambda hessian, momentum: 2 * (1 + momentum) / np.linalg.norm(hessian, 2),
        lambda hessian, momentum: (2 + 2 * momentum) / max(np.linalg.eigvals(hessian).real),
    ],
    hidden_cases=[
        Hidden("a larger, dense Hessian (5 x 5)", dict(hessian=FIVE, momentum=0.6)),
        Hidden(
            "a very ill-conditioned Hessian, momentum near 1", dict(hessian=STIFF, momentum=0.999)
        ),
        Hidden(
            "a 3 x 3 diagonal Hessian in no particular order",
            dict(hessian=np.diag([3.0, 0.5, 8.0]), momentum=0.45),
        ),
    ],
)


# --- 07.polyak_momentum ------------------------------------------------------------------------


def _polyak(hessian):
    q = Quadratic(hessian)
    lr, beta, _ = optimal_momentum(q.mu, q.L)
    return np.array([lr, beta])


def _extremes(hessian):
    ev = np.linalg.eigvalsh(hessian)
    return ev[0], ev[-1]


def _polyak_with(lr_rule, beta_rule):
    def answer(hessian):
        mu, L = _extremes(hessian)
        return np.array([lr_rule(mu, L), beta_rule(mu, L)])

    return answer


def _right_lr(mu, L):
    return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2


def _right_beta(mu, L):
    return ((np.sqrt(L / mu) - 1) / (np.sqrt(L / mu) + 1)) ** 2


def _polyak_via_roots(hessian):
    mu, L = _extremes(hessian)
    rate = (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))  # the same ratio, in L and mu
    return [(2 / (np.sqrt(L) + np.sqrt(mu))) ** 2, rate**2]


polyak_momentum = Exercise(
    id="07.polyak_momentum",
    title="Polyak's tuned learning rate and momentum",
    reference=_polyak,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=A([[5.0]])),
        dict(hessian=TURNED),
    ],
    mutants=[
        Mutant(
            "momentum not squared",
            _polyak_with(_right_lr, lambda mu, L: np.sqrt(_right_beta(mu, L))),
            "That is the rate, (sqrt(kappa) - 1) / (sqrt(kappa) + 1); the momentum is its square.",
        ),
        Mutant(
            "kappa, not its root",
            _polyak_with(_right_lr, lambda mu, L: ((L / mu - 1) / (L / mu + 1)) ** 2),
            "Use the square root of the condition number: "
            "((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2.",
        ),
        Mutant(
            "gradient descent's rate",
            _polyak_with(lambda mu, L: 2 / (mu + L), _right_beta),
            "2 / (mu + L) is the best rate without momentum; with it, the rate is "
            "4 / (sqrt(L) + sqrt(mu))^2.",
        ),
        Mutant(
            "no square roots in lr",
            _polyak_with(lambda mu, L: 4 / (L + mu) ** 2, _right_beta),
            "The learning rate is 4 / (sqrt(L) + sqrt(mu))^2: square roots inside the square.",
        ),
        Mutant(
            "swapped",
            _polyak_with(lambda mu, L: _right_beta(mu, L), _right_lr),
            "Return [lr, momentum], in that order.",
        ),
    ],
    alternates=[
        _polyak_via_roots,
        lambda hessian: tuple(_polyak_with(_right_lr, _right_beta)(hessian).tolist()),
    ],
    hints={"shape": "Return two numbers, [lr, momentum]."},
    hidden_cases=HESSIAN_HIDDEN,
)

EXERCISES = [momentum_path, nesterov_path, momentum_max_lr, polyak_momentum]
