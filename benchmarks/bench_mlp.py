"""One epoch of the digits MLP: lrcourse (NumPy) against the same model in PyTorch.

    python benchmarks/bench_mlp.py

Both sides train the same network (64 -> 32 tanh -> 10, softmax cross-entropy, float64) from the
same initial weights on the same mini-batches (batch 32, the sequence ``lrcourse.train`` draws),
with SGD and with Adam, and must agree on every step's loss: that check comes first, so the
timing compares equal work. lrcourse's epoch is a real ``train.run`` call (history, divergence
checks and all); PyTorch's is the usual zero_grad / forward / backward / step loop. Also times
what the course's notebooks do with this problem. Prints ratios; it is not a test.
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, print_ratio  # noqa: E402

from lrcourse.optimizers import adam, sgd  # noqa: E402
from lrcourse.problems import digits_mlp  # noqa: E402
from lrcourse.train import minibatches, run  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    sys.exit("bench_mlp needs PyTorch: pip install torch==2.13.0 (CPU build)")

SEED = 0


def torch_model(mlp, params, dtype):
    """nn.Sequential with lrcourse's weights (torch stores W as (fan_out, fan_in))."""
    layers = []
    for W, b in mlp.layers(params):
        linear = torch.nn.Linear(*W.shape, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
        layers += [linear, torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])  # no activation after the output layer


def torch_epoch(mlp, make_opt, dtype=torch.float64):
    """A function that trains a fresh torch copy of ``mlp.start`` for one epoch; returns losses."""
    x = torch.from_numpy(mlp.x).to(dtype)
    labels = torch.from_numpy(mlp.y.argmax(axis=1))
    batches = minibatches(mlp.n_train, mlp.batch_size, np.random.default_rng(SEED))
    epoch = [torch.from_numpy(next(batches)) for _ in range(mlp.steps_per_epoch)]

    def train():
        model = torch_model(mlp, mlp.start, dtype)
        opt = make_opt(model.parameters())
        losses = []
        for idx in epoch:
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x[idx]), labels[idx])
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return torch.stack(losses).double().numpy()

    return train


def main():
    cores = os.cpu_count()
    torch.set_num_threads(cores)
    mlp = digits_mlp(hidden=32, batch_size=32, seed=SEED)
    steps = mlp.steps_per_epoch
    print(
        f"digits MLP {mlp.sizes}, {mlp.dim} params, batch {mlp.batch_size}, "
        f"{steps} steps per epoch; torch {torch.__version__} with {cores} threads, "
        f"numpy {np.__version__}"
    )
    cases = [
        ("SGD lr=0.1", sgd(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (
            "SGD lr=0.1 momentum=0.9",
            sgd(lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        ),
        ("Adam lr=1e-3", adam(lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3)),
    ]
    for name, opt, make_torch_opt in cases:
        ours = lambda opt=opt: run(opt, mlp, steps=steps, seed=SEED, record_params=False)  # noqa: E731
        theirs = torch_epoch(mlp, make_torch_opt)
        # Same work first: every mini-batch loss of the epoch agrees.
        difference = np.abs(ours().loss[:steps] - theirs()).max()
        assert difference < 1e-10, f"{name}: lrcourse and torch disagree by {difference:.2e}"
        print_ratio(f"{name}, one epoch (float64, losses agree to {difference:.0e})",
                    best_of(ours, 20), best_of(theirs, 20))  # fmt: skip
    theirs32 = torch_epoch(mlp, lambda p: torch.optim.SGD(p, lr=0.1), dtype=torch.float32)
    ours = lambda: run(sgd(lr=0.1), mlp, steps=steps, seed=SEED, record_params=False)  # noqa: E731
    print_ratio("SGD lr=0.1, one epoch, torch in float32 (for reference)",
                best_of(ours, 20), best_of(theirs32, 20))  # fmt: skip

    print("\nWhat the notebooks do (budget: a few seconds):")
    start = time.perf_counter()
    h = run(adam(lr=3e-3), mlp, steps=20 * steps, eval_every="epoch", record_params=False)
    print(
        f"  20 epochs of Adam, evaluated every epoch: {time.perf_counter() - start:.2f} s, "
        f"test accuracy {h.metrics['test_accuracy'][-1]:.3f}"
    )
    lrs = np.geomspace(1e-3, 1.0, 16)
    start = time.perf_counter()
    h = run(
        sgd(lr=lrs[:, None], momentum=0.9),
        mlp,
        params=np.tile(mlp.start, (16, 1)),
        steps=20 * steps,
        eval_every="epoch",
        record_params=False,
    )
    best = int(np.nanargmax(h.metrics["test_accuracy"][-1]))
    print(
        f"  a 16-rate sweep of SGD+momentum, 20 epochs, one batched run: "
        f"{time.perf_counter() - start:.2f} s (best lr {lrs[best]:.3g}, "
        f"test accuracy {h.metrics['test_accuracy'][-1, best]:.3f}; {h.diverged.sum()} diverged)"
    )


if __name__ == "__main__":
    main()
