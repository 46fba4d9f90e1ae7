"""Lecture 14's experiments (in ``lrcourse.experiments``) and explorer, driven without a browser.

``adam_preconditioner`` must be the P of Adam's own step, ``track_sharpness`` must measure what
``sharpness`` measures, and the explorer must react and answer quickly. Update times are printed
(run with ``-s``), never asserted.
"""

import numpy as np
import pytest
from explorer_helpers import moves_and_reacts, shown

from lrcourse.experiments import adam_preconditioner, track_sharpness
from lrcourse.explorers.edge import EXPLORERS, edge_explorer
from lrcourse.optimizers import adam, sgd
from lrcourse.problems import digits_mlp, quadratic, sharpness
from lrcourse.widgets import all_explorers


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.99)])
def test_adams_step_is_lr_times_p_squared_times_m(betas):
    # x_new = x - lr P^-1 m with P^-1 = p^2: the preconditioner is the one Adam uses.
    rng = np.random.default_rng(0)
    opt = adam(lr=0.01, betas=betas, eps=1e-6)
    params = rng.standard_normal(5)
    state = opt.init(params)
    for _ in range(7):
        new, state = opt.step(params, rng.standard_normal(5) * [1, 10, 0.1, 1e-3, 3], state)
        p = adam_preconditioner(state, betas, eps=1e-6)
        assert np.allclose(params - new, 0.01 * p**2 * state.exp_avg, rtol=1e-12)
        params = new


def test_track_sharpness_measures_what_sharpness_measures():
    mlp = digits_mlp(hidden=8, criterion="squared_error", batch_size=None)
    batch = np.arange(100)
    h = track_sharpness(sgd(lr=0.05), mlp, steps=30, every=10, iters=30, batch=batch)
    assert (
        h.loss.shape == (31,)
        and h.lr.shape == (30,)
        and h.sharpness_steps.tolist()
        == [
            0,
            10,
            20,
            30,
        ]
    )
    exact = sharpness(mlp, h.final_params, iters=500, batch=batch)[0]
    assert h.sharpness[-1] == pytest.approx(exact, rel=1e-4)
    assert h.loss[-1] == pytest.approx(mlp.loss(h.final_params, batch=batch), rel=1e-12)


def test_track_sharpness_on_a_quadratic_and_a_diverging_sweep():
    q = quadratic(curvatures=[1.0, 4.0])
    # lr 0.4 < 2/4 converges; lr 0.6 > 2/4 diverges and turns to NaN once past 1e6 x its start.
    lrs = np.array([[0.4], [0.6]])
    h = track_sharpness(sgd(lr=lrs), q, np.tile(q.start, (2, 1)), steps=300, every=50)
    assert np.allclose(h.sharpness[:, 0], 4.0)
    assert np.isfinite(h.loss[:, 0]).all() and h.loss[-1, 0] < 1e-20
    assert np.isnan(h.loss[-1, 1]) and np.isnan(h.sharpness[-1, 1])


def test_the_edge_explorer_shows_the_nearest_run_and_the_edge():
    explorer = edge_explorer(steps=100, rates=5)
    assert explorer.error is None, explorer.status.value
    before = shown(explorer)
    explorer.controls["lr"].value = 0.05
    assert explorer.error is None and shown(explorer) != before
    assert explorer.status.value.startswith("lr = 0.0634 (the nearest run)")
    assert "2 / lr = 31.5" in explorer.status.value
    explorer.controls["lr"].value = 0.6
    assert "diverged" in explorer.status.value


def test_the_explorer_is_registered():
    assert "edge.edge_explorer" in all_explorers()


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    moves_and_reacts(explorer, "lr", 0.3, 2)
