"""Optimizers as pairs of pure functions, with PyTorch's names, defaults and eps placement.

    opt = adam(lr=1e-3)
    state = opt.init(params)
    params, state = opt.step(params, grads, state)

``state`` is a NamedTuple you can print; its fields carry PyTorch's names (``exp_avg``,
``exp_avg_sq``, ``momentum_buffer``, ...) and ``step``, the number of updates done so far. Nothing
is changed in place: ``step`` returns new arrays, so you can keep any state to look at later.

``lr`` is a number or a schedule (see ``lrcourse.schedules``); a schedule is evaluated at
``state.step``, so the first update uses ``schedule(0)``. ``params`` is one array; its leading axes,
if any, are independent runs, and every hyperparameter may be an array that broadcasts against
it: ``sgd(lr=np.array([[0.1], [0.2], [0.4]]))`` steps three runs of shape (3, dim) at once.

Each update rule is written as PyTorch's ``torch.optim`` runs it (the "single tensor" code path),
and the tests check the two agree to 1e-10 over 200 steps.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from lrcourse import _validate as v

__all__ = ["Optimizer", "sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam"]


class Optimizer(NamedTuple):
    """An optimizer: ``init(params) -> state`` and ``step(params, grads, state) -> (params,
    state)``, plus ``lr``, its learning-rate schedule (``opt.lr(state.step)`` is the rate the next
    update will use)."""

    init: Callable
    step: Callable
    lr: Callable


def _lr(lr):
    """Validate ``lr`` (a number >= 0, an array of them, or a schedule) and return a schedule."""
    if callable(lr):
        return lr
    lr = v.non_negative("lr", lr)
    # Zero is allowed, as in PyTorch (a frozen run is a useful baseline), but a constant
    # schedule insists on a positive rate, so build this one by hand.
    return lambda step: lr * np.ones_like(v.steps(step), dtype=float)


def _betas(betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {v._show(betas)}")
    return v.in_range("betas[0]", betas[0], 0, 1), v.in_range("betas[1]", betas[1], 0, 1)


def _params(params):
    """The parameters as a float array (float32 stays float32; ints become float64)."""
    params = np.asarray(params)
    return params if params.dtype.kind == "f" else params.astype(float)


def _cast(x, like):
    """A hyperparameter (maybe float64, maybe an array) in the dtype of the parameters."""
    return np.asarray(x, dtype=like.dtype)


def _l2(params, grads, weight_decay):
    """grads + weight_decay * params, the gradient of an added weight_decay / 2 * |params|**2.

    The gradients take the dtype of the parameters (float32 runs stay float32, as PyTorch
    requires), and with no decay the sum is skipped: it would cost two passes over the arrays.
    """
    grads = np.asarray(grads, dtype=params.dtype)
    if not np.any(weight_decay):
        return grads
    return grads + _cast(weight_decay, params) * params


# --- SGD ---------------------------------------------------------------------------------------


class SGDState(NamedTuple):
    step: int
    momentum_buffer: np.ndarray


def sgd(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """Stochastic gradient descent, with heavy-ball or Nesterov momentum.

    g   = grads + weight_decay * params
    buf = g                                   at the first step (no dampening), then
    buf = momentum * buf + (1 - dampening) * g
    d   = g + momentum * buf if nesterov else buf          (d = g when momentum = 0)
    params = params - lr * d

    PyTorch: ``torch.optim.SGD`` (same names); Optax: ``sgd(learning_rate, momentum, nesterov)``
    (no dampening); Keras: ``SGD(learning_rate, momentum, nesterov)`` puts lr inside the buffer,
    which only agrees while lr is constant.

    >>> opt = sgd(lr=0.1, momentum=0.9)
    >>> params, state = opt.step(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))
    >>> params, state.momentum_buffer
    (array([0.8]), array([2.]))
    """
    lr = _lr(lr)
    momentum = v.in_range("momentum", momentum, 0, 1)
    dampening = v.in_range("dampening", dampening, 0, 1, high_open=False)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    nesterov = v.flag("nesterov", nesterov)
    if nesterov and (np.any(momentum <= 0) or np.any(dampening != 0)):
        raise ValueError(
            f"nesterov=True needs momentum > 0 and dampening = 0, got momentum="
            f"{v._show(momentum)}, dampening={v._show(dampening)}"
        )
    use_momentum = np.any(momentum != 0)
    # In a sweep, a run with momentum 0 is plain SGD, as in PyTorch: buf = g, undamped.
    dampening = np.where(momentum == 0, 0.0, dampening)

    def init(params):
        return SGDState(step=0, momentum_buffer=np.zeros_like(_params(params)))

    def step(params, grads, state):
        params = _params(params)
        g = _l2(params, grads, weight_decay)
        buf = state.momentum_buffer
        if use_momentum:
            mu = _cast(momentum, params)
            if state.step == 0:
                buf = g + 0 * mu  # PyTorch starts the buffer at g, undamped
            else:
                buf = mu * buf + _cast(1 - dampening, params) * g
            g = g + mu * buf if nesterov else buf
        params = params - _cast(lr(state.step), params) * g
        return params, SGDState(state.step + 1, buf)

    return Optimizer(init, step, lr)


# --- AdaGrad -----------------------------------------------------------------------------------


class AdagradState(NamedTuple):
    step: int
    sum: np.ndarray


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    """AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    g      = grads + weight_decay * params
    sum    = sum + g**2
    params = params - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)     (t = 1, 2, ...)

    A coordinate that has seen large gradients takes small steps and a rarely-updated one (a
    sparse feature) keeps large ones; but the sum only grows, so every rate decays like 1/sqrt(t).
    Duchi, Hazan and Singer (2011).
    PyTorch: ``torch.optim.Adagrad`` (eps outside the square root); Optax: ``adagrad(
    learning_rate, initial_accumulator_value=0.1, eps=1e-7)`` and Keras: ``Adagrad(
    initial_accumulator_value=0.1, epsilon=1e-7)`` put eps inside it.

    >>> opt = adagrad(lr=0.1)
    >>> opt.step(np.array([1.0, 1.0]), np.array([3.0, 0.01]), opt.init(np.zeros(2)))[0]
    array([0.9, 0.9])
    """
    lr = _lr(lr)
    lr_decay = v.non_negative("lr_decay", lr_decay)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    initial_accumulator_value = v.non_negative(
        "initial_accumulator_value", initial_accumulator_value
    )
    eps = v.non_negative("eps", eps)

    def init(params):
        params = _params(params)
        return AdagradState(0, np.full_like(params, initial_accumulator_value))

    def step(params, grads, state):
        params = _params(params)
        t = state.step + 1
        g = _l2(params, grads, weight_decay)
        clr = lr(state.step) / (1 + (t - 1) * lr_decay)
        total = state.sum + g * g
        params = params - _cast(clr, params) * g / (np.sqrt(total) + _cast(eps, params))
        return params, AdagradState(t, total)

    return Optimizer(init, step, lr)


# --- RMSProp -----------------------------------------------------------------------------------


class RMSpropState(NamedTuple):
    step: int
    square_avg: np.ndarray
    grad_avg: np.ndarray
    momentum_buffer: np.ndarray


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    """RMSProp: like AdaGrad, but with a moving average of squared gradients, so rates recover.

    g          = grads + weight_decay * params
    square_avg = alpha * square_avg + (1 - alpha) * g**2
    d          = sqrt(square_avg) + eps
                 (centered: sqrt(square_avg - grad_avg**2) + eps, grad_avg the average of g)
    params     = params - lr * g / d            (momentum: buf = momentum * buf + g / d;
                                                 params = params - lr * buf)

    No bias correction: square_avg starts at 0, so the first steps are large (10x lr at step 1).
    Hinton's Coursera lecture 6e (2012).
    PyTorch: ``torch.optim.RMSprop``; Optax: ``rmsprop(decay=alpha, eps_in_sqrt=False)`` to match;
    Keras: ``RMSprop(rho=alpha)`` puts eps inside the square root and lr inside the momentum.

    >>> opt = rmsprop(lr=0.01)
    >>> opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.array([1.0])))[0].round(6)
    array([0.9])
    """
    lr = _lr(lr)
    alpha = v.in_range("alpha", alpha, 0, 1)
    eps = v.non_negative("eps", eps)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    momentum = v.in_range("momentum", momentum, 0, 1)
    centered = v.flag("centered", centered)
    use_momentum = np.any(momentum != 0)

    def init(params):
        zeros = np.zeros_like(_params(params))
        return RMSpropState(0, zeros, zeros, zeros)

    def step(params, grads, state):
        params = _params(params)
        a = _cast(alpha, params)
        g = _l2(params, grads, weight_decay)
        square_avg = a * state.square_avg + (1 - a) * g * g
        grad_avg = state.grad_avg
        if centered:
            grad_avg = grad_avg + (1 - a) * (g - grad_avg)
            d = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            d = np.sqrt(square_avg)
        d = d + _cast(eps, params)
        buf = state.momentum_buffer
        step_lr = _cast(lr(state.step), params)
        if use_momentum:
            buf = _cast(momentum, params) * buf + g / d
            params = params - step_lr * buf
        else:
            params = params - step_lr * g / d
        return params, RMSpropState(state.step + 1, square_avg, grad_avg, buf)

    return Optimizer(init, step, lr)


# --- Adadelta ----------------------------------------------------------------------------------


class AdadeltaState(NamedTuple):
    step: int
    square_avg: np.ndarray
    acc_delta: np.ndarray


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """Adadelta: RMSProp whose step size is itself a running RMS of past steps (units match).

    g          = grads + weight_decay * params
    square_avg = rho * square_avg + (1 - rho) * g**2
    delta      = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
    acc_delta  = rho * acc_delta + (1 - rho) * delta**2
    params     = params - lr * delta

    Zeiler (2012). PyTorch: ``torch.optim.Adadelta``; Optax: ``adadelta(learning_rate=1.0)`` (pass
    it: with None there is no sign flip); Keras: ``Adadelta(learning_rate=0.001, rho=0.95)``.

    >>> opt = adadelta()
    >>> opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.array([1.0])))[0].round(6)
    array([0.996838])
    """
    lr = _lr(lr)
    rho = v.in_range("rho", rho, 0, 1)
    eps = v.positive("eps", eps)
    weight_decay = v.non_negative("weight_decay", weight_decay)

    def init(params):
        zeros = np.zeros_like(_params(params))
        return AdadeltaState(0, zeros, zeros)

    def step(params, grads, state):
        params = _params(params)
        r, e = _cast(rho, params), _cast(eps, params)
        g = _l2(params, grads, weight_decay)
        square_avg = r * state.square_avg + (1 - r) * g * g
        delta = np.sqrt(state.acc_delta + e) / np.sqrt(square_avg + e) * g
        acc_delta = r * state.acc_delta + (1 - r) * delta * delta
        params = params - _cast(lr(state.step), params) * delta
        return params, AdadeltaState(state.step + 1, square_avg, acc_delta)

    return Optimizer(init, step, lr)


# --- Adam, AdamW -------------------------------------------------------------------------------


class AdamState(NamedTuple):
    step: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray


def adam(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    *,
    decoupled_weight_decay=False,
):
    """Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    g      = grads + weight_decay * params                 (L2, as PyTorch's Adam does it)
    m      = beta1 * m + (1 - beta1) * g                   (exp_avg)
    v      = beta2 * v + (1 - beta2) * g**2                (exp_avg_sq)
    m_hat  = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)          (t = 1, 2, ...)
    params = params - lr * m_hat / (sqrt(v_hat) + eps)
    amsgrad: use max(v) over all steps so far in place of v (Reddi et al. 2018).
    decoupled_weight_decay: shrink params by (1 - lr * weight_decay) instead of adding the L2
    gradient, which is AdamW (``adamw`` below).

    Kingma and Ba (2015). PyTorch: ``torch.optim.Adam`` (with ``decoupled_weight_decay`` from
    2.6 on); Optax: ``adam(b1, b2, eps)``; Keras: ``Adam(epsilon=1e-7)``, which adds its
    epsilon to sqrt(v) before the bias correction, so it equals PyTorch's eps only after
    rescaling by sqrt(1 - beta2**t).

    >>> opt = adam(lr=0.1)
    >>> opt.step(np.array([1.0, 1.0]), np.array([5.0, -0.01]), opt.init(np.zeros(2)))[0].round(6)
    array([0.9, 1.1])
    """
    lr = _lr(lr)
    beta1, beta2 = _betas(betas)
    eps = v.non_negative("eps", eps)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    amsgrad = v.flag("amsgrad", amsgrad)
    decoupled_weight_decay = v.flag("decoupled_weight_decay", decoupled_weight_decay)

    def init(params):
        zeros = np.zeros_like(_params(params))
        return AdamState(0, zeros, zeros, zeros)

    def step(params, grads, state):
        params = _params(params)
        t = state.step + 1
        step_lr, wd = _cast(lr(state.step), params), _cast(weight_decay, params)
        b1, b2 = _cast(beta1, params), _cast(beta2, params)
        if decoupled_weight_decay:
            params = params * (1 - step_lr * wd)  # AdamW: shrink the weights, not the gradient
            g = _l2(params, grads, 0.0)
        else:
            g = _l2(params, grads, wd)  # Adam's L2: the decay is rescaled by 1/sqrt(v) below
        exp_avg = state.exp_avg + (1 - b1) * (g - state.exp_avg)
        exp_avg_sq = b2 * state.exp_avg_sq + (1 - b2) * g * g
        # Both averages start at 0, so early on they are too small by 1 - beta**t.
        bias_correction1 = 1 - b1**t
        bias_correction2 = 1 - b2**t
        max_exp_avg_sq = state.max_exp_avg_sq
        if amsgrad:
            max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)  # of the raw average
            second = max_exp_avg_sq
        else:
            second = exp_avg_sq
        denom = np.sqrt(second) / np.sqrt(bias_correction2) + _cast(eps, params)
        params = params - step_lr / bias_correction1 * exp_avg / denom
        return params, AdamState(t, exp_avg, exp_avg_sq, max_exp_avg_sq)

    return Optimizer(init, step, lr)


def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
    """AdamW: Adam with decoupled weight decay.

    params = params * (1 - lr * weight_decay)      first, then Adam's update without L2

    With L2 inside Adam the decay term is divided by sqrt(v_hat) like the gradient, so weights with
    large gradients are barely decayed; decoupling shrinks every weight by the same factor
    (Loshchilov and Hutter 2019). The decay per step is still lr * weight_decay, as in PyTorch:
    change lr and the effective decay changes with it (the paper scales weight_decay by the
    schedule's multiplier only, so its base rate and decay can be tuned apart).
    PyTorch: ``torch.optim.AdamW``; Optax: ``adamw(weight_decay=1e-4)``; Keras: ``AdamW(
    weight_decay=0.004)``.

    >>> opt = adamw(lr=0.1, weight_decay=0.5)
    >>> opt.step(np.array([1.0]), np.array([0.0]), opt.init(np.zeros(1)))[0]
    array([0.95])
    """
    return adam(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


# --- NAdam -------------------------------------------------------------------------------------


class NAdamState(NamedTuple):
    step: int
    mu_product: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    """NAdam: Adam with Nesterov momentum, looking one step ahead along m.

    mu_t   = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))     (a slowly warming momentum)
    m, v   as in Adam;  d = sqrt(v / (1 - beta2**t)) + eps
    params = params - lr * (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / d
                    - lr * mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m / d

    Dozat (2016). PyTorch: ``torch.optim.NAdam``; Keras: ``Nadam`` (momentum_decay 1 in effect);
    Optax: ``nadam`` (constant mu).

    >>> opt = nadam(lr=0.1)
    >>> opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.zeros(1)))[0].round(6)
    array([0.894355])
    """
    lr = _lr(lr)
    beta1, beta2 = _betas(betas)
    eps = v.non_negative("eps", eps)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    momentum_decay = v.non_negative("momentum_decay", momentum_decay)

    def init(params):
        zeros = np.zeros_like(_params(params))
        return NAdamState(0, np.ones_like(zeros), zeros, zeros)

    def step(params, grads, state):
        params = _params(params)
        t = state.step + 1
        b1, b2, psi = (_cast(x, params) for x in (beta1, beta2, momentum_decay))
        g = _l2(params, grads, weight_decay)
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state.mu_product * mu
        exp_avg = state.exp_avg + (1 - b1) * (g - state.exp_avg)
        exp_avg_sq = b2 * state.exp_avg_sq + (1 - b2) * g * g
        d = np.sqrt(exp_avg_sq / (1 - b2**t)) + _cast(eps, params)
        step_lr = _cast(lr(state.step), params)
        params = params - step_lr * (1 - mu) / (1 - mu_product) * g / d
        params = params - step_lr * mu_next / (1 - mu_product * mu_next) * exp_avg / d
        return params, NAdamState(t, mu_product, exp_avg, exp_avg_sq)

    return Optimizer(init, step, lr)
