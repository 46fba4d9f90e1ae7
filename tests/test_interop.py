"""lrcourse schedules driving real PyTorch optimizers, checked live against torch."""

import os

import numpy as np
import pytest

from lrcourse import schedules as S
from lrcourse.interop import torch_scheduler

if os.environ.get("CI") == "true":
    import torch  # under CI a missing PyTorch is a failure, not a skip
else:
    torch = pytest.importorskip("torch")

SCHEDULES = {
    "warmup+cosine": S.linear_warmup(S.cosine_decay(0.1, 40), 10),
    "one_cycle": S.one_cycle(0.1, 60, three_phase=True),
    "restarts": S.cosine_restarts(0.05, 5, 2, 1e-3),
    "wsd": S.warmup_stable_decay(0.1, 60, 5, 20, shape="sqrt"),
}


def _lrs_used(optimizer, scheduler, steps):
    """The lr each optimizer.step() used, stepping the scheduler after it, as PyTorch advises."""
    used = []
    for _ in range(steps):
        used.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return np.array(used)


@pytest.mark.parametrize("name", SCHEDULES)
def test_pytorch_uses_the_schedule_step_for_step(name):
    schedule = SCHEDULES[name]
    p = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([p], lr=99.0)  # overwritten: the schedule's rate is absolute
    used = _lrs_used(opt, torch_scheduler(opt, schedule), 90)
    np.testing.assert_allclose(used[:, 0], schedule(np.arange(90)), rtol=1e-15, atol=0)


def test_training_with_the_adapter_equals_lrcourse_optimizer():
    from lrcourse.optimizers import adam

    schedule = S.linear_warmup(S.cosine_decay(0.05, 30), 5)
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(35, 4))
    params = rng.normal(size=4)
    opt = adam(lr=schedule)
    state = opt.init(params)
    theirs = torch.tensor(params.copy(), dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam([theirs], lr=1.0)
    scheduler = torch_scheduler(topt, schedule)
    for g in grads:
        params, state = opt.step(params, g, state)
        theirs.grad = torch.tensor(g)
        topt.step()
        scheduler.step()
    np.testing.assert_allclose(theirs.detach().numpy(), params, rtol=1e-12)


def test_one_schedule_per_parameter_group_and_resume():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=1.0)
    first, second = S.step_decay(0.1, 3), S.exponential_decay(0.2, 0.9)
    used = _lrs_used(opt, torch_scheduler(opt, [first, second]), 10)
    np.testing.assert_allclose(used, np.stack([first(np.arange(10)), second(np.arange(10))], 1))

    # Resuming after 7 steps continues where a fresh run would be.
    state = torch_scheduler(opt, [first, second]).state_dict()
    assert state["last_epoch"] == 0
    resumed = torch_scheduler(opt, [first, second], last_epoch=6)
    assert resumed.get_last_lr() == pytest.approx([float(first(7)), float(second(7))])


def test_inside_sequential_lr():
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    ours = S.cosine_decay(0.1, 20)
    seq = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=5),
            torch_scheduler(opt, ours),
        ],
        milestones=[5],
    )
    used = _lrs_used(opt, seq, 25)[:, 0]
    np.testing.assert_allclose(used[:5], 0.05)
    np.testing.assert_allclose(used[5:], ours(np.arange(20)), rtol=1e-15)


def test_bad_input_is_named():
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="one per parameter group"):
        torch_scheduler(opt, [S.constant(0.1), S.constant(0.2)])
    with pytest.raises(ValueError, match="must be an lrcourse schedule"):
        torch_scheduler(opt, 0.1)
