"""A learning-rate sweep, 256 rates x 1,000 Adam steps on Rosenbrock's 2-D valley: lrcourse's one
batched computation against a Python loop over the same 256 runs in PyTorch (target: lrcourse at
least 20x faster).

    python benchmarks/bench_sweep.py

lrcourse steps params of shape (256, 2) with lr of shape (256, 1): one NumPy computation per step
for the whole sweep. It is timed twice: the bare loop (gradient, then ``opt.step``), and
``lrcourse.train.run``, the loop the notebooks use, which also records the loss, the rates and
the params at every step and watches for divergence. PyTorch runs the 256 runs one after the
other, each with its own ``torch.optim.Adam`` and the same analytic gradient, written in torch.
Both sides must end at the same points (to 1e-9) before any time is compared. Both run on one
thread (tensors of 2 numbers), so the times are this process's CPU time (``time.process_time``),
which other programs on a busy machine do not inflate. Uses ``lrcourse.problems.rosenbrock`` when
it exists, else a local copy. Prints ratios; it is not a test.
"""

import sys
import time

import numpy as np

from lrcourse.optimizers import adam

try:
    import torch
except ImportError:  # pragma: no cover
    sys.exit("bench_sweep needs PyTorch: pip install torch==2.13.0 (CPU build)")

try:
    from lrcourse.problems import rosenbrock
    from lrcourse.train import run
except ImportError:  # pragma: no cover - before problems.py and train.py existed
    rosenbrock = run = None

RUNS, STEPS, TARGET = 256, 1000, 20
RATES = np.geomspace(1e-4, 0.3, RUNS)[:, None]
START = np.array([-1.2, 1.0])
A, B = 1.0, 100.0


def median_time(fn, repeats=5):
    """The median CPU time of ``repeats`` calls of ``fn()``."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


def local_grad(params):
    """Rosenbrock's gradient, f = (a - x)^2 + b (y - x^2)^2, for points of shape (..., 2)."""
    x, y = params[..., 0], params[..., 1]
    return np.stack([-2 * (A - x) - 4 * B * x * (y - x**2), 2 * B * (y - x**2)], axis=-1)


GRAD = rosenbrock().grad if rosenbrock is not None else local_grad


def lrcourse_sweep():
    opt = adam(lr=RATES)
    params = np.tile(START, (RUNS, 1))
    state = opt.init(params)
    for _ in range(STEPS):
        params, state = opt.step(params, GRAD(params), state)
    return params


def lrcourse_train_run():
    return run(adam(lr=RATES), rosenbrock(), np.tile(START, (RUNS, 1)), steps=STEPS).final_params


def torch_grad(p):
    x, y = p[0], p[1]
    return torch.stack([-2 * (A - x) - 4 * B * x * (y - x**2), 2 * B * (y - x**2)])


def torch_sweep():
    finals = []
    for lr in RATES[:, 0]:
        param = torch.tensor(START, dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.Adam([param], lr=float(lr))
        for _ in range(STEPS):
            with torch.no_grad():
                param.grad = torch_grad(param)
            optimizer.step()
        finals.append(param.detach().numpy())
    return np.array(finals)


def main():
    problem = "lrcourse.problems.rosenbrock" if rosenbrock is not None else "a local Rosenbrock"
    print(f"sweep of {RUNS} learning rates x {STEPS} Adam steps on {problem} (float64, CPU time)")
    torch.set_num_threads(1)
    start = time.process_time()
    theirs = torch_sweep()
    torch_time = time.process_time() - start  # 20 s or more: once is enough
    np.testing.assert_allclose(lrcourse_sweep(), theirs, rtol=1e-9, atol=1e-12)
    timings = [("one batched loop of opt.step", median_time(lrcourse_sweep))]
    if run is not None:
        np.testing.assert_allclose(lrcourse_train_run(), theirs, rtol=1e-9, atol=1e-12)
        timings.append(("train.run (history and all)", median_time(lrcourse_train_run)))
    for what, ours in timings:
        speedup = torch_time / ours
        verdict = "ok" if speedup >= TARGET else "BELOW TARGET"
        print(
            f"  {what:30s} {speedup:5.0f}x faster than {RUNS} PyTorch runs (target >= {TARGET}x)"
            f" {verdict}   [lrcourse {ours * 1e3:.0f} ms, torch {torch_time * 1e3:.0f} ms]"
        )


if __name__ == "__main__":
    main()
