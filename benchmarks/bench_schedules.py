"""Every schedule over 100,000 steps: one vectorised lrcourse call against stepping the matching
PyTorch scheduler 100,000 times (target: lrcourse at least 300x faster).

    python benchmarks/bench_schedules.py

Both sides produce the same 100,000 rates, and the script checks that they agree (to 1e-9
relative, PyTorch's chainable schedulers drift by rounding over 100,000 steps) before it
compares times, so the timing compares equal work. Both sides run on one thread, so the times
are this process's CPU time (``time.process_time``): other programs on a busy machine do not
inflate them, as they would wall-clock time. PyTorch is timed once (its loop takes a second or
more per scheduler), lrcourse as the median of 21 calls. Prints ratios; it is not a test.
"""

import sys
import time

import numpy as np

from lrcourse import schedules as s

try:
    import torch
    from torch.optim import lr_scheduler as L
except ImportError:  # pragma: no cover
    sys.exit("bench_schedules needs PyTorch: pip install torch==2.13.0 (CPU build)")

N = 100_000
LR = 0.1
TARGET = 300

# (name, lrcourse schedule, PyTorch scheduler on an optimizer with lr=LR)
CASES = [
    ("step_decay / StepLR", s.step_decay(LR, 1000, 0.9), lambda o: L.StepLR(o, 1000, 0.9)),
    (
        "multistep_decay / MultiStepLR",
        s.multistep_decay(LR, [30_000, 60_000, 90_000]),
        lambda o: L.MultiStepLR(o, [30_000, 60_000, 90_000]),
    ),
    (
        "exponential_decay / ExponentialLR",
        s.exponential_decay(LR, 0.99995),
        lambda o: L.ExponentialLR(o, 0.99995),
    ),
    (
        "polynomial_decay / PolynomialLR",
        s.polynomial_decay(LR, N, power=2.0),
        lambda o: L.PolynomialLR(o, total_iters=N, power=2.0),
    ),
    (
        "cosine_decay / CosineAnnealingLR",
        s.cosine_decay(LR, N, min_lr=1e-4),
        lambda o: L.CosineAnnealingLR(o, T_max=N, eta_min=1e-4),
    ),
    (
        "linear_warmup / LinearLR",
        s.linear_warmup(LR, 5000, start_factor=0.01),
        lambda o: L.LinearLR(o, start_factor=0.01, total_iters=5000),
    ),
    (
        "cosine_restarts / CosineAnnealingWarmRestarts",
        s.cosine_restarts(LR, 1000, period_mult=2),
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=1000, T_mult=2),
    ),
    (
        "cyclic / CyclicLR",
        s.cyclic(1e-3, LR, 2000, mode="triangular2"),
        lambda o: L.CyclicLR(o, 1e-3, LR, 2000, mode="triangular2", cycle_momentum=False),
    ),
    (
        "one_cycle / OneCycleLR",
        s.one_cycle(LR, N),
        lambda o: L.OneCycleLR(o, LR, total_steps=N, cycle_momentum=False),
    ),
    (
        "linear_warmup(cosine_decay) / SequentialLR",
        s.linear_warmup(s.cosine_decay(LR, N - 5000), 5000, start_factor=0.01),
        lambda o: L.SequentialLR(
            o,
            [L.LinearLR(o, 0.01, total_iters=5000), L.CosineAnnealingLR(o, N - 5000)],
            milestones=[5000],
        ),
    ),
]


def median_time(fn, repeats=21):
    """The median CPU time of ``repeats`` calls of ``fn()``, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


def torch_rates(make, steps=N):
    """The lr of each of N steps, as a training loop sees them: read, then scheduler.step()."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=LR)
    scheduler = make(optimizer)
    optimizer.step()  # no gradient, so a no-op; PyTorch warns if the scheduler steps first
    group = optimizer.param_groups[0]
    rates = []
    for _ in range(steps - 1):
        rates.append(group["lr"])
        scheduler.step()
    rates.append(group["lr"])
    return rates


def main():
    torch.set_num_threads(1)  # a scheduler is Python arithmetic; keep PyTorch on this thread
    print(f"each schedule over {N:,} steps: one lrcourse call vs {N:,} PyTorch scheduler steps")
    print("  (CPU time of this process)")
    for _, _, make in CASES:  # warm up: PyTorch sets up its machinery on first use
        torch_rates(make, steps=100)
    speedups = []
    for name, schedule, make in CASES:
        start = time.process_time()
        theirs = torch_rates(make)
        torch_time = time.process_time() - start
        ours = schedule(np.arange(N))
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, err_msg=name)
        ours_time = median_time(lambda schedule=schedule: schedule(np.arange(N)))
        speedup = torch_time / ours_time
        speedups.append(speedup)
        verdict = "ok" if speedup >= TARGET else "BELOW TARGET"
        print(
            f"  {name:48s} {speedup:7.0f}x faster (target >= {TARGET}x) {verdict}"
            f"   [lrcourse {ours_time * 1e3:.2f} ms, torch {torch_time * 1e3:.0f} ms]"
        )
    print(f"schedules: slowest speedup {min(speedups):.0f}x, median {np.median(speedups):.0f}x")


if __name__ == "__main__":
    main()
