"""One Adam step on 10^6 float32 parameters: lrcourse against torch.optim.Adam(foreach=True)
(target: at most 1.5x PyTorch's time).

    python benchmarks/bench_adam.py

Both start from the same state (after 10 steps) and take the same step; the script checks that
the new parameters agree before timing, and that lrcourse kept float32 throughout. It then
prints what bounds NumPy here: one elementwise pass over 10^6 float32 (a + b), and PyTorch
restricted to one thread. Prints ratios; it is not a test.

Why lrcourse is slower: every NumPy operation is one single-threaded pass over 4 MB arrays that
allocates its result, and Adam written as formulas is about 13 such passes; PyTorch's foreach
kernels fuse them into a handful (lerp_, mul_/addcmul_, sqrt/div_/add_, addcdiv_), in place, on
both cores. Skipping the weight-decay sum when weight_decay is 0 saved two of those passes.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, print_ratio  # noqa: E402

from lrcourse.optimizers import adam  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    sys.exit("bench_adam needs PyTorch: pip install torch==2.13.0 (CPU build)")

SIZE = 10**6
WARM = 10  # steps taken before timing, so the moments are not zero


def main():
    rng = np.random.default_rng(0)
    params = rng.standard_normal(SIZE).astype(np.float32)
    grads = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(WARM + 1)]

    opt = adam(lr=1e-3)
    state = opt.init(params)
    p = params
    for g in grads[:WARM]:
        p, state = opt.step(p, g, state)

    tp = torch.tensor(params, requires_grad=True)
    topt = torch.optim.Adam([tp], lr=1e-3, foreach=True)
    for g in grads[:WARM]:
        tp.grad = torch.from_numpy(g)
        topt.step()
    tp.grad = torch.from_numpy(grads[WARM])

    # The same step on both sides first: equal work, and float32 kept.
    ours_next, ours_state = opt.step(p, grads[WARM], state)
    topt.step()
    np.testing.assert_allclose(ours_next, tp.detach().numpy(), rtol=1e-5, atol=1e-7)
    assert ours_next.dtype == np.float32 and ours_state.exp_avg_sq.dtype == np.float32

    # A step costs the same whatever the values, so PyTorch simply keeps stepping (in place),
    # while lrcourse, a pure function, takes the same step from the same state again.
    ours = best_of(lambda: opt.step(p, grads[WARM], state), repeats=20)
    theirs = best_of(topt.step, repeats=20)
    print_ratio("one Adam step, 10^6 float32 params", ours, theirs, target=1.5)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    single = best_of(topt.step, repeats=20)
    torch.set_num_threads(threads)
    a, b = grads[0], grads[1]
    one_pass = best_of(lambda: a + b, repeats=20)
    print(
        f"  context: torch on 1 thread {single * 1e3:.2f} ms (on {threads}: "
        f"{theirs * 1e3:.2f} ms); one NumPy pass a + b over 10^6 float32 {one_pass * 1e3:.2f} ms, "
        f"so lrcourse's step costs about {ours / one_pass:.0f} such passes"
    )


if __name__ == "__main__":
    main()
