"""Closed forms: what the lectures predict before they run anything.

Each function is a formula from a lecture, written once, so that a lecture, an explorer, an
exercise check and a test all use the same one:

    gd_edge(lr)                                 the sharpness gradient descent hovers at, 2 / lr
    adam_edge(lr, beta1)                        Adam's edge, (2 + 2 beta1) / ((1 - beta1) lr)
    noise_scale(trace_covariance, grad_norm_sq) the gradient noise scale tr(Sigma) / |G|^2
    steps_to_target(batch_size, ...)            McCandlish et al.'s steps against batch size
    scaled_lr(lr, batch_size, ...)              the linear and square-root scaling rules
"""

from lrcourse import _validate as v

__all__ = ["gd_edge", "adam_edge", "noise_scale", "steps_to_target", "scaled_lr"]


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
