"""The PyTorch numbers lecture 13 stores for readers without PyTorch (notebooks/data/).

Lecture 13 trains the digits MLP twice, once in PyTorch (driven by an lrcourse schedule through
``lrcourse.interop.torch_scheduler``) and once in lrcourse, and compares them step by step. Without
PyTorch it reads PyTorch's side from ``notebooks/data/13_training_loop.json``, recorded by the
notebook itself (``LRCOURSE_RECORD_PYTORCH=1``). These tests keep that file honest: it was
recorded with the course's torch version, lrcourse still reproduces it, and (when PyTorch is
importable) PyTorch still does too. Without PyTorch the live test is skipped, except under
``CI=true``, where a missing PyTorch fails it, as in ``test_reference.py``.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from lrcourse.optimizers import sgd
from lrcourse.problems import digits_mlp
from lrcourse.schedules import cosine_decay, linear_warmup
from lrcourse.train import minibatches, run

DATA = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "13_training_loop.json"
STEPS = 150


def schedule():
    """The notebook's schedule: 15 steps of linear warmup, then a cosine over 135."""
    return linear_warmup(cosine_decay(lr=0.3, total_steps=135), warmup_steps=15)


@pytest.fixture(scope="module")
def stored():
    return json.loads(DATA.read_text())


@pytest.fixture(scope="module")
def lrcourse_run():
    return run(sgd(lr=schedule(), momentum=0.9), digits_mlp(), steps=STEPS, record_params=False)


def test_the_file_records_torch_2_13_and_stays_small(stored):
    assert stored["meta"]["torch"].split("+")[0] == "2.13.0"
    assert stored["meta"]["steps"] == STEPS
    assert len(stored["lr"]) == len(stored["loss"]) == STEPS
    assert DATA.stat().st_size < 20_000


def test_lrcourse_reproduces_the_stored_pytorch_run(stored, lrcourse_run):
    np.testing.assert_array_equal(lrcourse_run.lr, stored["lr"])  # the scheduler copies lrs
    np.testing.assert_allclose(lrcourse_run.loss[:STEPS], stored["loss"], rtol=1e-10, atol=0)
    assert stored["loss"][-1] < 0.1 * stored["loss"][0]  # and it did train


def test_the_notebook_trains_what_this_test_checks():
    notebook = DATA.parents[1] / "13_lrcourse_to_pytorch.ipynb"
    source = "".join("".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"])
    assert (
        "linear_warmup(schedules.cosine_decay(lr=0.3, total_steps=135), warmup_steps=15)" in source
    )
    assert "steps = 150" in source and "momentum=0.9" in source


def train_in_pytorch(torch, steps):
    """The notebook's PyTorch loop (a copy: a test cannot import a notebook cell)."""
    from lrcourse.interop import torch_scheduler

    mlp = digits_mlp()
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)
    ).double()
    with torch.no_grad():
        for linear, (W, b) in zip(model[::2], mlp.layers(mlp.start)):
            linear.weight.copy_(torch.from_numpy(W.T))
            linear.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    scheduler = torch_scheduler(optimizer, schedule())
    x, onehot = mlp.splits["train"]
    x, labels = torch.from_numpy(x), torch.from_numpy(onehot.argmax(axis=1))
    batches = minibatches(mlp.n_train, mlp.batch_size, np.random.default_rng(0))
    lrs, losses = [], []
    for _ in range(steps):
        batch = torch.from_numpy(next(batches))
        loss = torch.nn.functional.cross_entropy(model(x[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        lrs.append(optimizer.param_groups[0]["lr"])
        losses.append(loss.item())
        optimizer.step()
        scheduler.step()
    return np.array(lrs), np.array(losses)


def test_pytorch_live_still_matches_the_stored_numbers(stored):
    try:
        import torch
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PyTorch is required under CI=true: pip install torch==2.13.0 (CPU build)")
        pytest.skip("PyTorch not installed: compared with the stored numbers only")
    lrs, losses = train_in_pytorch(torch, STEPS)
    np.testing.assert_array_equal(lrs, stored["lr"])
    np.testing.assert_allclose(losses, stored["loss"], rtol=1e-12, atol=0)
