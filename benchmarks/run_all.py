"""Run every benchmarks/bench_*.py script, one after the other, and print what each prints.

    python benchmarks/run_all.py            # what `make bench` runs
    python benchmarks/run_all.py adam mlp   # only the scripts whose names contain these words

Each script runs in its own process (so one that crashes or needs PyTorch cannot take the others
down) with a time limit. The benchmarks print ratios against PyTorch measured in the same run;
they are not tests, and they are slow and noisy on a busy machine. The exit status is 1 if any
script failed or timed out.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIME_LIMIT = 600  # seconds per script


def main(words):
    scripts = sorted(HERE.glob("bench_*.py"))
    if words:
        scripts = [s for s in scripts if any(word in s.stem for word in words)]
    if not scripts:
        sys.exit(f"no benchmarks/bench_*.py matches {words}")
    failed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        start = time.perf_counter()
        try:
            result = subprocess.run(
                [sys.executable, str(script)], cwd=HERE.parent, timeout=TIME_LIMIT, check=False
            )
            ok = result.returncode == 0
            status = "" if ok else f" FAILED (exit status {result.returncode})"
        except subprocess.TimeoutExpired:
            ok, status = False, f" TIMED OUT after {TIME_LIMIT} s"
        if not ok:
            failed.append(script.name)
        print(f"=== {script.name}: {time.perf_counter() - start:.0f} s{status}\n", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    print(f"all {len(scripts)} benchmarks ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
