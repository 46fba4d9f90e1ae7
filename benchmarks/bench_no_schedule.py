"""One step of lecture 16's optimizers on 10^6 float32 parameters: lrcourse against the
authors' packages on PyTorch (schedulefree 1.4.1 with foreach, prodigyopt 1.1.2).

    python benchmarks/bench_no_schedule.py

Each pair starts from the same state (after 10 steps) and takes the same step; the script checks
that the new parameters agree and stay float32 before timing. Prints ratios; it is not a test.
Target: at most 3x the reference, which fuses its passes in place as torch.optim's Adam does
(see bench_adam.py); lrcourse writes each formula as its own NumPy pass.
"""

import contextlib
import functools
import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, print_ratio  # noqa: E402

from lrcourse import optimizers  # noqa: E402

try:
    import prodigyopt
    import schedulefree
    import torch
except ImportError:  # pragma: no cover
    sys.exit(
        "bench_no_schedule needs PyTorch, schedulefree and prodigyopt: pip install -e '.[test]'"
    )

SIZE = 10**6
WARM = 10
TARGET = 3.0  # lrcourse's formulas are separate NumPy passes; the references fuse them

SGD_SF, ADAMW_SF = schedulefree.SGDScheduleFree, schedulefree.AdamWScheduleFree
PAIRS = [
    ("Schedule-Free SGD", optimizers.sgd_schedule_free,
     lambda p: SGD_SF(p, lr=0.1, foreach=True), dict(lr=0.1)),
    ("Schedule-Free AdamW", optimizers.adamw_schedule_free,
     lambda p: ADAMW_SF(p, lr=1e-3, foreach=True), dict(lr=1e-3)),
    ("Prodigy", optimizers.prodigy, lambda p: prodigyopt.Prodigy(p), {}),
]  # fmt: skip


def main():
    rng = np.random.default_rng(0)
    params = rng.standard_normal(SIZE).astype(np.float32)
    grads = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(WARM + 1)]
    for name, factory, reference, kwargs in PAIRS:
        opt = factory(**kwargs)
        state, p = opt.init(params), params
        for g in grads[:WARM]:
            p, state = opt.step(p, g, state)
        tp = torch.tensor(params, requires_grad=True)
        topt = reference([tp])
        if hasattr(topt, "train"):
            topt.train()
        for g in grads[:WARM]:
            tp.grad = torch.from_numpy(g.copy())  # the references may change grads in place
            topt.step()
        ours_next, _ = opt.step(p, grads[WARM], state)
        tp.grad = torch.from_numpy(grads[WARM].copy())
        topt.step()
        np.testing.assert_allclose(ours_next, tp.detach().numpy(), rtol=1e-4, atol=1e-6)
        assert ours_next.dtype == np.float32
        # A step costs the same whatever the values: the reference keeps stepping in place (its
        # gradient too, which AdamW divides in place), lrcourse steps from the same state again.
        ours = best_of(functools.partial(opt.step, p, grads[WARM], state), repeats=10)
        with contextlib.redirect_stdout(io.StringIO()):
            theirs = best_of(topt.step, repeats=10)
        print_ratio(f"one {name} step, 10^6 float32 params", ours, theirs, target=TARGET)


if __name__ == "__main__":
    main()
