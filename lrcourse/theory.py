"""Closed forms: what the lectures predict before they run anything.

Each function is a formula from a lecture, written once, so that a lecture, an explorer, an
exercise check and a test all use the same one:

    momentum_rate(lr, momentum, curvatures)     how much heavy ball shrinks the error per step
    max_stable_lr(L, momentum)                  the largest stable rate, 2 (1 + beta) / L
    optimal_momentum(mu, L)                     Polyak's tuned (lr, momentum) and its rate
    critically_damped_lrs(momentum, mu, L)      the rates at which every direction shrinks by
                                                sqrt(momentum): the floor of the phase map
    momentum_noise_floor(lr, momentum, ...)     the expected loss SGD with momentum settles at
    adagrad_effective_lr(grads, lr, ...)        AdaGrad's per-coordinate step size, step by step
    rmsprop_effective_lr(grads, lr, ...)        RMSProp's, from a leaky average instead of a sum
    averaging_weights(alpha, steps)             the weight an average with decay alpha gives
                                                each past step
    bias_correction_factor(t, betas)            how much bigger Adam's step is uncorrected
    untuned_warmup(beta2)                       Ma and Yarats' warmup of 2 / (1 - beta2) steps
    effective_samples(t, beta2)                 how many squared gradients v_hat averages
    radam_rectifier(t, beta2)                   RAdam's factor on the adaptive step
    expected_loss(problem, lrs)                 SGD's exact expected loss on a noisy quadratic
    gd_edge(lr)                                 the sharpness gradient descent hovers at, 2 / lr
    adam_edge(lr, beta1)                        Adam's edge, (2 + 2 beta1) / ((1 - beta1) lr)
    noise_scale(trace_covariance, grad_norm_sq) the gradient noise scale tr(Sigma) / |G|^2
    steps_to_target(batch_size, ...)            McCandlish et al.'s steps against batch size
    scaled_lr(lr, batch_size, ...)              the linear and square-root scaling rules

The tests in ``tests/test_theory.py`` run the optimizers and check these numbers against what
they do.
"""

import math

import numpy as np

from lrcourse import _validate as v
from lrcourse.optimizers import _betas
from lrcourse.problems import NoisyQuadratic

__all__ = [
    "momentum_rate",
    "max_stable_lr",
    "optimal_momentum",
    "critically_damped_lrs",
    "momentum_noise_floor",
    "adagrad_effective_lr",
    "rmsprop_effective_lr",
    "averaging_weights",
    "bias_correction_factor",
    "untuned_warmup",
    "effective_samples",
    "radam_rectifier",
    "expected_loss",
    "gd_edge",
    "adam_edge",
    "noise_scale",
    "steps_to_target",
    "scaled_lr",
]


def momentum_rate(lr, momentum, curvatures, nesterov=False):
    """The asymptotic convergence rate of SGD with momentum on a quadratic, per step.

    Along an eigenvector of H with eigenvalue lambda, write a = lr * lambda. PyTorch's update
    (buf = momentum * buf + g; params -= lr * buf, or lr * (g + momentum * buf) for Nesterov)
    is a linear map of (x_k, x_{k-1}); its two eigenvalues z solve

        heavy ball:  z^2 - (1 + beta - a) z + beta             = 0
        Nesterov:    z^2 - (1 + beta)(1 - a) z + beta (1 - a)  = 0

    and the error shrinks like max |z|^k. The rate is the largest |z| over all eigenvalues
    (below 1: converges; above 1: diverges). With momentum = 0 both give |1 - a|, plain gradient
    descent. ``lr`` and ``momentum`` broadcast (a sweep gives an array of rates).

    >>> float(momentum_rate(0.1, 0.0, [1.0, 10.0]))          # gradient descent: max |1 - a|
    0.9
    >>> round(float(momentum_rate(0.1, 0.5, [1.0, 10.0])), 4)   # complex roots: sqrt(beta)
    0.7071
    """
    a = np.asarray(lr, dtype=float)[..., None] * np.asarray(curvatures, dtype=float)
    beta = np.asarray(momentum, dtype=float)[..., None]
    if nesterov:
        trace, det = (1 + beta) * (1 - a), beta * (1 - a)
    else:
        trace, det = 1 + beta - a, beta + 0 * a
    root = np.sqrt((trace**2 - 4 * det).astype(complex))
    z = np.maximum(np.abs((trace + root) / 2), np.abs((trace - root) / 2))
    return z.max(axis=-1)[()]


def max_stable_lr(L, momentum=0.0, nesterov=False):
    """The largest learning rate at which SGD with momentum converges on a quadratic.

    heavy ball:  lr < 2 (1 + beta) / L        (beta = 0: the 2 / L of gradient descent)
    Nesterov:    lr < 2 (1 + beta) / ((1 + 2 beta) L)

    Both come from the root z = -1 of the polynomials in ``momentum_rate``: the stiffest
    direction starts to flip sign with growing amplitude. Heavy-ball momentum almost doubles the
    range at beta near 1; Nesterov's damping of the stiff directions narrows it.

    >>> max_stable_lr(10.0, 0.9), round(max_stable_lr(10.0, 0.9, nesterov=True), 4)
    (0.38, 0.1357)
    """
    beta = momentum
    bound = 2 * (1 + beta) / L
    return bound / (1 + 2 * beta) if nesterov else bound


def optimal_momentum(mu, L):
    """Polyak's tuned heavy ball for a quadratic with curvatures in [mu, L]: (lr, momentum, rate).

    lr       = 4 / (sqrt(L) + sqrt(mu))^2
    momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2        kappa = L / mu
    rate     = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)     (GD at its best: (kappa - 1) / (kappa + 1))

    At these values both the flattest and the stiffest direction are critically damped: every
    direction shrinks by sqrt(momentum) = rate per step. Polyak (1964).

    >>> lr, beta, rate = optimal_momentum(1.0, 100.0)
    >>> round(lr, 4), round(beta, 4), round(rate, 4)
    (0.0331, 0.6694, 0.8182)
    """
    root = math.sqrt(L / mu)
    rate = (root - 1) / (root + 1)
    return 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate**2, rate


def critically_damped_lrs(momentum, mu, L):
    """The band of rates in which heavy ball's rate is exactly sqrt(momentum): (low, high).

    low  = (1 - sqrt(beta))^2 / mu,        high = (1 + sqrt(beta))^2 / L

    Along a direction of curvature lambda the roots of z^2 - (1 + beta - lr lambda) z + beta
    are complex, both of size sqrt(beta), while (1 - sqrt(beta))^2 <= lr lambda <=
    (1 + sqrt(beta))^2. For lr in [low, high] that holds for every lambda in [mu, L], so every
    direction oscillates and shrinks by sqrt(beta) per step: the flat floor of the phase map.
    The band is empty (low > high) when beta is below Polyak's optimum
    ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2, where the two ends meet at his optimal rate.

    >>> low, high = critically_damped_lrs(0.81, mu=1.0, L=100.0)
    >>> round(float(low), 4), round(float(high), 4)
    (0.01, 0.0361)
    >>> round(float(momentum_rate(0.02, 0.81, [1.0, 100.0])), 4)    # inside: sqrt(0.81)
    0.9
    """
    root = np.sqrt(v.in_range("momentum", momentum, 0, 1, high_open=True))
    mu, L = v.positive("mu", mu), v.positive("L", L)
    return ((1 - root) ** 2 / mu)[()], ((1 + root) ** 2 / L)[()]


def momentum_noise_floor(lr, momentum, curvatures, sigma=1.0):
    """The expected loss at which heavy-ball SGD settles on a noisy quadratic (constant lr).

    In one eigen-direction (f = 1/2 lambda x^2, gradient lambda x + sigma xi), the iterates obey
    x_{k+1} = (1 + beta - a) x_k - beta x_{k-1} - lr sigma xi_k, an AR(2) process whose
    stationary variance gives

        E[f] = lr sigma^2 (1 + beta) / (2 (1 - beta) (2 (1 + beta) - a)),     a = lr lambda

    summed over the eigenvalues (inf where unstable). With beta = 0 this is plain SGD's
    lr sigma^2 / (2 (2 - a)); for small lr it is about lr / (1 - beta) * sigma^2 / 4, the floor of
    plain SGD at the rate lr / (1 - beta): momentum does not lower the floor by itself.

    >>> round(float(momentum_noise_floor(0.1, 0.0, [1.0])), 6)     # = noisy_quadratic's floor
    0.026316
    """
    lr = np.asarray(lr, dtype=float)[..., None]
    beta = np.asarray(momentum, dtype=float)[..., None]
    a = lr * np.asarray(curvatures, dtype=float)
    room = 2 * (1 + beta) - a
    stable = (a > 0) & (room > 0)
    per_direction = lr * sigma**2 * (1 + beta) / (2 * (1 - beta) * np.where(stable, room, 1.0))
    return np.where(stable.all(-1), per_direction.sum(-1), np.inf)[()]


def adagrad_effective_lr(
    grads, lr=1e-2, eps=1e-10, initial_accumulator_value=0.0, lr_decay=0.0, eps_inside=False
):
    """The learning rate AdaGrad applies to each parameter at each step: |step| / |gradient|.

    grads has shape (steps, ...): the gradients in the order they arrive. With
    s_t = initial_accumulator_value + g_0^2 + ... + g_t^2 (the current gradient included):

        PyTorch (eps outside the root):     lr_t / (sqrt(s_t) + eps)
        Keras, Optax (eps_inside=True):     lr_t / sqrt(s_t + eps)
        lr_t = lr / (1 + t * lr_decay)      (t = 0 for the first step; PyTorch's lr_decay)

    The first step with g = 1 and lr = 1: PyTorch's defaults (eps 1e-10, accumulator 0) move by
    0.9999999999, Keras's and Optax's (eps 1e-7, accumulator 0.1) by 0.95346.

    >>> adagrad_effective_lr(np.ones((3, 1)), lr=1.0)[:, 0].round(4)        # 1 / sqrt(t + 1)
    array([1.    , 0.7071, 0.5774])
    >>> float(adagrad_effective_lr(np.ones((1, 1)), 1.0, 1e-7, 0.1, eps_inside=True)[0, 0].round(5))
    0.95346
    """
    grads = v.as_float_array("grads", grads)
    if grads.ndim == 0:
        raise ValueError("grads must have a leading axis of steps, got a single number")
    lr = v.non_negative("lr", lr)
    eps = v.non_negative("eps", eps)
    initial = v.non_negative("initial_accumulator_value", initial_accumulator_value)
    lr_decay = v.non_negative("lr_decay", lr_decay)
    total = initial + np.cumsum(grads**2, axis=0)
    t = np.arange(len(grads)).reshape(-1, *[1] * (grads.ndim - 1))
    rate = lr / (1 + t * lr_decay)
    with np.errstate(divide="ignore"):  # no gradient yet and eps = 0: an infinite rate
        return rate / (np.sqrt(total + eps) if eps_inside else np.sqrt(total) + eps)


def rmsprop_effective_lr(grads, lr=1e-2, alpha=0.99, eps=1e-8, centered=False, eps_inside=False):
    """The learning rate RMSProp applies to each parameter at each step: |step| / |gradient|.

    grads has shape (steps, ...): the gradients in the order they arrive. With the moving
    averages updated first (the current gradient included), as ``optimizers.rmsprop`` does,

        square_avg = alpha * square_avg + (1 - alpha) * g**2          (starts at 0)
        grad_avg   = alpha * grad_avg   + (1 - alpha) * g             (centered only)
        s          = square_avg - grad_avg**2 if centered else square_avg

        PyTorch (eps outside the root):       lr / (sqrt(s) + eps)
        Keras, Optax (eps_inside=True):       lr / sqrt(s + eps)

    A loop over the steps, each one vectorised over every parameter (and every run).

    >>> rmsprop_effective_lr(np.ones((3, 1)), lr=1.0, alpha=0.99, eps=0.0)[:, 0].round(3)
    array([10.   ,  7.089,  5.802])
    >>> rates = rmsprop_effective_lr(np.ones((1, 1)), lr=1.0, alpha=0.9, eps=1e-7, eps_inside=True)
    >>> float(rates[0, 0].round(4))                   # Keras's first step: 1 / sqrt(0.1)
    3.1623
    """
    grads = v.as_float_array("grads", grads)
    if grads.ndim == 0:
        raise ValueError("grads must have a leading axis of steps, got a single number")
    lr = v.non_negative("lr", lr)
    alpha = v.in_range("alpha", alpha, 0, 1)
    eps = v.non_negative("eps", eps)
    centered, eps_inside = v.flag("centered", centered), v.flag("eps_inside", eps_inside)
    square_avg = np.zeros(np.broadcast_shapes(grads.shape[1:], np.shape(alpha)))
    grad_avg = np.zeros_like(square_avg)
    rates = np.empty((len(grads), *square_avg.shape))
    for t, g in enumerate(grads):
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        s = square_avg
        if centered:
            grad_avg = grad_avg + (1 - alpha) * (g - grad_avg)
            s = square_avg - grad_avg * grad_avg
        with np.errstate(divide="ignore"):  # no gradient yet and eps = 0: an infinite rate
            rates[t] = lr / (np.sqrt(s + eps) if eps_inside else np.sqrt(s) + eps)
    return rates


def averaging_weights(alpha, steps):
    """The weight the moving average gives the gradient k = 0, 1, ..., steps - 1 updates back.

    square_avg_t = (1 - alpha) * sum_k alpha**k * g_{t-k}**2  (+ alpha**t * its start, 0)

    The weights fall geometrically and sum to 1 over an infinite past. Their mean age is
    alpha / (1 - alpha), and the last 1 / (1 - alpha) gradients (the "horizon") hold
    1 - alpha**(1 / (1 - alpha)), about 1 - 1/e = 63%, of the total weight.

    >>> averaging_weights(0.9, 4).round(4)
    array([0.1   , 0.09  , 0.081 , 0.0729])
    """
    alpha = float(v.in_range("alpha", alpha, 0, 1))
    return (1 - alpha) * alpha ** np.arange(v.positive_int("steps", steps))


def bias_correction_factor(t, betas=(0.9, 0.999)):
    """How many times larger Adam's step is with both bias corrections dropped, at step t.

    For the same gradients, the corrected step is lr * m_hat / sqrt(v_hat) with
    m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t); the uncorrected step is
    lr * m / sqrt(v). Their ratio (eps neglected) is

        uncorrected / corrected = (1 - beta1**t) / sqrt(1 - beta2**t)          (t = 1, 2, ...)

    Dropping the first correction alone makes the step (1 - beta1**t) times too small, dropping
    the second alone 1 / sqrt(1 - beta2**t) times too large; together the second wins whenever
    beta2 > beta1, early on.

    >>> round(float(bias_correction_factor(1)), 4)                # 0.1 / sqrt(0.001)
    3.1623
    >>> bias_correction_factor(np.array([12, 100, 1000])).round(2)
    array([6.57, 3.24, 1.26])
    """
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer) or np.any(t < 1):
        raise ValueError(f"t must be an integer >= 1 (the first update is t = 1), got {t!r}")
    beta1, beta2 = _betas(betas)
    return (1 - beta1**t) / np.sqrt(1 - beta2**t)


def untuned_warmup(beta2):
    """Ma and Yarats' untuned linear warmup for Adam: the number of warmup steps, 2 / (1 - beta2).

    W = round(2 / (1 - beta2))          (2000 for PyTorch's default beta2 = 0.999)

    Rounded to the nearest step: in floating point 2 / (1 - 0.999) is 1999.9999999999982, so
    ``int()`` would give 1999. Ma and Yarats (2021) find a linear warmup of this length works
    about as well as RAdam, with no warmup length to tune.

    >>> untuned_warmup(0.999), untuned_warmup(0.99), untuned_warmup(0.98)
    (2000, 200, 100)
    """
    beta2 = v.in_range("beta2", beta2, 0, 1)
    return int(np.round(2 / (1 - beta2)))


def effective_samples(t, beta2):
    """How many squared gradients Adam's bias-corrected second moment v_hat averages at step t.

    v_hat_t = sum_i w_i g_i**2 with w_i = (1 - beta2) beta2**(t - i) / (1 - beta2**t), i = 1..t:
    an average of the t squared gradients seen so far, the recent ones weighted most. Its
    effective number of samples, (sum w)**2 / sum w**2 (t for equal weights), is

        n_eff(t) = (1 + beta2) (1 - beta2**t) / ((1 - beta2) (1 + beta2**t))

    about t while t << 1 / (1 - beta2), and (1 + beta2) / (1 - beta2), nearly 2 / (1 - beta2),
    for t >> 1 / (1 - beta2). For noise of variance s**2 (g**2 has variance 2 s**4), the relative
    spread of v_hat is sqrt(2 / n_eff): 141% at step 1.

    >>> effective_samples(np.array([1, 10, 100]), 0.999).round(2)
    array([ 1.  , 10.  , 99.92])
    >>> round(float(effective_samples(10**6, 0.999)), 1)      # (1 + beta2) / (1 - beta2)
    1999.0
    """
    t = v.steps(t).astype(float)
    beta2 = v.in_range("beta2", beta2, 0, 1)
    decayed = beta2**t
    return ((1 + beta2) * (1 - decayed) / ((1 - beta2) * (1 + decayed)))[()]


def radam_rectifier(t, beta2):
    """RAdam's rectification factor r_t, which multiplies Adam's adaptive step at step t = 1, 2, ...

    rho_inf = 2 / (1 - beta2) - 1
    rho_t   = rho_inf - 2 t beta2**t / (1 - beta2**t)          (the length of the "SMA")
    r_t     = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))

    applied where rho_t > 5, as PyTorch's ``RAdam`` does; before that (the first 5 steps with
    beta2 = 0.999) RAdam takes plain momentum steps, lr * m_hat, and this function returns 0: no
    adaptive step at all. r_t rises towards 1 over a few times 1 / (1 - beta2) steps, a built-in
    warmup (Liu et al. 2020).

    >>> radam_rectifier(np.array([5, 6, 1000]), 0.999).round(4)
    array([0.    , 0.0258, 0.6453])
    """
    t = v.steps(t).astype(float)
    beta2 = v.in_range("beta2", beta2, 0, 1)
    rho_inf = 2 / (1 - beta2) - 1
    with np.errstate(divide="ignore", invalid="ignore"):  # t = 0 has no rho_t
        rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        ratio = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
        return np.where(rho > 5, np.sqrt(np.where(rho > 5, ratio, 0.0)), 0.0)[()]


def expected_loss(problem, lrs):
    """The exact expected loss E[f(x_k)] of SGD on a noisy quadratic, step by step.

    Along each eigenvector of H (curvature lambda) the error z evolves on its own,

        z <- (1 - lr_k lambda) z - lr_k sigma xi,      xi ~ N(0, 1) independent of z,

    so its second moment m = E[z^2] follows

        m <- (1 - lr_k lambda)^2 m + lr_k^2 sigma^2,     E[f] = 1/2 sum over directions of lambda m.

    With a constant rate m settles where it stops changing: lecture 02's noise floor. The first
    term is what is left of the start, the second the noise piling up. ``lrs`` of shape
    (..., steps), the rate of each update, gives (..., steps + 1): the expected loss before each
    update and after the last (inf once the rates have made it overflow).

    >>> from lrcourse.problems import noisy_quadratic
    >>> q = noisy_quadratic(curvatures=[1.0], sigma=1.0, start=[0.0])
    >>> after = expected_loss(q, np.full(2000, 0.1))[-1]
    >>> round(float(after), 6), round(float(q.noise_floor(0.1)), 6)
    (0.026316, 0.026316)
    """
    if not isinstance(problem, NoisyQuadratic):
        raise ValueError(
            f"problem must be a noisy quadratic (noisy_quadratic(...)), got {problem!r}"
        )
    lrs = np.asarray(lrs, dtype=float)
    if lrs.ndim == 0:
        raise ValueError("lrs must be an array with the steps on its last axis, got a number")
    curvatures, vectors = np.linalg.eigh(problem.hessian)
    z0 = (problem.start - problem.minimum) @ vectors  # the start in the eigenbasis
    # Steps first, in contiguous memory: the loop below reads one small block per step.
    per_step = np.ascontiguousarray(np.moveaxis(lrs, -1, 0))[..., None]  # (steps, ..., 1)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging rate overflows to inf
        shrink = (1 - per_step * curvatures) ** 2  # every step's factors at once
        noise = per_step**2 * problem.sigma**2
        m = np.empty(shrink.shape)  # m[k]: the moments after update k, per direction
        moment = z0**2
        for k in range(len(m)):  # the one loop: each step needs the one before
            moment = m[k] = shrink[k] * moment + noise[k]
        after = np.moveaxis(m @ curvatures, 0, -1)
    start = np.broadcast_to(curvatures @ z0**2, (*lrs.shape[:-1], 1))
    out = 0.5 * np.concatenate([start, after], axis=-1)
    return np.where(np.isnan(out), np.inf, out)


# --- Part V: the edge of stability, batch size (lectures 14 and 15) ----------------------------


def gd_edge(lr):
    """The sharpness at which gradient descent at rate lr stops being stable: 2 / lr.

    On a quadratic, gradient descent multiplies the error along an eigenvector of curvature
    lambda by (1 - lr lambda) per step: it shrinks while lr lambda < 2. On a network, full-batch
    gradient descent drives the sharpness (the top Hessian eigenvalue) up to this value and then
    hovers at it, the edge of stability (Cohen et al. 2021).

    >>> float(gd_edge(0.1)), gd_edge([0.5, 2.0]).tolist()
    (20.0, [4.0, 1.0])
    """
    return (2.0 / v.positive("lr", lr))[()]


def adam_edge(lr, beta1=0.9):
    """The preconditioned sharpness at which Adam stops being stable: (2 + 2 b1) / ((1 - b1) lr).

    Adam's momentum is an average, m = beta1 m + (1 - beta1) g. On a quadratic of curvature
    lambda the step x -= lr m is a linear map of (x_k, x_{k-1}) whose trace is
    1 + beta1 - lr (1 - beta1) lambda and determinant beta1; it is stable while
    lr (1 - beta1) lambda < 2 + 2 beta1. With Adam's preconditioner P (x -= lr P^-1 m) the
    same holds for the eigenvalues of P^-1 H: 38 / lr at beta1 = 0.9 (Cohen et al. 2022).
    beta1 = 0 gives gradient descent's 2 / lr.

    >>> round(float(adam_edge(1.0)), 10), float(adam_edge(0.5, beta1=0.0))
    (38.0, 4.0)
    """
    beta1 = v.in_range("beta1", beta1, 0, 1)
    return ((2 + 2 * beta1) / ((1 - beta1) * v.positive("lr", lr)))[()]


def noise_scale(trace_covariance, grad_norm_sq):
    """McCandlish et al.'s (2018) simple noise scale: B_noise = tr(Sigma) / |G|^2.

    G is the full-batch gradient and Sigma the covariance of one example's gradient. A
    mini-batch of B examples has gradient noise tr(Sigma) / B; at B = B_noise the noise is as
    large as the signal |G|^2. Far below B_noise doubling the batch halves the steps a target
    needs; far above it, it saves nothing (``steps_to_target``).

    >>> float(noise_scale(50.0, 0.5))
    100.0
    """
    trace_covariance = v.non_negative("trace_covariance", trace_covariance)
    return (trace_covariance / v.positive("grad_norm_sq", grad_norm_sq))[()]


def steps_to_target(batch_size, min_steps, b_noise):
    """Steps to reach a target at batch size B, each B at its best rate: S_min (1 + B_noise / B).

    McCandlish et al.'s (2018) model, exact for SGD on a quadratic with Gaussian noise: a small
    batch needs about B_noise / B times S_min steps (perfect scaling: the examples E = S B
    stay fixed), a large one S_min whatever B (no gain from a larger batch). The two regimes
    meet at the critical batch size B = B_noise, where the steps are twice the minimum.

    >>> steps_to_target([1, 10, 100, 10_000], min_steps=50, b_noise=100).tolist()
    [5050.0, 550.0, 100.0, 50.5]
    """
    ratio = v.positive("b_noise", b_noise) / v.positive("batch_size", batch_size)
    return (v.positive("min_steps", min_steps) * (1 + ratio))[()]


def scaled_lr(lr, batch_size, base_batch_size, rule="linear"):
    """The rate for ``batch_size`` given a good ``lr`` at ``base_batch_size``.

        linear:  lr * B / B_0            (SGD; Goyal et al. 2017)
        sqrt:    lr * sqrt(B / B_0)      (Adam and other adaptive methods; Malladi et al. 2022)

    Both hold only while B is below the critical batch size; beyond it no rate makes up for the
    lost steps.

    >>> float(scaled_lr(0.1, 256, 32)), float(scaled_lr(1e-3, 128, 32, rule="sqrt"))
    (0.8, 0.002)
    """
    ratio = v.positive("batch_size", batch_size) / v.positive("base_batch_size", base_batch_size)
    power = {"linear": 1.0, "sqrt": 0.5}[v.one_of("rule", rule, ("linear", "sqrt"))]
    return (v.positive("lr", lr) * ratio**power)[()]
