"""The training loop: run an optimizer on a problem and keep the whole history.

    history = run(sgd(lr=0.1), quadratic(condition=10), steps=100)
    history.loss[-1], history.diverged

One loop for every problem and every sweep. Each step k computes the loss and gradient at
``params[k]`` (on mini-batch k for mini-batch problems), records them, checks for divergence, and
updates with the rate ``opt.lr(state.step)``. A sweep is one call: pass ``params`` with leading
axes (``np.tile(problem.start, (64, 1))``) and hyperparameters that broadcast against them
(``sgd(lr=lrs[:, None])``); each run diverges on its own, and the loop stops once all have.

Divergence. Run r has diverged at step k when its loss there is not finite, or its size exceeds
1e12 times its starting loss (more exactly ``divergence_factor * max(|loss[0]|, 1)``): long before
float64 overflows, the run is numerically lost, and waiting for inf only wastes steps and fills the
plots with meaningless spikes. From then on the run is frozen: its ``params``, ``loss``, ``lr`` and
metrics are NaN after step k (``loss[k]`` keeps the offending value). Overflow inside a diverging
run is expected, so it is silenced (``np.errstate``) and reported here instead.

Mini-batches. An epoch is a fresh random permutation of the training set cut into batches of
``problem.batch_size`` (the last one may be smaller), as PyTorch's ``DataLoader(shuffle=True)``
does; ``minibatches`` draws them from ``np.random.default_rng(seed)``. Every run of a sweep sees the
same mini-batches, so a sweep equals its runs done one by one. (Gradient noise, by contrast, is
drawn independently for every run of a sweep, so that an average over runs averages the noise.)
"""

from dataclasses import dataclass, field

import numpy as np

from lrcourse import _validate as v

__all__ = ["History", "run", "minibatches"]


def minibatches(n_train, batch_size, rng):
    """Index arrays of mini-batches, forever: each epoch is a fresh shuffle cut into batches.

    >>> batches = minibatches(5, 2, np.random.default_rng(0))
    >>> [next(batches).tolist() for _ in range(6)]        # epoch 1: 3 batches, then epoch 2
    [[2, 4], [3, 0], [1], [4, 1], [2, 0], [3]]
    """
    while True:
        order = rng.permutation(n_train)  # without replacement: each example once per epoch
        for start in range(0, n_train, batch_size):
            yield order[start : start + batch_size]


@dataclass(frozen=True, eq=False, repr=False)
class History:
    """What ``run`` saw, step by step (``...`` are the leading, run axes of ``params``).

    params        (steps + 1, ..., dim)  params[k] is the point before update k (None if not
                                         recorded; ``final_params`` is always kept)
    loss          (steps + 1, ...)       the loss at params[k] (for a mini-batch problem: on the
                                         mini-batch used at step k, as a training loop logs it)
    lr            (steps, ...)           the rate update k used: opt.lr(k)
    diverged_at   int or None for one run; for a sweep an int array, -1 for runs that did not
    final_params  (..., dim)             params[-1]
    eval_steps    (n_evals,)             the steps at which ``problem.evaluate`` was called
    metrics       {name: (n_evals, ...)} its results, e.g. "test_accuracy"
    problem_name  for the summary

    >>> from lrcourse.optimizers import sgd
    >>> from lrcourse.problems import quadratic
    >>> h = run(sgd(lr=0.1), quadratic(), steps=3)
    >>> h.params.shape, h.loss.shape, h.lr.tolist(), h.diverged
    ((4, 2), (4,), [0.1, 0.1, 0.1], False)
    """

    loss: np.ndarray
    lr: np.ndarray
    diverged_at: object
    final_params: np.ndarray
    params: np.ndarray = None
    eval_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    metrics: dict = field(default_factory=dict)
    problem_name: str = "problem"

    @property
    def diverged(self):
        """True for a run that diverged (for a sweep: a bool array, one per run)."""
        if self.diverged_at is None or isinstance(self.diverged_at, int):
            return self.diverged_at is not None
        return self.diverged_at >= 0

    @property
    def steps(self):
        """The number of updates asked for (len(lr))."""
        return len(self.lr)

    @property
    def final_loss(self):
        """loss[-1], and NaN for every run that diverged (like ``final_params``)."""
        return np.where(self.diverged, np.nan, self.loss[-1])[()]  # [()]: a 0-d array -> float

    def __getitem__(self, index):
        """One run (or a slice of runs) of a sweep: ``history[3]`` is the History of run 3."""
        if np.ndim(self.loss[-1]) == 0:
            raise IndexError("this History holds a single run; index a sweep's History")

        def pick(a):
            return None if a is None else a[(slice(None), *np.index_exp[index])]

        diverged_at = self.diverged_at[index]
        if np.ndim(diverged_at) == 0:
            diverged_at = None if diverged_at < 0 else int(diverged_at)
        return History(
            loss=pick(self.loss),
            lr=pick(self.lr),
            diverged_at=diverged_at,
            final_params=self.final_params[index],
            params=pick(self.params),
            eval_steps=self.eval_steps,
            metrics={name: pick(values) for name, values in self.metrics.items()},
            problem_name=self.problem_name,
        )

    def summary(self):
        """One line: "diverged at step 37" or "final loss 1.2e-05" (for a sweep, a count)."""
        head = f"{self.problem_name}, {self.steps} steps"
        if np.ndim(self.loss[-1]) == 0:
            if self.diverged:
                k = self.diverged_at
                return f"{head}: diverged at step {k} (loss {self.loss[k]:.3g})"
            return f"{head}: final loss {self.loss[-1]:.3g}"
        runs, diverged = self.loss[-1].size, np.sum(self.diverged)
        text = f"{head}, {runs} runs: {diverged} diverged"
        if diverged:
            text += f" (first at step {self.diverged_at[self.diverged].min()})"
        if diverged < runs:
            final = self.loss[-1][~self.diverged]
            text += f"; final loss of the others {final.min():.3g} to {final.max():.3g}"
        return text

    def __repr__(self):
        return f"History({self.summary()})"


def _check(opt, problem):
    for name in ("init", "step", "lr"):
        if not callable(getattr(opt, name, None)):
            raise ValueError(f"opt must be an optimizer (init, step, lr), got {opt!r}")
    for name in ("loss", "grad", "dim"):
        if getattr(problem, name, None) is None:
            raise ValueError(f"problem must have loss, grad and dim, got {problem!r}")


def run(
    opt,
    problem,
    params=None,
    steps=100,
    seed=0,
    *,
    eval_every=None,
    callback=None,
    record_params=True,
    divergence_factor=1e12,
):
    """Train ``params`` (default ``problem.start``) for ``steps`` updates; returns a ``History``.

    opt            an optimizer from ``lrcourse.optimizers`` (``init``, ``step``, ``lr``)
    problem        from ``lrcourse.problems``: ``loss``, ``grad`` (or ``loss_and_grad``), ``dim``
    params         the start, shape (dim,) or (..., dim) for a sweep
    seed           seeds the mini-batch order and the gradient noise
    eval_every     every this many steps (and at the last step) record ``problem.evaluate(params)``
                   into ``history.metrics``: an int, or "epoch" for once per pass over the data
    callback       ``callback(step, params, metrics)``, called after each evaluation except the one
                   at step 0, before the update at that step: drive a ``ReduceOnPlateau`` from a
                   validation metric once per epoch, as a PyTorch loop calls
                   ``scheduler.step(val_loss)`` after each epoch
    record_params  keep params at every step (False for big models: only ``final_params``; a
                   history that would pass 1 GiB asks for it)
    divergence_factor   a run has diverged once |loss| > divergence_factor * max(|loss[0]|, 1)

    >>> from lrcourse.optimizers import sgd
    >>> from lrcourse.problems import quadratic
    >>> run(sgd(lr=0.1), quadratic(condition=10), steps=100)
    History(quadratic, 100 steps: final loss 1.41e-09)
    >>> run(sgd(lr=0.3), quadratic(condition=10), steps=100)      # 0.3 > 2 / L = 0.2
    History(quadratic, 100 steps: diverged at step 21 (loss 4.95e+13))

    A sweep of three rates in one call; ``history[i]`` is run i:

    >>> q, lrs = quadratic(condition=10), np.array([0.01, 0.1, 0.3])
    >>> h = run(sgd(lr=lrs[:, None]), q, params=np.tile(q.start, (3, 1)), steps=100)
    >>> h.diverged_at, h[1]
    (array([-1, -1, 21]), History(quadratic, 100 steps: final loss 1.41e-09))
    """
    _check(opt, problem)
    steps = v.positive_int("steps", steps, minimum=0)
    rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
    params = np.array(problem.start if params is None else params, dtype=float)  # a copy
    if params.ndim == 0 or params.shape[-1] != problem.dim:
        raise ValueError(
            f"params must have a last axis of length {problem.dim} (the problem's dim), "
            f"got shape {params.shape}"
        )
    eval_steps = _eval_steps(eval_every, problem, steps)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be a function (step, params, metrics), got {callback!r}")
    record_params = v.flag("record_params", record_params)
    if record_params and (steps + 1) * params.size * 8 > 2**30:
        raise ValueError(
            f"record_params=True would keep {(steps + 1) * params.size * 8 / 2**20:.0f} MiB of "
            "params; pass record_params=False (history.final_params is still kept)"
        )
    divergence_factor = float(v.positive("divergence_factor", divergence_factor))

    runs = params.shape[:-1]
    loss_history = np.full((steps + 1, *runs), np.nan)
    lr_history = np.full((steps, *runs), np.nan)
    params_history = np.full((steps + 1, *params.shape), np.nan) if record_params else None
    metrics = {}
    diverged_at = np.full(runs, -1)
    alive = np.ones(runs, dtype=bool)
    batches = None
    if problem.n_train is not None and problem.batch_size is not None:
        batches = minibatches(problem.n_train, problem.batch_size, rng)
    state = opt.init(params)

    for k in range(steps + 1):
        batch = None if batches is None else next(batches)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, grads = _loss_and_grad(problem, params, batch, rng)
        if k == 0:
            limit = divergence_factor * np.maximum(np.abs(loss), 1.0)
        counted = alive.copy()  # runs still alive before this step: their values are recorded
        newly = alive & ~(np.abs(loss) <= limit)  # `~(... <= ...)` catches NaN too
        diverged_at[newly] = k
        alive &= ~newly
        loss_history[k] = np.where(counted, loss, np.nan)
        if record_params:
            params_history[k] = np.where(counted[..., None], params, np.nan)

        if k in eval_steps:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                result = problem.evaluate(params)
            for name, value in result.items():
                if name not in metrics:
                    metrics[name] = np.full((len(eval_steps), *runs), np.nan)
                metrics[name][eval_steps[k]] = np.where(counted, value, np.nan)
            if callback is not None and k > 0:
                callback(k, params, {name: m[eval_steps[k]] for name, m in metrics.items()})

        if k == steps or not alive.any():
            break
        lr = np.broadcast_to(np.asarray(opt.lr(state.step), dtype=float), params.shape)
        lr_history[k] = np.where(alive, lr[..., 0], np.nan)  # one rate per run
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            params, state = opt.step(params, grads, state)

    finished = counted & (k == steps)  # runs alive at the last step (none if all diverged early)
    return History(
        loss=loss_history,
        lr=lr_history,
        diverged_at=(None if diverged_at < 0 else int(diverged_at)) if not runs else diverged_at,
        final_params=np.where(finished[..., None], params, np.nan),
        params=params_history,
        eval_steps=np.array(sorted(eval_steps), dtype=int),
        metrics=metrics,
        problem_name=getattr(problem, "name", type(problem).__name__),
    )


def _loss_and_grad(problem, params, batch, rng):
    """One pass for both where the problem offers it; else loss and grad separately."""
    if hasattr(problem, "loss_and_grad"):
        return problem.loss_and_grad(params, batch=batch, rng=rng)
    return problem.loss(params), problem.grad(params)


def _eval_steps(eval_every, problem, steps):
    """{step: index into the metrics arrays}: 0, every eval_every steps, and the last step."""
    if eval_every is None:
        return {}
    if eval_every == "epoch":
        if problem.n_train is None:
            raise ValueError(f"eval_every='epoch' needs a mini-batch problem, got {problem!r}")
        eval_every = problem.steps_per_epoch
    eval_every = v.positive_int("eval_every", eval_every)
    at = sorted({*range(0, steps + 1, eval_every), steps})
    return {k: i for i, k in enumerate(at)}
