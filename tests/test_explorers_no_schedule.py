"""Lecture 16's explorer and its run (``schedule_free_paths``), driven without a browser.

The three sequences must be the optimizer's own, and the explorer must react and answer
quickly. Update times are printed (run with ``-s``), never asserted.
"""

import numpy as np
import pytest
from explorer_helpers import moves_and_reacts, shown

from lrcourse.experiments import schedule_free_paths
from lrcourse.explorers.no_schedule import EXPLORERS, schedule_free_explorer
from lrcourse.optimizers import sgd_schedule_free
from lrcourse.problems import noisy_quadratic
from lrcourse.widgets import all_explorers


def test_the_paths_are_the_optimizers_sequences():
    q = noisy_quadratic(curvatures=[0.2, 1.0], sigma=0.5, start=[3.0, -2.0])
    paths = schedule_free_paths(q, 30, seed=3, lr=0.2, momentum=0.7, warmup_steps=5)
    opt = sgd_schedule_free(lr=0.2, momentum=0.7, warmup_steps=5)
    rng, params = np.random.default_rng(3), q.start
    state = opt.init(params)
    for k in range(30):
        params, state = opt.step(params, q.grad(params, rng=rng), state)
        assert np.array_equal(paths.y[k + 1], params) and np.array_equal(paths.x[k + 1], state.x)
        assert np.array_equal(paths.z[k + 1], state.z)
    # y always lies on the segment from z to x, momentum of the way to x
    np.testing.assert_allclose(paths.y, 0.3 * paths.z + 0.7 * paths.x, rtol=1e-12, atol=1e-12)
    assert paths.loss_x[-1] == pytest.approx(q.loss(paths.x[-1]))


def test_the_explorer_reacts_to_every_slider():
    explorer = schedule_free_explorer(steps=100)
    assert explorer.error is None, explorer.status.value
    for name, value in [("lr", 0.05), ("momentum", 0.5), ("warmup_steps", 50)]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None and shown(explorer) != before, name
    assert explorer.status.value.startswith(
        "lr = 0.0477 (the nearest run), momentum = 0.5, warmup 50"
    )
    assert "at x" in explorer.status.value and "at z" in explorer.status.value


def test_the_explorer_is_registered():
    assert "no_schedule.schedule_free_explorer" in all_explorers()


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    moves_and_reacts(explorer, "lr", 0.3, 2)
