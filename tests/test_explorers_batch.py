"""Lecture 15's experiments (in ``lrcourse.experiments``) and explorer, driven without a browser."""

import numpy as np
import pytest
from explorer_helpers import median_update_ms, shown

from lrcourse.experiments import quadratic_batch_sweep, steps_to_loss
from lrcourse.explorers.batch import EXPLORERS, batch_explorer
from lrcourse.optimizers import sgd
from lrcourse.problems import digits_mlp
from lrcourse.widgets import all_explorers


def test_steps_to_loss_is_the_first_arrival_of_any_rate():
    mlp = digits_mlp(hidden=8, batch_size=16)
    lrs = np.array([[0.05], [0.2], [0.8]])
    k, i = steps_to_loss(sgd(lr=lrs), mlp, 1.0, 1000, eval_every=1)
    alone = [steps_to_loss(sgd(lr=lr[0]), mlp, 1.0, 1000, eval_every=1)[0] for lr in lrs]
    assert k == min(alone) and i == int(np.argmin(alone))
    assert steps_to_loss(sgd(lr=1e-4), mlp, 1.0, 20) == (np.inf, -1)


def test_the_quadratic_sweep_shows_perfect_scaling_then_a_plateau():
    sweep = quadratic_batch_sweep(
        tuple(np.geomspace(0.01, 1.9, 12)), (1.0, 2.0, 4.0, 256.0, 1024.0)
    )
    best = sweep.steps.min(axis=0)
    assert 1.5 < best[0] / best[1] < 2.5 and 1.5 < best[1] / best[2] < 2.5  # halving
    assert best[-1] >= 0.7 * best[-2]  # no gain from 256 to 1024
    assert sweep.loss.shape == (12, 5, 801)


def test_the_batch_explorer_reacts_to_both_sliders():
    explorer = batch_explorer()
    assert explorer.error is None, explorer.status.value
    for name, value in [("batch_size", 256.0), ("lr", 0.05)]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None and shown(explorer) != before, name
    assert explorer.status.value.startswith("B = 256, lr = 0.0418")
    assert "edge.edge_explorer" in all_explorers() and "batch.batch_explorer" in all_explorers()


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    for control in ("lr", "batch_size"):
        start = explorer.controls[control].value
        ms = median_update_ms(explorer, control, np.geomspace(start * 0.3, start * 3, 20))
        print(f"{name}: median update {ms:.0f} ms over 20 moves of {control}")
