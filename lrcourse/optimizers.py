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
__all__ += ["sgd_schedule_free", "adamw_schedule_free", "prodigy"]


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

    ``momentum`` may be a schedule too (cyclical momentum, ``schedules.one_cycle_momentum``).
    PyTorch: ``torch.optim.SGD`` (same names); Optax: ``sgd(learning_rate, momentum, nesterov)``
    (no dampening); Keras: ``SGD(learning_rate, momentum, nesterov)`` puts lr inside the buffer,
    which only agrees while lr is constant.

    >>> opt = sgd(lr=0.1, momentum=0.9)
    >>> params, state = opt.step(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))
    >>> params, state.momentum_buffer
    (array([0.8]), array([2.]))
    """
    lr = _lr(lr)
    cycled = callable(momentum)  # a schedule, such as one_cycle_momentum: read at every step
    momentum = momentum if cycled else v.in_range("momentum", momentum, 0, 1)
    dampening = v.in_range("dampening", dampening, 0, 1, high_open=False)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    nesterov = v.flag("nesterov", nesterov)
    if nesterov and ((not cycled and np.any(momentum <= 0)) or np.any(dampening != 0)):
        raise ValueError(
            f"nesterov=True needs momentum > 0 and dampening = 0, got momentum="
            f"{v._show(momentum)}, dampening={v._show(dampening)}"
        )
    use_momentum = cycled or np.any(momentum != 0)
    # In a sweep, a run with momentum 0 is plain SGD, as in PyTorch: buf = g, undamped.
    dampening = dampening if cycled else np.where(momentum == 0, 0.0, dampening)

    def init(params):
        return SGDState(step=0, momentum_buffer=np.zeros_like(_params(params)))

    def step(params, grads, state):
        params = _params(params)
        g = _l2(params, grads, weight_decay)
        buf = state.momentum_buffer
        if use_momentum:
            mu = _cast(momentum(state.step) if cycled else momentum, params)
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
    gradient, which is AdamW (``adamw`` below). beta1 may be a schedule (cyclical momentum).

    Kingma and Ba (2015). PyTorch: ``torch.optim.Adam`` (with ``decoupled_weight_decay`` from
    2.6 on); Optax: ``adam(b1, b2, eps)``; Keras: ``Adam(epsilon=1e-7)``, which adds its
    epsilon to sqrt(v) before the bias correction, so it equals PyTorch's eps only after
    rescaling by sqrt(1 - beta2**t).

    >>> opt = adam(lr=0.1)
    >>> opt.step(np.array([1.0, 1.0]), np.array([5.0, -0.01]), opt.init(np.zeros(2)))[0].round(6)
    array([0.9, 1.1])
    """
    lr = _lr(lr)
    cycled = isinstance(betas, (tuple, list)) and len(betas) == 2 and callable(betas[0])
    beta1, beta2 = _betas((0.0, betas[1]) if cycled else betas)  # a cycled beta1: a schedule
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
        b1 = _cast(betas[0](state.step) if cycled else beta1, params)
        b2 = _cast(beta2, params)
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


# --- Schedule-Free SGD and AdamW -----------------------------------------------------------------


class ScheduleFreeState(NamedTuple):
    step: int
    z: np.ndarray  # the base sequence: plain SGD (or Adam) steps
    x: np.ndarray  # the weighted average of the z's: the point to evaluate
    weight_sum: np.ndarray  # sum of the averaging weights so far
    lr_max: np.ndarray  # the largest (warmed-up) rate so far
    exp_avg_sq: np.ndarray  # AdamW only (zeros for SGD)


def _warmup(lr, step, warmup_steps):
    """The rate of update step + 1 under schedulefree's built-in linear warmup:
    lr * min((step + 1) / warmup_steps, 1)."""
    return lr(step) * min((step + 1) / max(warmup_steps, 1), 1.0)


def averaging_weight(step, lr_t, state, r, weight_lr_power):
    """The weight c of the new z in the average x, and the updated (weight_sum, lr_max).

    w_t = (t + 1)**r * lr_max**weight_lr_power,    c = w_t / sum_{i<=t} w_i     (t = step)

    With r = 0 and a constant rate, c = 1 / (t + 1): x is the plain mean of z_1 .. z_{t+1}.
    During warmup lr_max grows, so the early, small-rate points weigh little (weight_lr_power=2).

    >>> c, _, _ = averaging_weight(3, 1.0, ScheduleFreeState(3, 0, 0, 3.0, 1.0, 0), 0.0, 2.0)
    >>> float(c)
    0.25
    """
    lr_max = np.maximum(state.lr_max, lr_t)
    weight = (step + 1) ** r * lr_max**weight_lr_power
    weight_sum = state.weight_sum + weight
    c = np.divide(weight, weight_sum, out=np.zeros_like(weight_sum * 1.0), where=weight_sum > 0)
    return c, weight_sum, lr_max


def _schedule_free(params, direction, state, lr_t, beta, weight_decay, r, weight_lr_power):
    """One schedule-free update from the step direction taken at y = params."""
    c, weight_sum, lr_max = averaging_weight(state.step, lr_t, state, r, weight_lr_power)
    c, b, lr_t = (_cast(x, params) for x in (c, beta, lr_t))
    direction = _l2(params, direction, weight_decay)  # the decay is taken at y
    z = state.z - lr_t * direction
    x = (1 - c) * state.x + c * z
    y = (1 - b) * z + b * x  # the next gradient is taken here
    return y, z, x, _cast(weight_sum, params), _cast(lr_max, params)


def _schedule_free_init(params):
    params = _params(params)
    zero = np.zeros_like(params[..., :1])
    return ScheduleFreeState(0, params, params, zero, zero, np.zeros_like(params))


def sgd_schedule_free(
    lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0
):
    """Schedule-Free SGD: no decay schedule; the point to evaluate is a running average.

    Three sequences (params is y, where the gradient is taken; state holds z and x):
    g = grads + weight_decay * y
    z = z - lr_t * g                            plain SGD steps, at a constant rate
    x = (1 - c) * x + c * z                     the average of the z's (c from averaging_weight)
    y = (1 - momentum) * z + momentum * x       interpolate: the next gradient is taken here
    lr_t = lr * min((t + 1) / warmup_steps, 1)  (t = 0, 1, ...)

    Evaluate the model at x (``state.x``), not at y: x is the average, the point the theory's
    guarantee is about. PyTorch's ``model.train()``/``optimizer.eval()`` switch the weights
    between y and x for the same reason. Defazio, Yang, Mehta, Mishchenko, Khaled and Cutkosky,
    "The Road Less Scheduled" (NeurIPS 2024). Reference: ``schedulefree.SGDScheduleFree`` (same
    names and defaults; it stores y and z and recovers x from them).

    >>> opt = sgd_schedule_free(lr=0.1)
    >>> params, state = opt.step(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))
    >>> params, state.z, state.x            # c = 1: the first average is z itself
    (array([0.8]), array([0.8]), array([0.8]))
    """
    lr = _lr(lr)
    momentum = v.in_range("momentum", momentum, 0, 1, low_open=True)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    warmup_steps = v.positive_int("warmup_steps", warmup_steps, minimum=0)
    r = v.non_negative("r", r)
    weight_lr_power = v.non_negative("weight_lr_power", weight_lr_power)

    def step(params, grads, state):
        params = _params(params)
        g = np.asarray(grads, dtype=params.dtype)
        lr_t = _warmup(lr, state.step, warmup_steps)
        y, z, x, weight_sum, lr_max = _schedule_free(
            params, g, state, lr_t, momentum, weight_decay, r, weight_lr_power
        )
        return y, ScheduleFreeState(state.step + 1, z, x, weight_sum, lr_max, state.exp_avg_sq)

    return Optimizer(_schedule_free_init, step, lr)


def adamw_schedule_free(
    lr=0.0025,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    warmup_steps=0,
    r=0.0,
    weight_lr_power=2.0,
):
    """Schedule-Free AdamW: schedule-free averaging with Adam's per-coordinate scaling.

    v = beta2 * v + (1 - beta2) * g**2                        (exp_avg_sq; no first moment:
    d = g / (sqrt(v / (1 - beta2**t)) + eps) + weight_decay * y      the average does its work)
    z, x, y as in ``sgd_schedule_free`` with d in place of g and beta1 as the momentum.

    The decay is decoupled (added after the scaling, at y), as in AdamW. Defazio et al. (2024).
    Reference: ``schedulefree.AdamWScheduleFree`` (same names and defaults).

    >>> opt, params = adamw_schedule_free(lr=0.1), np.ones(2)
    >>> opt.step(params, np.array([5.0, -0.01]), opt.init(params))[0].round(6)  # sign steps
    array([0.9, 1.1])
    """
    lr = _lr(lr)
    beta1, beta2 = _betas(betas)
    eps = v.non_negative("eps", eps)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    warmup_steps = v.positive_int("warmup_steps", warmup_steps, minimum=0)
    r = v.non_negative("r", r)
    weight_lr_power = v.non_negative("weight_lr_power", weight_lr_power)
    if np.any(beta1 <= 0):
        raise ValueError(f"betas[0] must be in (0, 1), got {v._show(betas[0])}")

    def step(params, grads, state):
        params = _params(params)
        g = np.asarray(grads, dtype=params.dtype)
        b2 = _cast(beta2, params)
        exp_avg_sq = b2 * state.exp_avg_sq + (1 - b2) * g * g
        denom = np.sqrt(exp_avg_sq / (1 - b2 ** (state.step + 1))) + _cast(eps, params)
        lr_t = _warmup(lr, state.step, warmup_steps)
        y, z, x, weight_sum, lr_max = _schedule_free(
            params, g / denom, state, lr_t, beta1, weight_decay, r, weight_lr_power
        )
        return y, ScheduleFreeState(state.step + 1, z, x, weight_sum, lr_max, exp_avg_sq)

    return Optimizer(_schedule_free_init, step, lr)


# --- Prodigy -------------------------------------------------------------------------------------


class ProdigyState(NamedTuple):
    step: int
    d: np.ndarray  # the estimate of D = |x0 - x*|, the distance to a solution
    d_max: np.ndarray
    d_numerator: np.ndarray  # sum_k beta3**(t-k) d_k * dlr_k <g_k, x0 - x_k> / d0
    s: np.ndarray  # sum_k beta3**(t-k) d_k * dlr_k g_k / d0
    p0: np.ndarray  # the start point x0
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def _dot(a, b):
    """Sum over the last axis, kept: leading axes are independent runs, each with its own d."""
    return np.sum(a * b, axis=-1, keepdims=True)


def prodigy_estimate(state, grads, params, dlr, s_rate, beta3, d0, d_coef):
    """Prodigy's new lower bound on D, and the running sums it comes from.

    r = beta3 * r + (d / d0) * dlr * <g, x0 - x>           (d_numerator)
    s = beta3 * s + (d / d0) * s_rate * g          (s_rate = dlr; d with safeguard_warmup)
    d_hat = d_coef * r / |s|_1

    When the iterates move towards the solution, <g, x0 - x> > 0 adds up: r / |s|_1 grows
    until it approaches the distance travelled, a lower bound on |x0 - x*|.

    >>> state = ProdigyState(0, 1.0, 1.0, 0.0, np.zeros(1), np.zeros(1), 0, 0)
    >>> prodigy_estimate(state, np.array([2.0]), np.array([-1.0]), 1.0, 1.0, 0.5, 1.0, 1.0)[0]
    array([1.])
    """
    d_numerator = beta3 * state.d_numerator + state.d / d0 * dlr * _dot(grads, state.p0 - params)
    s = beta3 * state.s + state.d / d0 * s_rate * grads
    d_denom = np.sum(np.abs(s), axis=-1, keepdims=True)
    safe = np.where(d_denom > 0, d_denom, 1)
    d_hat = np.where(d_denom > 0, d_coef * d_numerator / safe, state.d)
    return d_hat, d_numerator, s


def _growth_rate(value):
    """A number (or array) >= 1; infinity, the default, means no limit."""
    unlimited = isinstance(value, float) and value == np.inf
    rate = np.asarray(np.inf) if unlimited else v.as_float_array("growth_rate", value)
    if np.any(rate < 1):
        raise ValueError(f"growth_rate must be >= 1 (np.inf: no limit), got {v._show(value)}")
    return rate


def prodigy(
    lr=1.0,
    betas=(0.9, 0.999),
    beta3=None,
    eps=1e-8,
    weight_decay=0.0,
    decouple=True,
    use_bias_correction=False,
    safeguard_warmup=False,
    d0=1e-6,
    d_coef=1.0,
    growth_rate=np.inf,
):
    """Prodigy: Adam whose learning rate d is estimated on the fly (keep lr = 1).

    dlr = d * lr  (* sqrt(1 - beta2**t) / (1 - beta1**t) with use_bias_correction)
    m = beta1 * m + d * (1 - beta1) * g,   v = beta2 * v + d**2 * (1 - beta2) * g**2
    d_hat from ``prodigy_estimate``;  d = min(max(d, d_hat), d * growth_rate)
    params = params - dlr * m / (sqrt(v) + d * eps)

    d starts tiny (d0) and only grows: each step it becomes the largest lower bound on the
    distance to a solution seen so far. Mishchenko and Defazio, "Prodigy: An Expeditiously
    Adaptive Parameter-Free Learner" (ICML 2024). Reference: ``prodigyopt.Prodigy`` (same names
    and defaults; beta3=None means sqrt(beta2)). The update's m and v carry a factor d, so the
    step is d * lr times Adam's direction. Leading axes of params are independent runs, each
    with its own d (the reference has one d per parameter group).

    >>> opt = prodigy()
    >>> params, state = opt.step(np.array([1.0, 1.0]), np.array([1.0, -1.0]), opt.init(np.ones(2)))
    >>> state.d                 # x has not moved yet, so no distance to estimate
    array([1.e-06])
    """
    lr = _lr(lr)
    beta1, beta2 = _betas(betas)
    beta3 = np.sqrt(beta2) if beta3 is None else v.in_range("beta3", beta3, 0, 1, high_open=False)
    eps = v.positive("eps", eps)
    weight_decay = v.non_negative("weight_decay", weight_decay)
    decouple = v.flag("decouple", decouple)
    use_bias_correction = v.flag("use_bias_correction", use_bias_correction)
    safeguard_warmup = v.flag("safeguard_warmup", safeguard_warmup)
    d0 = v.positive("d0", d0)
    d_coef = v.positive("d_coef", d_coef)
    growth_rate = _growth_rate(growth_rate)

    def init(params):
        params = _params(params)
        zeros, first = np.zeros_like(params), np.zeros_like(params[..., :1])
        d = first + _cast(d0, params)
        return ProdigyState(0, d, d, first, zeros, params, zeros, zeros)

    def step(params, grads, state):
        params = _params(params)
        t = state.step + 1
        b1, b2, b3, d_0, coef = (_cast(x, params) for x in (beta1, beta2, beta3, d0, d_coef))
        g = np.asarray(grads, dtype=params.dtype)
        if not decouple:
            g = _l2(params, g, weight_decay)
        correction = np.sqrt(1 - b2**t) / (1 - b1**t) if use_bias_correction else 1.0
        d = state.d
        dlr = d * _cast(lr(state.step), params) * correction
        # safeguard_warmup leaves lr out of s, so that a warmup's tiny rates cannot shrink |s|.
        s_rate = d if safeguard_warmup else dlr
        d_hat, d_numerator, s = prodigy_estimate(state, g, params, dlr, s_rate, b3, d_0, coef)
        exp_avg = b1 * state.exp_avg + d * (1 - b1) * g
        exp_avg_sq = b2 * state.exp_avg_sq + d * d * (1 - b2) * g * g
        d_new = np.where(d == d_0, np.maximum(d, d_hat), d)
        d_max = np.maximum(state.d_max, d_hat)
        d_new = np.minimum(d_max, d_new * _cast(growth_rate, params))
        if decouple and np.any(weight_decay):
            params = params - _cast(weight_decay, params) * dlr * params
        denom = np.sqrt(exp_avg_sq) + d_new * _cast(eps, params)
        # With beta1 = 0 the reference has no m and scales g by the new d (m holds the old one).
        direction = np.where(b1 > 0, exp_avg, d_new * g)
        params = params - dlr * (direction / denom)
        return params, ProdigyState(t, d_new, d_max, d_numerator, s, state.p0, exp_avg, exp_avg_sq)

    return Optimizer(init, step, lr)
