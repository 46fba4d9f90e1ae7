"""Lecture 07's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex07.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 07.momentum_path -------------------------------------------------------------------------


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


MUTANTS["07.momentum_path"] = [
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
]

ALTERNATES["07.momentum_path"] = [_heavy_ball_form, _momentum_preallocated]

# --- 07.nesterov_path -------------------------------------------------------------------------


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


MUTANTS["07.nesterov_path"] = [
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
]

ALTERNATES["07.nesterov_path"] = [
    _sutskever_lookahead,
    _nesterov_loop(lambda g, buf, old, mu: g + mu * buf),
]

# --- 07.momentum_max_lr -----------------------------------------------------------------------


def _largest(hessian):
    return np.linalg.eigvalsh(hessian)[-1]


MUTANTS["07.momentum_max_lr"] = [
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
]

ALTERNATES["07.momentum_max_lr"] = [
    lambda hessian, momentum: 2 * (1 + momentum) / np.linalg.norm(hessian, 2),
    lambda hessian, momentum: (2 + 2 * momentum) / max(np.linalg.eigvals(hessian).real),
]

# --- 07.polyak_momentum -----------------------------------------------------------------------


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


MUTANTS["07.polyak_momentum"] = [
    Mutant(
        "momentum not squared",
        _polyak_with(_right_lr, lambda mu, L: np.sqrt(_right_beta(mu, L))),
        "That is the rate, (sqrt(kappa) - 1) / (sqrt(kappa) + 1); the momentum is its square.",
    ),
    Mutant(
        "kappa, not its root",
        _polyak_with(_right_lr, lambda mu, L: ((L / mu - 1) / (L / mu + 1)) ** 2),
        "Use the square root of the condition number: ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2.",
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
]

ALTERNATES["07.polyak_momentum"] = [
    _polyak_via_roots,
    lambda hessian: tuple(_polyak_with(_right_lr, _right_beta)(hessian).tolist()),
]
