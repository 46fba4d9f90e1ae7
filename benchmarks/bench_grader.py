"""How fast does the batch grader go? python benchmarks/bench_grader.py [--n 100] [--jobs 2]

Writes N realistic submissions (solved, unsolved, and with one or two common mistakes, for
lectures 01 and 02 in turn), grades them exactly as ``lrcourse-grade`` would, and prints
submissions per minute. A teaching assistant with 200 submissions can read the time it takes
from the last line.
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


def _with_mistakes(nb, lecture, k):
    """The solved notebook with one answer negated: a wrong value for one exercise."""
    exercise = lecture.exercises[k % len(lecture.exercises)]
    for cell in nb.cells:
        if notebook.qid(cell) == exercise.id and notebook.ANSWER in notebook.tags(cell):
            cell.source = cell.source.replace("return", "return -1 * ", 1)  # a wrong answer
    return nb


def submissions(folder, n):
    """Write n submissions into folder: a third solved, a third unsolved, a third with a mistake."""
    paths = []
    for i in range(n):
        lecture = list(spec.lectures().values())[i % len(spec.lectures())]
        kind = ("solved", "unsolved", "mistake")[(i // 2) % 3]
        source = ROOT / ("exercises" if kind == "unsolved" else "solutions")
        nb = nbformat.read(source / f"{lecture.notebook}.ipynb", as_version=4)
        if kind == "mistake":
            nb = _with_mistakes(nb, lecture, i)
        paths.append(Path(folder) / f"student{i:03d}_{lecture.notebook}.ipynb")
        nbformat.write(nb, paths[-1])
    return paths


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel workers")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        paths = submissions(Path(tmp) / "in", args.n)
        started = time.monotonic()
        results = batch.grade_many(paths, Path(tmp) / "out", Limits(), args.jobs)
        seconds = time.monotonic() - started
    graded = sum(1 for r in results if not r.get("error"))
    per = sorted(r["seconds"] for r in results)
    print(f"graded {graded}/{len(results)} submissions with {args.jobs} jobs in {seconds:.1f} s")
    print(f"per submission: median {per[len(per) // 2]:.1f} s, slowest {per[-1]:.1f} s")
    print(f"throughput: {60 * len(results) / seconds:.1f} submissions per minute")


if __name__ == "__main__":
    main()
