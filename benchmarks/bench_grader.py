"""How fast does the batch grader go? python benchmarks/bench_grader.py [--n 100] [--jobs 2]

Writes N realistic submissions (solved, unsolved, and with a mistake, for each lecture with
exercise notebooks in turn), grades them exactly as ``lrcourse-grade`` would, and prints
submissions per minute. A teaching assistant with 200 submissions can read the time it takes
from the last line.
"""

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import nbformat

from lrcourse.grading import batch, notebook, spec
from lrcourse.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]


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


def _children_cpu():
    """CPU seconds used by finished child processes (workers, kernels, sandboxes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel workers")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        paths = submissions(Path(tmp) / "in", args.n)
        load = os.getloadavg()[0]
        started, cpu = time.monotonic(), _children_cpu()
        results = batch.grade_many(paths, Path(tmp) / "out", Limits(), args.jobs)
        seconds, cpu = time.monotonic() - started, _children_cpu() - cpu
    graded = sum(1 for r in results if not r.get("error"))
    per = sorted(r["seconds"] for r in results)
    print(f"graded {graded}/{len(results)} submissions with {args.jobs} jobs in {seconds:.1f} s")
    print(f"per submission: median {per[len(per) // 2]:.1f} s, slowest {per[-1]:.1f} s")
    print(f"throughput: {60 * len(results) / seconds:.1f} submissions per minute")
    # Other work on the machine slows the wall clock, not the CPU time each submission needs.
    per_cpu = cpu / len(results)
    print(
        f"CPU per submission: {per_cpu:.2f} core-seconds (at most "
        f"{60 * os.cpu_count() / per_cpu:.0f} per minute on {os.cpu_count()} idle cores); "
        f"load average at start {load:.1f}"
    )


if __name__ == "__main__":
    main()
