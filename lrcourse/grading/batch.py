"""The batch grader: ``python -m lrcourse.grade SUBMISSIONS... --out DIR`` (or ``lrcourse-grade``).

Each submission is graded by a worker process of its own (``worker``), ``--jobs`` at a time. A
worker that overruns its hard time limit is killed together with every process it started, and
the submission is reported as not graded; the batch goes on. The results are written as

    DIR/grades.csv               one row per submission, one column per exercise, total, note
    DIR/grades.json              everything, including each exercise's full message
    DIR/feedback/NAME.md         what a student reads: score, and per exercise the verdict
    DIR/notebooks/NAME.ipynb     the submission as it ran, with the pristine check cells

Exit status: 0 when every submission was graded; 1 when some could not be (not JSON, not a
notebook, a worker that had to be killed): they are listed on stderr and have a row with a note;
2 when nothing was graded because the command line was wrong (no submissions, a missing file, a
file that is not .ipynb). A folder stands for the .ipynb files directly inside it.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from . import sandbox, spec
from .sandbox import Limits

EXIT_OK, EXIT_SOME_UNGRADED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command-line problem: nothing is graded."""


def expand(paths):
    """The notebooks to grade: files as given, folders as their *.ipynb (sorted, not recursive)."""
    if not paths:
        raise UsageError("no submissions given: name notebooks or folders of notebooks")
    found, problems = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.ipynb") if p.is_file())
            if not inside:
                problems.append(f"{raw}: a folder with no .ipynb files directly inside")
            found += inside
        elif not path.exists():
            problems.append(f"{raw}: no such file")
        elif path.suffix != ".ipynb":
            problems.append(f"{raw}: not a notebook (the name does not end in .ipynb)")
        else:
            found.append(path)
    if problems:
        raise UsageError("\n".join(problems))
    return list(dict.fromkeys(p.resolve() for p in found))  # each file once, in order


def _names(paths):
    """A distinct, readable file stem for every submission (for feedback/NAME.md)."""
    names, seen = [], {}
    for p in paths:
        stem = p.stem
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return names


# --- running the workers ------------------------------------------------------------------


def _hard_limit(limits):
    """Seconds after which a worker is killed: the notebook run, every answer, and slack."""
    exercises = max((len(lec.exercises) for lec in spec.lectures().values()), default=1)
    return limits.timeout + 30 + exercises * (limits.answer_timeout + sandbox.STARTUP)


class _Running:
    """The worker processes alive now, so that Ctrl-C can stop them all."""

    def __init__(self):
        self.lock, self.procs = threading.Lock(), {}

    def add(self, proc, pids_file):
        with self.lock:
            self.procs[proc] = pids_file

    def remove(self, proc):
        with self.lock:
            self.procs.pop(proc, None)

    def kill_all(self):
        with self.lock:
            procs = list(self.procs.items())
        for proc, pids_file in procs:
            _kill_all(proc, pids_file)


def grade_one(path, name, out, limits, lecture=None, running=None):
    """Grade one submission in a worker process; always returns a result dict."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lrcourse-job-") as tmp:
        job = os.path.join(tmp, "job.json")
        result_path = os.path.join(tmp, "result.json")
        executed = os.path.join(out, "notebooks", f"{name}.ipynb") if out else None
        with open(job, "w") as f:
            job_spec = {"path": str(path), "limits": asdict(limits), "lecture": lecture}
            json.dump({**job_spec, "result": result_path, "executed": executed}, f)
        with open(os.path.join(tmp, "worker.log"), "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lrcourse.grading.worker", job],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # a terminal's Ctrl-C goes to us; we stop workers
            )
            if running:
                running.add(proc, os.path.join(tmp, "pids"))
            killed = not sandbox.exited(proc.pid, time.monotonic() + _hard_limit(limits))
            _kill_all(proc, os.path.join(tmp, "pids"))
            if running:
                running.remove(proc)
        try:
            with open(result_path) as f:
                result = json.load(f)
        except (OSError, ValueError):
            if killed:
                why = (
                    f"the grader stopped it after {_hard_limit(limits):g} s (is --timeout too low?)"
                )
            else:
                with open(os.path.join(tmp, "worker.log"), "rb") as log:
                    last = log.read().decode(errors="replace").strip().splitlines()[-1:]
                why = f"the grader's worker failed (exit code {proc.returncode}: {' '.join(last)})"
            result = {"submission": str(path), "error": why}
    result.setdefault("exercises", {})
    result.setdefault("notes", [])
    result.setdefault("flags", [])
    result["name"] = name
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _kill_all(proc, pids_file):
    """Kill the worker's group and every group it recorded (the kernel, the sandboxes)."""
    sandbox.kill_group(proc.pid)
    try:
        with open(pids_file) as f:
            for line in f:
                if line.strip().isdigit():
                    sandbox.kill_group(int(line))
    except OSError:
        pass
    proc.wait()


class Progress:
    """A one-line progress bar on a terminal; one line per submission otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def update(self, result):
        with self.lock:
            self.done += 1
            score = "not graded" if result.get("error") else f"{_total(result)}/{_max(result)}"
            if self.tty:
                filled = int(30 * self.done / self.total)
                bar = "#" * filled + "-" * (30 - filled)
                self.stream.write(
                    f"\r[{bar}] {self.done}/{self.total}  {time.monotonic() - self.start:5.0f} s "
                )
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                width = len(str(self.total))
                self.stream.write(
                    f"[{self.done:>{width}}/{self.total}] {result['name']}: {score}\n"
                )
            self.stream.flush()


def grade_many(paths, out=None, limits=None, jobs=None, lecture=None, progress=None):
    """Grade every path (in parallel); results in the order of ``paths``."""
    limits = limits or Limits()
    jobs = max(1, jobs or os.cpu_count() or 1)
    if out:
        os.makedirs(os.path.join(out, "notebooks"), exist_ok=True)
    names, running = _names(paths), _Running()

    def task(path, name):
        result = grade_one(path, name, out, limits, lecture, running)
        if progress:
            progress.update(result)
        return result

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(task, p, n) for p, n in zip(paths, names, strict=True)]
        return [f.result() for f in futures]
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        running.kill_all()  # the threads waiting on them return at once
        raise
    finally:
        pool.shutdown(wait=True)


# --- writing the results --------------------------------------------------------------------


def _total(result):
    return sum(e["score"] for e in result["exercises"].values())


def _max(result):
    return sum(e["points"] for e in result["exercises"].values())


def _columns(results):
    ids = {q for r in results for q in r["exercises"]}
    return [q for q in spec.all_ids() if q in ids]


def _note(result):
    """Why a submission was not graded, or what in it deserves a human look."""
    if result.get("error"):
        return result["error"]
    return "review: " + ", ".join(result["flags"]) if result["flags"] else ""


def write_csv(results, path):
    columns = _columns(results)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *columns, "total", "note"])
        for r in results:
            scores = [r["exercises"][q]["score"] if q in r["exercises"] else "" for q in columns]
            writer.writerow([r["name"], *scores, _total(r), _note(r)])


def write_json(results, path, limits):
    data = {
        "limits": asdict(limits),
        "exercises": {
            q: {"points": spec.exercise(q).points, "title": spec.exercise(q).title}
            for q in _columns(results)
        },
        "submissions": [{**r, "total": _total(r), "max": _max(r)} for r in results],
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def feedback(result):
    """The Markdown a student reads about one submission."""
    lines = [f"# Feedback on {Path(result['submission']).name}", ""]
    if result.get("error"):
        lines += [
            "This notebook could not be graded: " + result["error"] + ".",
            "",
            "Open it in Jupyter, check that it runs, save it, and submit it again.",
        ]
        return "\n".join(lines) + "\n"
    lecture = spec.lectures()[result["lecture"]]
    lines += [
        f"Lecture {lecture.number}: {lecture.title}",
        "",
        f"**Score: {_total(result)} / {_max(result)}**",
        "",
        "Each function was run by the grader on its own, on the cases below; the first problem "
        "found is shown. Run the notebook's check cells to see the same messages.",
        "",
    ]
    for qid, e in result["exercises"].items():
        title = spec.exercise(qid).title
        lines += [
            f"## {qid}: {title} ({e['score']}/{e['points']})",
            "",
            "```",
            e["message"],
            "```",
            "",
        ]
    if result["notes"]:
        lines += ["## Notes on running your notebook", ""]
        lines += [f"- {n}" for n in result["notes"]]
        lines += [""]
    return "\n".join(lines)


def write_feedback(results, folder):
    os.makedirs(folder, exist_ok=True)
    for r in results:
        with open(os.path.join(folder, f"{r['name']}.md"), "w") as f:
            f.write(feedback(r))


def write_gradescope(result, path):
    """Gradescope's results.json for one submission (for a run inside Gradescope's container)."""
    tests = [
        {
            "name": f"{qid}: {spec.exercise(qid).title}",
            "score": e["score"],
            "max_score": e["points"],
            "output": e["message"],
            "visibility": "visible",
        }
        for qid, e in result["exercises"].items()
    ]
    data = {"score": _total(result), "tests": tests}
    if result.get("error"):
        data["output"] = "This notebook could not be graded: " + result["error"]
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def write_all(results, out, limits):
    os.makedirs(out, exist_ok=True)
    write_csv(results, os.path.join(out, "grades.csv"))
    write_json(results, os.path.join(out, "grades.json"), limits)
    write_feedback(results, os.path.join(out, "feedback"))


# --- the command line ------------------------------------------------------------------------


def parser():
    p = argparse.ArgumentParser(
        prog="lrcourse-grade",
        description="Grade submitted lrcourse exercise notebooks: each in its own process and "
        "kernel, under limits, several at once. Writes grades.csv, grades.json and one feedback "
        "file per submission.",
    )
    p.add_argument("submissions", nargs="*", help="notebooks, or folders of notebooks")
    p.add_argument("--out", required=True, help="folder for the results (created if missing)")
    p.add_argument("--jobs", type=int, default=None, help="submissions at once (default: CPUs)")
    p.add_argument("--lecture", help="grade every submission as this lecture's exercises (01)")
    p.add_argument(
        "--gradescope",
        metavar="RESULTS_JSON",
        help="also write Gradescope's results.json for the one submission given (inside "
        "Gradescope's autograder: --gradescope /autograder/results/results.json)",
    )
    d = Limits()
    limits = [
        ("--timeout", float, d.timeout, "wall-clock seconds to run one notebook"),
        ("--cell-timeout", float, d.cell_timeout, "seconds for one cell"),
        ("--cpu", float, d.cpu, "CPU seconds for the kernel and for the sandbox"),
        ("--memory-mb", int, d.memory_mb, "memory (address space) of the kernel and the sandbox"),
        ("--output-kb", int, d.output_kb, "cell output kept in the graded notebook"),
        ("--answer-timeout", float, d.answer_timeout, "seconds for one exercise's cases"),
    ]
    for flag, kind, default, text in limits:
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default {default:g})")
    return p


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parser().parse_args(argv)
    limits = Limits(
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        cpu=args.cpu,
        memory_mb=args.memory_mb,
        output_kb=args.output_kb,
        answer_timeout=args.answer_timeout,
    )
    try:
        paths = expand(args.submissions)
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError(f"--out {args.out}: exists and is not a folder")
        if args.gradescope and len(paths) != 1:
            raise UsageError(
                f"--gradescope grades one submission at a time, got {len(paths)} notebooks"
            )
        if args.lecture and args.lecture not in spec.lectures():
            raise UsageError(
                f"--lecture {args.lecture}: no such lecture; known: {', '.join(spec.lectures())}"
            )
    except UsageError as err:
        print(f"lrcourse-grade: nothing graded.\n{err}", file=sys.stderr)
        return EXIT_USAGE
    progress = Progress(len(paths))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    try:
        results = grade_many(paths, args.out, limits, args.jobs, args.lecture, progress)
    except KeyboardInterrupt:
        print("\nlrcourse-grade: interrupted; no results written.", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_all(results, args.out, limits)
    if args.gradescope:
        write_gradescope(results[0], args.gradescope)
    ungraded = [r for r in results if r.get("error")]
    graded = len(results) - len(ungraded)
    print(f"graded {graded} of {len(results)} submissions; results in {args.out}")
    if ungraded:
        print(
            f"{len(ungraded)} could not be graded (row with a note in grades.csv):", file=sys.stderr
        )
        for r in ungraded:
            print(f"  {r['submission']}: {r['error']}", file=sys.stderr)
        return EXIT_SOME_UNGRADED
    return EXIT_OK
