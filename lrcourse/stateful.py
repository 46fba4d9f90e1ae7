"""When a scheduler steps: a teaching model of PyTorch's ``torch.optim.lr_scheduler``.

An lrcourse schedule is a pure function, ``lr = schedule(step)``: ask it about any step, as often
as you like. A PyTorch scheduler is an object with a counter. Each call to ``scheduler.step()``
moves the counter on by one, and the optimizer uses whatever rate the counter points at. So the
schedule you get depends on *where* the training loop calls ``scheduler.step()``: once per epoch or
once per update, before the updates or after them, and whether some other code (a plotting helper)
has already stepped the same object. This module models exactly that, in a few lines and without
PyTorch, so that a lecture can show each trap and measure what it does:

- ``StatefulScheduler(schedule)``: PyTorch's counter semantics around an lrcourse schedule.
- ``lrs_used(scheduler, epochs, steps_per_epoch, where)``: the rate every update of a PyTorch-style
  training loop actually uses, for each place the loop can call ``scheduler.step()``.
- ``per_epoch(schedule, steps_per_epoch)``: a schedule written in epochs, as a schedule of updates
  (what stepping a PyTorch scheduler once per epoch gives).
- ``replay(lrs)``: recorded rates as a schedule, to train with the rates a loop really used.

``tests/test_stateful.py`` checks the model against PyTorch itself, trap by trap.
"""

import numpy as np

from lrcourse import _validate as v
from lrcourse.schedules import as_schedule

__all__ = ["StatefulScheduler", "WHERE", "lrs_used", "per_epoch", "replay"]


class StatefulScheduler:
    """A PyTorch-style scheduler around an lrcourse schedule: a counter and the rate it points at.

    constructor    last_epoch = 0, rate = schedule(0)       (PyTorch's constructor steps once,
                                                              from last_epoch = -1 to 0)
    step()         last_epoch += 1, rate = schedule(last_epoch)
    get_last_lr()  [rate]: one entry per parameter group (this model has one)

    The counter is called ``last_epoch`` as in PyTorch, but it counts calls to ``step()``: epochs
    if the loop calls it once per epoch, updates if once per update.

    A teaching model of ``torch.optim.lr_scheduler.LRScheduler``: the rates follow the closed form
    of PyTorch's schedulers (``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``LambdaLR``, ...).
    Left out: the optimizer and its parameter groups (the rate lives here, not in
    ``param_group["lr"]``), PyTorch's chainable updates (which compound if other code edits the
    rate), ``state_dict``, and the warning PyTorch gives when ``scheduler.step()`` comes before
    the first ``optimizer.step()``.

    >>> from lrcourse.schedules import step_decay
    >>> scheduler = StatefulScheduler(step_decay(lr=1.0, step_size=2, gamma=0.5))
    >>> scheduler.last_epoch, scheduler.get_last_lr()
    (0, [1.0])
    >>> for _ in range(3):
    ...     scheduler.step()
    >>> scheduler.last_epoch, scheduler.get_last_lr()
    (3, [0.5])
    """

    def __init__(self, schedule):
        self.schedule = as_schedule(schedule, "schedule")
        rate = np.asarray(self.schedule(0))
        if rate.ndim != 0:
            raise ValueError(
                f"schedule must give one rate per step (a scalar), got shape {rate.shape}: "
                "a scheduler drives one training run, not a sweep"
            )
        self.last_epoch = -1
        self.step()  # as in PyTorch: building the scheduler is its first step, to epoch 0

    def step(self):
        """Move the counter on by one; the optimizer now uses schedule(last_epoch)."""
        self.last_epoch += 1
        self._last_lr = [float(self.schedule(self.last_epoch))]

    def get_last_lr(self):
        """The rate the optimizer uses now, as a list with one entry per parameter group."""
        return list(self._last_lr)

    def __repr__(self):
        return f"StatefulScheduler(last_epoch={self.last_epoch}, lr={self._last_lr[0]:.6g})"


# Where a training loop can call scheduler.step(), as ``lrs_used`` spells it.
WHERE = ("after each epoch", "after each update", "before each epoch", "before each update")


def lrs_used(scheduler, epochs, steps_per_epoch=1, where="after each epoch"):
    """The rate each update of a PyTorch-style training loop uses, as an array of epochs * steps.

    The loop, with ``scheduler.step()`` at one of four places (``where``):

        for epoch in range(epochs):
            [before each epoch]
            for batch in range(steps_per_epoch):
                [before each update]
                optimizer.step()       # uses the scheduler's current rate
                [after each update]
            [after each epoch]

    "after each epoch" is right for a schedule counted in epochs, "after each update" for one
    counted in updates; the two "before" places run every rate one step (or epoch) early.
    ``scheduler`` is a ``StatefulScheduler`` or a real PyTorch scheduler (anything with
    ``step()`` and ``get_last_lr()``); the loop steps it, so it ends ``epochs`` (or ``epochs *
    steps_per_epoch``) steps further on.

    >>> from lrcourse.schedules import step_decay
    >>> lrs_used(StatefulScheduler(step_decay(1.0, step_size=1, gamma=0.5)), 3, 2)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25, 0.25])
    >>> lrs_used(StatefulScheduler(step_decay(1.0, step_size=1, gamma=0.5)), 3, 2,
    ...          where="before each epoch")
    array([0.5  , 0.5  , 0.25 , 0.25 , 0.125, 0.125])
    """
    epochs = v.positive_int("epochs", epochs, minimum=0)
    steps_per_epoch = v.positive_int("steps_per_epoch", steps_per_epoch)
    where = v.one_of("where", where, WHERE)
    lrs = []
    for _epoch in range(epochs):
        if where == "before each epoch":
            scheduler.step()
        for _batch in range(steps_per_epoch):
            if where == "before each update":
                scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])  # what optimizer.step() uses
            if where == "after each update":
                scheduler.step()
        if where == "after each epoch":
            scheduler.step()
    return np.array(lrs, dtype=float)


def per_epoch(schedule, steps_per_epoch):
    """A schedule counted in epochs, as a schedule of updates: update k is in epoch k // spe.

    lr_k = schedule(k // steps_per_epoch)

    The rate holds for a whole epoch and changes between epochs, exactly what a PyTorch scheduler
    stepped once per epoch gives. Passing the epoch schedule to an lrcourse optimizer without this
    would run it per update: ``steps_per_epoch`` times too fast.

    >>> from lrcourse.schedules import step_decay
    >>> per_epoch(step_decay(1.0, step_size=1, gamma=0.5), steps_per_epoch=2)(np.arange(6))
    array([1.  , 1.  , 0.5 , 0.5 , 0.25, 0.25])
    """
    schedule = as_schedule(schedule, "schedule")
    steps_per_epoch = v.positive_int("steps_per_epoch", steps_per_epoch)

    def in_updates(step):
        return schedule(v.steps(step) // steps_per_epoch)

    in_updates.__name__ = f"per_epoch({getattr(schedule, '__name__', 'schedule')})"
    in_updates.params = {"schedule": schedule, "steps_per_epoch": steps_per_epoch}
    return in_updates


def replay(lrs):
    """Recorded rates as a schedule: update k uses lrs[..., k] (the last rate after the end).

    ``lrs`` has the steps on its last axis; leading axes are runs, shaped to broadcast against
    the parameters as any hyperparameter does. With the output of ``lrs_used``, an optimizer
    trains with exactly the rates a PyTorch loop would have used.

    >>> replay(np.array([0.3, 0.2, 0.1]))(np.arange(5))
    array([0.3, 0.2, 0.1, 0.1, 0.1])
    """
    lrs = v.non_negative("lrs", lrs)
    if lrs.ndim == 0 or lrs.shape[-1] == 0:
        raise ValueError(f"lrs must have at least one step on its last axis, got shape {lrs.shape}")
    last = lrs.shape[-1] - 1

    def replayed(step):
        return lrs[..., np.minimum(v.steps(step), last)][()]  # an int step: a NumPy float

    replayed.__name__ = "replay"
    replayed.params = {"lrs": lrs}
    return replayed
