"""How fast does the batch grader go? python benchmarks/bench_grader.py [--n 100] [--jobs 2]

Writes N realistic submissions (solved, unsolved, and with a mistake, for each lecture with
exercise notebooks in turn), grades them exactly as ``lrcourse-grade`` would, once with every
submission in a bubblewrap sandbox (the default) and once without (``--isolation none``), and
prints submissions per minute for each and what isolation costs, as a ratio measured in this run.
A teaching assistant with 200 submissions can read the time it takes from the throughput.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat

from lrcourse.grading import batch, notebook, spec
from lrcourse.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
# Isolation cost 6.4% before the hardening of issue 20 (its environment, process limits, escaping,
# reply caps), which may add at most 10 points.
BUDGET = "at most 16.4%"


def _with_mistakes(nb, lecture, k):
    """The solved notebook with one answer negated: a wrong value for one exercise."""
    exercise = lecture.exercises[k % len(lecture.exercises)]
    for cell in nb.cells:
        if notebook.qid(cell) == exercise.id and notebook.ANSWER in notebook.tags(cell):
            cell.source = cell.source.replace("return", "return -1 * ", 1)  # a wrong answer
    return nb


def _has_notebooks(lecture):
    name = f"{lecture.notebook}.ipynb"
    return (ROOT / "solutions" / name).exists() and (ROOT / "exercises" / name).exists()


def submissions(folder, n):
    """Write n submissions into folder: a third solved, a third unsolved, a third with a mistake."""
    ready = [lec for lec in spec.lectures().values() if _has_notebooks(lec)]
    paths = []
    for i in range(n):
        lecture = ready[i % len(ready)]
        kind = ("solved", "unsolved", "mistake")[(i // 2) % 3]
        source = ROOT / ("exercises" if kind == "unsolved" else "solutions")
        nb = nbformat.read(source / f"{lecture.notebook}.ipynb", as_version=4)
        if kind == "mistake":
            nb = _with_mistakes(nb, lecture, i)
        paths.append(Path(folder) / f"student{i:03d}_{lecture.notebook}.ipynb")
        nbformat.write(nb, paths[-1])
    return paths


def measure(paths, out, setup, jobs):
    """Grade ``paths`` into ``out``; (seconds, results)."""
    quiet = batch.Progress(len(paths), 0, stream=open(os.devnull, "w"))  # noqa: SIM115
    started = time.monotonic()
    results = batch.grade_many(paths, out, setup, jobs, progress=quiet)
    return time.monotonic() - started, results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel submissions")
    p.add_argument("--rounds", type=int, default=4, help="alternations of the two (default 4)")
    args = p.parse_args()
    modes = ("none", "bwrap")
    seconds, results = dict.fromkeys(modes, 0.0), {m: [] for m in modes}
    setups = {m: batch.Setup(Limits(), m) for m in modes}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        paths = submissions(Path(tmp) / "in", args.n)
        # The two take turns on slices of the same submissions, so that a change in the
        # machine's load (another program starting) weighs on both alike.
        for r in range(args.rounds):
            part = paths[r :: args.rounds]
            for mode in modes if r % 2 == 0 else modes[::-1]:
                took, done = measure(part, Path(tmp) / f"{mode}{r}", setups[mode], args.jobs)
                seconds[mode] += took
                results[mode] += done
    for setup in setups.values():
        setup.close()
    rates = {}
    for mode in modes:
        graded = sum(1 for r in results[mode] if not r.get("error"))
        per = sorted(r["seconds"] for r in results[mode])
        rates[mode] = 60 * len(per) / seconds[mode]
        print(
            f"--isolation {mode}: graded {graded}/{len(per)} with {args.jobs} jobs in "
            f"{seconds[mode]:.1f} s: {rates[mode]:.1f} submissions per minute "
            f"(per submission: median {per[len(per) // 2]:.1f} s, slowest {per[-1]:.1f} s)"
        )
    ratio = rates["bwrap"] / rates["none"]
    print(
        f"isolation costs {100 * (1 - ratio):.1f}% of the throughput (bwrap/none = {ratio:.3f}; "
        f"budget: {BUDGET}); load average at start {load:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
