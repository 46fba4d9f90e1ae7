"""A batch that behaves like a database: what finished is never lost.

The grader is killed with SIGKILL mid-run (as by an out-of-memory killer or a power cut): no
sandbox survives it, the results already written stay, the rerun grades only what was missing,
and the final grades.csv equals that of a clean, uninterrupted run.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrcourse.grading import spec

ROOT = Path(__file__).resolve().parents[1]
N = 6  # submissions
SOURCES = [ROOT / "solutions" / "01_gradient_descent.ipynb",
           ROOT / "exercises" / "01_gradient_descent.ipynb",
           ROOT / "solutions" / "03_step_decay.ipynb",
           ROOT / "exercises" / "04_exponential_decay.ipynb"]  # fmt: skip


@pytest.fixture
def submissions(tmp_path, bwrap):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for i in range(N):
        source = SOURCES[i % len(SOURCES)]
        shutil.copy(source, folder / f"student{i}_{source.name}")
    return folder


def grade(folder, out, *extra, wait=True, jobs=2):
    cmd = [sys.executable, "-m", "lrcourse.grade", str(folder), "--out", str(out), f"--jobs={jobs}"]
    if wait:
        return subprocess.run([*cmd, *extra], capture_output=True, text=True, timeout=600)
    return subprocess.Popen([*cmd, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def descendants(pid):
    """Every live process below ``pid``."""
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running(grader):
    """True when the grader has a kernel running in a sandbox right now."""
    for pid in descendants(grader.pid):
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_batch_loses_only_what_was_in_flight(submissions, tmp_path):
    clean = grade(submissions, tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr

    out = tmp_path / "out"
    grader = grade(submissions, out, wait=False, jobs=1)  # one at a time: a clear cut
    results = out / "results"
    deadline = time.monotonic() + 300
    while not (results.is_dir() and len(list(results.glob("*.json"))) >= 3 and running(grader)):
        assert time.monotonic() < deadline and grader.poll() is None
        time.sleep(0.05)
    sandboxes = descendants(grader.pid)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    kept = len(list(results.glob("*.json")))
    assert 3 <= kept < N
    assert sandboxes  # one was running when the grader died ...
    deadline = time.monotonic() + 10
    while any(map(alive, sandboxes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(alive, sandboxes))  # ... and it died with it, everything inside too

    rerun = grade(submissions, out)
    assert rerun.returncode == 0, rerun.stderr
    lines = [line for line in rerun.stderr.splitlines() if line.startswith("graded ")]
    assert len(lines) == N - kept  # only what was missing
    assert all(f"{kept} already done" in line for line in lines)
    assert (out / "grades.csv").read_text() == (tmp_path / "clean" / "grades.csv").read_text()

    again = grade(submissions, out)  # nothing changed: nothing to grade
    assert not [line for line in again.stderr.splitlines() if line.startswith("graded ")]
    assert f"{N} of {N} already graded by this version of the grader" in again.stderr
    assert (out / "grades.csv").read_text() == (tmp_path / "clean" / "grades.csv").read_text()

    changed = submissions / "student1_01_gradient_descent.ipynb"
    shutil.copy(SOURCES[0], changed)  # the student resubmits, solved this time
    third = grade(submissions, out)
    graded = [line for line in third.stderr.splitlines() if line.startswith("graded ")]
    full = sum(e.points for e in spec.lectures()["01"].exercises)
    done = f"graded {N}/{N}, {N - 1} already done"
    assert graded == [f"{done}: student1_01_gradient_descent: {full}/{full}"]

    forced = grade(submissions, out, "--regrade")
    assert len([ln for ln in forced.stderr.splitlines() if ln.startswith("graded ")]) == N
