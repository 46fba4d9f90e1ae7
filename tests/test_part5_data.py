"""The long runs of Part V that lectures 14 and 15 read from ``notebooks/data/``.

``tools/record_part5.py`` recorded them; here the first steps of every experiment are run again
with the same code and compared with the stored numbers, so the files cannot drift from the code
(or from the settings they say they used).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import record_part5  # noqa: E402

STEPS = 20  # a short prefix: the runs are deterministic, and chaotic only later at the edge


def as_array(rows):
    return np.array(rows, dtype=float)  # None (a diverged run) -> NaN


@pytest.fixture(scope="module")
def edge():
    return json.loads(record_part5.EDGE_FILE.read_text())


@pytest.fixture(scope="module")
def edge_again():
    return record_part5.record_edge(steps=STEPS)


@pytest.mark.parametrize("name", list(record_part5.EDGE))
def test_the_stored_edge_runs_start_as_the_code_runs_them(edge, edge_again, name):
    stored, again = edge[name], edge_again[name]
    assert (
        {**stored["settings"], "steps": STEPS}
        == again["settings"]
        == {
            **record_part5.EDGE[name],
            "steps": STEPS,
        }
    )
    loss, loss_again = as_array(stored["loss"]), as_array(again["loss"])
    assert np.allclose(loss[..., : STEPS + 1], loss_again, rtol=1e-3, equal_nan=True)
    n = len(again["sharpness_steps"])
    assert stored["sharpness_steps"][:n] == again["sharpness_steps"]
    assert np.allclose(as_array(stored["sharpness"])[..., :n], as_array(again["sharpness"]),
                       rtol=1e-3, equal_nan=True)  # fmt: skip


def test_the_edge_file_is_complete_and_small(edge):
    for name, settings in record_part5.EDGE.items():
        assert len(as_array(edge[name]["loss"]).T) == settings["steps"] + 1
        assert edge[name]["sharpness_steps"][-1] == settings["steps"]
    assert record_part5.EDGE_FILE.stat().st_size < 400_000


@pytest.fixture(scope="module")
def batch():
    return json.loads(record_part5.BATCH_FILE.read_text())


def test_the_batch_file_records_its_settings_and_every_batch_size(batch):
    settings = batch["settings"]
    assert settings == json.loads(json.dumps(record_part5.BATCH))
    for name in ("sgd", "adam"):
        assert len(batch[name]["steps"]) == len(settings["batch_sizes"])
        assert all(len(row) == len(settings["seeds"]) for row in batch[name]["steps"])


def test_a_stored_steps_to_target_point_is_what_the_code_measures(batch):
    # The largest batch is the cheapest to re-run: SGD at B = 256, the first mini-batch order.
    settings = batch["settings"]
    steps, best = record_part5.batch_runs(
        "sgd", settings["sgd_lrs"], [256], settings["seeds"][:1], settings["target"],
        settings["max_steps"],
    )  # fmt: skip
    row = settings["batch_sizes"].index(256)
    assert steps[0][0] == batch["sgd"]["steps"][row][0]
    assert best[0][0] == batch["sgd"]["best_lr"][row][0]
