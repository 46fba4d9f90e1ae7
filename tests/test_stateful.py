"""lrcourse.stateful, a teaching model of PyTorch's schedulers: its semantics, then PyTorch itself.

The model must predict, trap by trap, the rate a real PyTorch training loop uses: per epoch or
per update, ``scheduler.step()`` before or after the updates, and a scheduler already stepped by a
plot. The live comparisons need PyTorch; without it they are skipped, except under ``CI=true``,
where a missing PyTorch fails them.
"""

import warnings

import numpy as np
import pytest

from lrcourse.schedules import (
    exponential_decay,
    inverse_time_decay,
    multistep_decay,
    step_decay,
)
from lrcourse.stateful import WHERE, StatefulScheduler, lrs_used, per_epoch, replay

try:
    import torch
except ImportError:
    torch = None


SCHEDULE = multistep_decay(0.5, milestones=[3, 5], gamma=0.5)


# --- the model's own semantics -----------------------------------------------------------------


def test_the_constructor_is_the_first_step_to_epoch_0():
    scheduler = StatefulScheduler(SCHEDULE)
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [0.5]
    for k in range(1, 8):
        scheduler.step()
        assert scheduler.last_epoch == k
        assert scheduler.get_last_lr() == [float(SCHEDULE(k))]


def test_get_last_lr_is_a_copy():
    scheduler = StatefulScheduler(SCHEDULE)
    scheduler.get_last_lr().append(99.0)
    scheduler.get_last_lr()[0] = 99.0
    assert scheduler.get_last_lr() == [0.5]


def test_a_number_is_a_constant_schedule_and_a_sweep_is_refused():
    assert StatefulScheduler(0.1).get_last_lr() == [0.1]
    with pytest.raises(ValueError, match="one rate per step"):
        StatefulScheduler(step_decay(np.array([[0.1], [0.2]]), step_size=2))
    with pytest.raises(ValueError, match="schedule"):
        StatefulScheduler(-1.0)


@pytest.mark.parametrize("spe", [1, 3])
def test_each_place_of_the_step_call_gives_its_schedule(spe):
    k = np.arange(6 * spe)
    runs = {where: lrs_used(StatefulScheduler(SCHEDULE), 6, spe, where) for where in WHERE}
    assert np.array_equal(runs["after each epoch"], SCHEDULE(k // spe))
    assert np.array_equal(runs["before each epoch"], SCHEDULE(k // spe + 1))  # an epoch early
    assert np.array_equal(runs["after each update"], SCHEDULE(k))  # epochs read as updates
    assert np.array_equal(runs["before each update"], SCHEDULE(k + 1))


def test_a_scheduler_stepped_by_a_plot_trains_with_what_is_left():
    scheduler = StatefulScheduler(SCHEDULE)
    plotted = [scheduler.get_last_lr()[0]]
    for _ in range(5):
        scheduler.step()
        plotted.append(scheduler.get_last_lr()[0])
    assert plotted == SCHEDULE(np.arange(6)).tolist()
    used = lrs_used(scheduler, 6, 2)
    assert np.array_equal(used, SCHEDULE(5 + np.arange(12) // 2))
    assert np.all(used == 0.125)  # the whole run at the final rate


def test_lrs_used_checks_its_arguments():
    with pytest.raises(ValueError, match="where must be one of"):
        lrs_used(StatefulScheduler(SCHEDULE), 2, 2, where="after each batch")
    with pytest.raises(ValueError, match="steps_per_epoch"):
        lrs_used(StatefulScheduler(SCHEDULE), 2, 0)
    assert lrs_used(StatefulScheduler(SCHEDULE), 0, 5).shape == (0,)


def test_per_epoch_holds_the_rate_for_an_epoch():
    k = np.arange(40)
    assert np.array_equal(
        per_epoch(step_decay(0.1, step_size=3), 4)(k), step_decay(0.1, step_size=12)(k)
    )
    assert np.array_equal(
        per_epoch(exponential_decay(1.0, gamma=0.9), 5)(k),
        exponential_decay(1.0, gamma=0.9, decay_steps=5, staircase=True)(k),
    )
    schedule = per_epoch(SCHEDULE, 2)
    assert isinstance(schedule(3), np.floating) and schedule(3) == SCHEDULE(1)
    with pytest.raises(ValueError, match="step"):
        schedule(-1)


def test_replay_plays_back_and_holds_the_last_rate():
    schedule = replay(np.array([0.3, 0.2, 0.1]))
    assert schedule(np.arange(5)).tolist() == [0.3, 0.2, 0.1, 0.1, 0.1]
    assert isinstance(schedule(0), np.floating)
    runs = replay(np.arange(1, 9, dtype=float).reshape(2, 1, 4))
    assert runs(1).shape == (2, 1) and runs(1).ravel().tolist() == [2.0, 6.0]
    with pytest.raises(ValueError, match="lrs"):
        replay(np.array([0.1, -0.1]))
    with pytest.raises(ValueError, match="at least one step"):
        replay(np.zeros(0))


# --- against PyTorch ---------------------------------------------------------------------------

# Each case: an lrcourse schedule and the PyTorch scheduler it models (built on an optimizer whose
# lr is the schedule's starting rate).
CASES = {
    "StepLR": (
        step_decay(0.1, step_size=3, gamma=0.5),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    ),
    "MultiStepLR": (
        multistep_decay(0.5, milestones=[15, 30], gamma=0.5),
        lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[15, 30], gamma=0.5),
    ),
    "ExponentialLR": (
        exponential_decay(0.2, gamma=0.9),
        lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    ),
    "LambdaLR": (
        inverse_time_decay(0.2, decay_rate=0.5),
        lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1 / (1 + 0.5 * e)),
    ),
}


def _torch(case, lr):
    param = torch.zeros(1, requires_grad=True)
    param.grad = torch.zeros(1)
    opt = torch.optim.SGD([param], lr=lr)
    return opt, CASES[case][1](opt)


def _torch_loop(case, epochs, spe, where, plotted_first=False):
    """The rate every optimizer.step() of a real PyTorch loop uses (read from its param group)."""
    schedule = CASES[case][0]
    opt, scheduler = _torch(case, float(schedule(0)))
    if plotted_first:  # D2L's plotting helper: opt.step(), then record and step the scheduler
        for _ in range(epochs):
            opt.step()
            scheduler.step()
    used = []
    for _epoch in range(epochs):
        if where == "before each epoch":
            scheduler.step()
        for _batch in range(spe):
            if where == "before each update":
                scheduler.step()
            used.append(opt.param_groups[0]["lr"])
            opt.step()
            if where == "after each update":
                scheduler.step()
        if where == "after each epoch":
            scheduler.step()
    return np.array(used)


@pytest.mark.parametrize("case", CASES)
def test_the_model_steps_like_pytorch(live, case):
    schedule = CASES[case][0]
    opt, scheduler = _torch(case, float(schedule(0)))
    model = StatefulScheduler(schedule)
    for _ in range(60):
        assert scheduler.last_epoch == model.last_epoch
        np.testing.assert_allclose(scheduler.get_last_lr(), model.get_last_lr(), rtol=1e-12)
        assert opt.param_groups[0]["lr"] == pytest.approx(model.get_last_lr()[0], rel=1e-12)
        opt.step()
        scheduler.step()
        model.step()


@pytest.mark.parametrize("plotted_first", [False, True], ids=["fresh", "plotted first"])
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("case", CASES)
def test_the_model_predicts_the_rates_a_pytorch_loop_uses(live, case, where, plotted_first):
    epochs, spe = 8, 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the "before" loops are the trap
        used = _torch_loop(case, epochs, spe, where, plotted_first)
    model = StatefulScheduler(CASES[case][0])
    if plotted_first:
        for _ in range(epochs):
            model.step()
    np.testing.assert_allclose(lrs_used(model, epochs, spe, where), used, rtol=1e-12)


@pytest.mark.parametrize("where", WHERE)
def test_pytorch_warns_exactly_about_the_loops_that_step_first(live, where):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _torch_loop("StepLR", 3, 2, where)
    warned = any("before `optimizer.step()`" in str(w.message) for w in caught)
    assert warned == where.startswith("before")


def test_lrs_used_drives_a_real_pytorch_scheduler_too(live):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for where in WHERE:
            _, scheduler = _torch("MultiStepLR", 0.5)
            model = StatefulScheduler(CASES["MultiStepLR"][0])
            np.testing.assert_allclose(
                lrs_used(scheduler, 40, 2, where), lrs_used(model, 40, 2, where), rtol=1e-12
            )


def test_d2l_plotted_multistep_trains_at_a_constant_0125(live):
    # Dive into Deep Learning's PyTorch code plots MultiStepLR(milestones=[15, 30], gamma=0.5)
    # for 30 epochs by stepping it, then trains 30 epochs with the same object.
    used = _torch_loop("MultiStepLR", 30, 1, "after each epoch", plotted_first=True)
    assert np.all(used == 0.125)
