"""Lecture 14, the edge of stability: training while measuring the sharpness, and an explorer.

    adam_preconditioner(state, betas, eps)    p = P^-1/2 for Adam's step x -= lr P^-1 m, so that
                                              sharpness(..., preconditioner=p) is the top
                                              eigenvalue of P^-1 H
    track_sharpness(opt, problem, ...)        full-batch training that measures the sharpness
                                              every few steps (warm-started power iteration)
    edge_explorer()                           a rate slider: the loss and the sharpness of
                                              full-batch gradient descent, with the line 2 / lr

The curvature itself, ``DigitsMLP.hvp`` and ``sharpness``, is in ``lrcourse.problems``; the
thresholds 2 / lr and (2 + 2 beta1) / ((1 - beta1) lr) are in ``lrcourse.theory``.
"""

import functools
from typing import NamedTuple

import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.problems import digits_mlp, sharpness
from lrcourse.theory import gd_edge
from lrcourse.widgets import Explorer, figure, log_slider, log_y

__all__ = [
    "adam_preconditioner",
    "SharpnessHistory",
    "track_sharpness",
    "edge_explorer",
    "EXPLORERS",
]


def adam_preconditioner(state, betas=(0.9, 0.999), eps=1e-8):
    """Adam's step as x -= lr P^-1 m: returns p = P^-1/2, with P = (1 - beta1^t)(sqrt(v_hat) + eps).

    Adam moves by lr m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - beta1^t): that is
    lr P^-1 m for the diagonal P above (Cohen et al. 2022). The eigenvalues of P^-1 H are those
    of P^-1/2 H P^-1/2 = diag(p) H diag(p), a symmetric matrix, so ``sharpness`` with
    ``preconditioner=p`` measures Adam's preconditioned sharpness.

    >>> state = optimizers.AdamState(1, np.zeros(2), np.array([4.0, 0.25]), np.zeros(2))
    >>> adam_preconditioner(state, eps=0.0).round(4)    # P = 0.1 * sqrt(v / 0.001): 6.32, 1.58
    array([0.3976, 0.7953])
    """
    beta1, beta2 = betas
    t = v.positive_int("state.step", state.step)  # after at least one update
    v_hat = state.exp_avg_sq / (1 - beta2**t)
    return 1 / np.sqrt((1 - beta1**t) * (np.sqrt(v_hat) + eps))


class SharpnessHistory(NamedTuple):
    """What ``track_sharpness`` saw (``...``: the leading axes of params, one per run).

    loss             (steps + 1, ...)    the full-batch loss before each update (and at the end)
    sharpness_steps  (n,)                the steps at which the sharpness was measured
    sharpness        (n, ...)            the (preconditioned) sharpness there
    lr               (steps, ...)        the rate of each update
    final_params     (..., dim)
    """

    loss: np.ndarray
    sharpness_steps: np.ndarray
    sharpness: np.ndarray
    lr: np.ndarray
    final_params: np.ndarray


def track_sharpness(
    opt, problem, params=None, steps=1000, *, every=10, iters=10, preconditioner=None, batch=None
):
    """Full-batch training of ``params`` by ``opt``, measuring the sharpness every ``every`` steps.

    Each measurement is ``sharpness(problem, params, iters, vectors)`` started from the vectors
    of the last one (the top eigenvector turns slowly, so a few iterations keep up; the first
    measurement takes ``5 * iters``). ``preconditioner(state)`` (e.g. ``adam_preconditioner``
    with the optimizer's betas) makes it the preconditioned sharpness from the first update on
    (at step 0 there is no preconditioner yet: the plain sharpness). ``batch``: a fixed set
    of training examples to use instead of all of them. A run diverges once its loss passes
    10^6 times its start (the overflow that follows is silenced): its loss and sharpness are
    NaN from that step on.

    >>> mlp = digits_mlp(hidden=8, criterion="squared_error", batch_size=None)
    >>> h = track_sharpness(optimizers.sgd(lr=0.1), mlp, steps=20, every=10)
    >>> h.loss.shape, h.sharpness_steps.tolist(), h.sharpness.round(2).tolist()
    ((21,), [0, 10, 20], [10.91, 9.86, 9.95])
    """
    steps = v.positive_int("steps", steps, minimum=0)
    every = v.positive_int("every", every)
    params = np.array(problem.start if params is None else params, dtype=float)
    state = opt.init(params)
    vectors = np.random.default_rng(0).standard_normal(params.shape)
    losses, lrs, measured, at = [], [], [], []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(steps + 1):
            loss, grads = problem.loss_and_grad(params, batch=batch)
            losses.append(loss)
            if k % every == 0 or k == steps:
                scale = None if preconditioner is None or k == 0 else preconditioner(state)
                value, vectors = sharpness(
                    problem, params, iters * (5 if k == 0 else 1), vectors, scale, batch
                )
                measured.append(value)
                at.append(k)
            if k < steps:
                lrs.append(np.broadcast_to(opt.lr(state.step), params.shape)[..., 0])  # one per run
                params, state = opt.step(params, grads, state)
    losses, at, measured = np.array(losses), np.array(at), np.array(measured)
    # A run whose loss passes 1e6 times its start has diverged: NaN from then on, not garbage.
    lost = np.logical_or.accumulate(~(np.abs(losses) <= 1e6 * np.maximum(losses[0], 1)), axis=0)
    losses[lost] = np.nan
    measured[lost[at]] = np.nan
    return SharpnessHistory(losses, at, measured, np.array(lrs), params)


# --- the explorer ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _edge_sweep(lrs, steps, hidden, examples):
    """Full-batch gradient descent at every rate of ``lrs`` at once (cached: built once)."""
    mlp = digits_mlp(hidden=hidden, criterion="squared_error", batch_size=None)
    lrs = np.array(lrs)
    starts = np.tile(mlp.start, (len(lrs), 1))
    batch = np.arange(examples)
    return track_sharpness(
        optimizers.sgd(lr=lrs[:, None]), mlp, starts, steps, every=10, iters=3, batch=batch
    )


@plots.styled
def edge_explorer(steps=300, *, lr=0.2, hidden=16, examples=200, rates=16):
    """A log slider for the rate of full-batch gradient descent on the digits MLP (squared
    error): the loss, and the sharpness against the line 2 / lr.

    All ``rates`` runs (0.03 to 0.6, log-spaced) are trained in one batched computation when the
    explorer is built, on the first ``examples`` training images; the slider shows the run
    nearest to its value.

    >>> explorer = edge_explorer(steps=100, rates=5)      # rates 0.03, 0.0634, 0.134, 0.284, 0.6
    >>> explorer.status.value.split(":")[0]
    'lr = 0.284 (the nearest run)'
    """
    grid = np.geomspace(0.03, 0.6, v.positive_int("rates", rates))
    history = _edge_sweep(tuple(grid), steps, hidden, examples)
    controls = {"lr": log_slider(lr, grid[0], grid[-1])}
    fig, (ax_loss, ax_sharp) = figure(2)
    ax_loss.set(xlabel="step", ylabel="loss", title="full-batch loss", xlim=(0, steps))
    log_y(ax_loss)
    ax_loss.set_ylim(0.05, 3.0)
    ax_sharp.set(xlabel="step", ylabel="sharpness", title="sharpness and 2 / lr", xlim=(0, steps))
    log_y(ax_sharp)
    ax_sharp.set_ylim(1.0, 100.0)
    tail = history.sharpness_steps >= 0.75 * steps

    def draw(values):
        i = int(np.argmin(np.abs(np.log(grid / values["lr"]))))
        rate, edge = grid[i], gd_edge(grid[i])
        loss, sharp = history.loss[:, i], history.sharpness[:, i]
        ax_loss.plot(np.arange(steps + 1), loss, color=plots.COLORS[0])
        ax_sharp.plot(history.sharpness_steps, sharp, color=plots.COLORS[0], label="sharpness")
        ax_sharp.axhline(edge, color="black", ls="--", lw=1, label="2 / lr")
        ax_sharp.legend(loc="upper right")
        head = f"lr = {rate:.3g} (the nearest run): "
        if not np.all(np.isfinite(loss)):
            return head + f"diverged (2 / lr = {edge:.3g})"
        last = sharp[tail]
        return head + (
            f"loss from {loss[0]:.3g} to {loss[-1]:.3g}; sharpness over the last quarter "
            f"{last.min():.3g} to {last.max():.3g}, 2 / lr = {edge:.3g}"
        )

    return Explorer(controls, draw, fig, title="edge_explorer")


EXPLORERS = {"edge_explorer": edge_explorer}
