"""The runs lecture 16 reads from ``notebooks/data/16_no_schedule.json``.

``tools/record_lecture16.py`` recorded them; here pieces are run again with the same code and
compared with the stored numbers (5 significant digits), so the file cannot drift from the code
or from the settings it says it used.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import record_lecture16 as record  # noqa: E402

from lrcourse import optimizers  # noqa: E402
from lrcourse.experiments import losses_at, no_schedule_problem, replicas  # noqa: E402


@pytest.fixture(scope="module")
def stored():
    return json.loads(record.FILE.read_text())


def test_the_settings_are_the_scripts(stored):
    settings = json.loads(json.dumps(record.SETTINGS))
    assert stored["meta"]["settings"] == settings
    assert stored["meta"]["prodigy_seeds"] == record.PRODIGY_SEEDS


def test_the_schedule_free_sweep_on_the_quadratic_is_what_the_code_gives(stored):
    """The whole sweep (the noise of every run depends on the batch's shape), every budget."""
    settings = record.SETTINGS["quadratic"]
    lrs, budgets = np.array(settings["lrs"]), settings["budgets"]
    q = no_schedule_problem()
    opt = optimizers.sgd_schedule_free(lr=lrs[:, None, None])
    again = losses_at(opt, q, replicas(q, lrs, settings["seeds"]), budgets).mean(-1)
    np.testing.assert_allclose(again, stored["quadratic"]["schedule_free"], rtol=1e-4)


def test_prodigy_on_the_network_is_what_the_code_gives(stored):
    again = record.prodigy_runs("mlp", record.SETTINGS["mlp"]["budgets"][-1], 4)
    for name in ("constant", "cosine"):
        np.testing.assert_allclose(again[name]["d"], stored["mlp"]["prodigy"][name]["d"], rtol=1e-4)
        assert again[name]["final_loss"] == pytest.approx(
            stored["mlp"]["prodigy"][name]["final_loss"], rel=1e-4
        )


def test_every_grid_has_its_best_inside(stored):
    """The lecture reads best rates off these grids: each must lie inside its grid."""
    from lrcourse.experiments import interior_best

    for kind in record.SETTINGS:
        for method in ("cosine", "linear", "wsd", "schedule_free", "cosine_long"):
            interior_best(np.array(stored[kind][method], dtype=float)[-1])
        for method in ("constant", "cosine"):
            interior_best(np.array(stored[kind]["adam"][method], dtype=float))
