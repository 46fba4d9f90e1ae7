"""Use an lrcourse schedule in PyTorch.

    from lrcourse.interop import torch_scheduler
    scheduler = torch_scheduler(optimizer, cosine_decay(lr=0.1, total_steps=1000))
    for batch in data:
        loss(batch).backward()
        optimizer.step()
        scheduler.step()          # once per optimizer step: lrcourse schedules count updates

The scheduler is a real ``torch.optim.lr_scheduler.LRScheduler``: it writes ``schedule(step)`` into
every parameter group's ``lr``, supports ``get_last_lr()``, ``state_dict()`` and
``load_state_dict()``, and can sit inside ``SequentialLR`` or ``ChainedScheduler`` like any other.
The learning rate it sets is absolute (not a multiple of the optimizer's initial ``lr``), so what
you plotted with lrcourse is what PyTorch uses, step for step.

PyTorch is optional for the course; it is imported only when you call this.
"""

from typing import NamedTuple

import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers
from lrcourse.optimizers import _betas
from lrcourse.schedules import as_schedule

__all__ = ["torch_scheduler", "keras_sgd", "keras_adam", "uncorrected_adam"]


def torch_scheduler(optimizer, schedule, last_epoch=-1):
    """A PyTorch scheduler that sets ``lr = schedule(step)`` in every parameter group.

    ``schedule`` is one lrcourse schedule for all groups, or a list with one per group.
    ``last_epoch`` resumes a run the way PyTorch's schedulers do (the number of steps done).

    >>> import torch
    >>> from lrcourse.schedules import step_decay
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=123.0)
    >>> scheduler = torch_scheduler(opt, step_decay(lr=0.1, step_size=2, gamma=0.5))
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     opt.step()
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    from torch.optim.lr_scheduler import LRScheduler

    groups = len(optimizer.param_groups)
    schedules = list(schedule) if isinstance(schedule, (list, tuple)) else [schedule] * groups
    if len(schedules) != groups:
        raise ValueError(
            f"schedule must be one schedule or a list of {groups} (one per parameter group), "
            f"got a list of {len(schedules)}"
        )
    for s in schedules:
        if not callable(s):
            raise ValueError(f"schedule must be an lrcourse schedule (a function), got {s!r}")

    class LrcourseScheduler(LRScheduler):
        """Sets each group's lr to its lrcourse schedule at ``last_epoch`` (steps done)."""

        def get_lr(self):
            # PyTorch calls this after incrementing last_epoch; step k uses schedule(k).
            return [float(np.asarray(s(self.last_epoch))) for s in schedules]

        def _get_closed_form_lr(self):
            return self.get_lr()

    if last_epoch != -1:
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
    return LrcourseScheduler(optimizer, last_epoch=last_epoch)


class KerasSGDState(NamedTuple):
    step: int
    momentum: np.ndarray  # Keras's name for its buffer, which holds lr * (sum of gradients)


def keras_sgd(lr=0.01, momentum=0.0, nesterov=False):
    """Keras's SGD, for comparison: it folds the learning rate into the momentum buffer.

    m      = momentum * m - lr_t * g            (m starts at 0)
    params = params + m                         (nesterov: params + momentum * m - lr_t * g)

    Unrolled, Keras moves by sum_j momentum^(k-j) lr_j g_j: every gradient keeps the rate it was
    seen with. PyTorch (``optimizers.sgd``) moves by lr_k sum_j momentum^(k-j) g_j: today's rate
    scales the whole history. At a constant rate the two are the same optimizer; under a
    schedule they differ. Keras: ``keras.optimizers.SGD(learning_rate, momentum, nesterov)``.

    >>> opt = keras_sgd(lr=0.1, momentum=0.9)
    >>> opt.step(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))[0]
    array([0.8])
    """
    lr = as_schedule(lr)
    momentum = v.in_range("momentum", momentum, 0, 1)

    def init(params):
        return KerasSGDState(0, np.zeros_like(np.asarray(params, dtype=float)))

    def step(params, grads, state):
        params, grads = np.asarray(params, dtype=float), np.asarray(grads, dtype=float)
        rate = lr(state.step)
        m = momentum * state.momentum - rate * grads
        update = momentum * m - rate * grads if nesterov else m
        return params + update, KerasSGDState(state.step + 1, m)

    return optimizers.Optimizer(init, step, lr)


def keras_adam(lr=1e-3, betas=(0.9, 0.999), epsilon=1e-7):
    """Keras's Adam, whose epsilon is added to sqrt(v) before the bias correction.

    lr_t   = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
    params = params - lr_t * m / (sqrt(v) + epsilon)          (m, v as in Adam; t = 1, 2, ...)

    Rearranged, this is PyTorch's Adam with eps = epsilon / sqrt(1 - beta2**t), an eps that is
    31.6 times larger at the first step (beta2 = 0.999) and shrinks to epsilon: the "epsilon
    hat" of Kingma and Ba's paper. Keras: ``keras.optimizers.Adam(epsilon=1e-7)``.

    >>> opt = keras_adam(lr=1e-3)
    >>> g = np.array([1e-6, 1e-3, 1.0])
    >>> (opt.step(np.zeros(3), g, opt.init(np.zeros(3)))[0] * -1e4).round(4)   # in 1e-4 units
    array([ 2.4025,  9.9685, 10.    ])
    """
    lr = optimizers._lr(lr)
    beta1, beta2 = _betas(betas)
    epsilon = v.non_negative("epsilon", epsilon)

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return optimizers.AdamState(0, zeros, zeros, zeros)

    def step(params, grads, state):
        params, g = np.asarray(params, dtype=float), np.asarray(grads, dtype=float)
        t = state.step + 1
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        lr_t = lr(state.step) * np.sqrt(1 - beta2**t) / (1 - beta1**t)
        params = params - lr_t * exp_avg / (np.sqrt(exp_avg_sq) + epsilon)
        return params, optimizers.AdamState(t, exp_avg, exp_avg_sq, state.max_exp_avg_sq)

    return optimizers.Optimizer(init, step, lr)


def uncorrected_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """Adam with both bias corrections dropped, for comparison with ``optimizers.adam``.

    m      = beta1 * m + (1 - beta1) * g
    v      = beta2 * v + (1 - beta2) * g**2
    params = params - lr * m / (sqrt(v) + eps)

    Its first step is lr * (1 - beta1) / sqrt(1 - beta2), 3.16 lr at the default betas, where
    Adam's is lr. Kingma and Ba (2015) name the missing correction as one difference from
    RMSProp with momentum; the other is where the momentum sits (here on the raw gradients,
    there on the rescaled ones). State: ``optimizers.AdamState``.

    >>> opt = uncorrected_adam(lr=0.1)
    >>> opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.zeros(1)))[0].round(4)
    array([0.6838])
    """
    lr = optimizers._lr(lr)
    beta1, beta2 = _betas(betas)
    eps = v.non_negative("eps", eps)

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return optimizers.AdamState(0, zeros, zeros, zeros)

    def step(params, grads, state):
        params, g = np.asarray(params, dtype=float), np.asarray(grads, dtype=float)
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        params = params - lr(state.step) * exp_avg / (np.sqrt(exp_avg_sq) + eps)
        return params, optimizers.AdamState(
            state.step + 1, exp_avg, exp_avg_sq, state.max_exp_avg_sq
        )

    return optimizers.Optimizer(init, step, lr)
