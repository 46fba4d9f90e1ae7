"""Small timing helpers shared by the benchmark scripts (not part of the package)."""

import time


def best_of(fn, repeats=5):
    """The fastest of ``repeats`` timed calls of ``fn()``, in seconds, after one warm-up call.

    The minimum, not the mean: on a shared machine every disturbance only adds time, so the
    fastest run is the best estimate of what the code itself costs.
    """
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def print_ratio(what, ours, theirs, *, target=1.0, versus="torch"):
    """Print ``what: lrcourse / torch ... = 0.62x (target <= 1x)`` with both times in ms."""
    ratio = ours / theirs
    verdict = "ok" if ratio <= target else "SLOWER THAN TARGET"
    print(
        f"{what}: lrcourse / {versus} = {ratio:.2f}x (target <= {target:g}x) {verdict}"
        f"   [lrcourse {ours * 1e3:.1f} ms, {versus} {theirs * 1e3:.1f} ms]"
    )
    return ratio
