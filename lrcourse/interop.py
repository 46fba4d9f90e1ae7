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

import numpy as np

__all__ = ["torch_scheduler"]


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
