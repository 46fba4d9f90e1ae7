"""The batch grader: ``python -m lrcourse.grade SUBMISSIONS... --out DIR`` (or ``lrcourse-grade``).

One path from a submission to its result (``grade_one``): read the notebook and put its pristine
check cells back (``notebook``); run it, and call its answers, in a sandbox of its own
(``sandbox``, ``inside``), which sends back only JSON; judge each answer against the reference
here, outside (``judge``). ``--jobs`` submissions are graded at once, each in a thread that waits
on its sandbox. What is written, each file replaced whole the moment a submission is graded:

    DIR/results/NAME.json        the result, with the key it was made from (see ``job_key``)
    DIR/grades.csv               one row per submission, one column per exercise, total, note
    DIR/grades.json              everything, including each exercise's full message
    DIR/feedback/NAME.md         what a student reads: score, and per exercise the verdict
    DIR/notebooks/NAME.ipynb     the submission as it ran, its check cells showing the verdicts

So stopping the batch loses only the submissions in flight, and running the same command again
grades only those whose file, grader version, limits or --lecture changed (``--regrade``: all).

NAME is the file's stem, with a digest of its path where two share one (``_names``). Everything
from a submission is bounded and escaped for where it goes (``clean``, ``csv_cell``, ``terminal``,
``markdown``), and a result that cannot be reported becomes a row that says so (``_reportable``).

Exit status: 0 when every submission was graded; 1 when some could not be (not JSON, not a
notebook, a symbolic link, a sandbox that had to be killed): they are listed on stderr and have a
row with a note; 2 when nothing was graded because the command line was wrong (no submissions, a
missing file, a file that is not .ipynb); 3 when nothing was graded because submissions cannot be
isolated (bubblewrap missing or not working, and no --isolation none). A folder stands for the
.ipynb files directly inside it.
"""

import argparse
import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from . import judge, notebook, sandbox, spec, values
from .sandbox import Limits

EXIT_OK, EXIT_SOME_UNGRADED, EXIT_USAGE, EXIT_UNPROTECTED = 0, 1, 2, 3


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
            # Links and pipes too: each gets a row saying why it was not graded.
            inside = sorted(p for p in path.glob("*.ipynb") if p.is_symlink() or not p.is_dir())
            if not inside:
                problems.append(f"{raw}: a folder with no .ipynb files directly inside")
            found += inside
        elif not path.exists() and not path.is_symlink():
            problems.append(f"{raw}: no such file")
        elif path.suffix != ".ipynb":
            problems.append(f"{raw}: not a notebook (the name does not end in .ipynb)")
        else:
            found.append(path)
    if problems:
        raise UsageError("\n".join(problems))
    # Each file once, in order; links are not resolved (``notebook.read`` refuses them).
    return list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))


def _names(paths):
    """A distinct file stem for each submission (feedback/NAME.md), stable: its file name's stem
    as text, and where two share one, a digest of each one's path after it, longer until none
    clash (so never another file's name, and never dependent on the order of the files)."""
    # At most 120 bytes: with a digest and a suffix, within any file system's 255.
    stems = [clean(decode_name(p.stem)).encode()[:120].decode(errors="ignore") for p in paths]
    names = stems
    for width in (8, 16, 64):
        counts = Counter(names)
        names = [
            n if counts[n] == 1 else f"{s}-{hashlib.sha256(os.fsencode(p)).hexdigest()[:width]}"
            for n, s, p in zip(names, stems, paths, strict=True)
        ]
    return names


# --- text from a submission, made safe for where it goes --------------------------------------
#
# A file name, a note, an error message or a value comes from code the student controls. Each is
# bounded and made valid text once, when it enters a result (``clean``); then escaped for where it
# is shown: a CSV cell, the terminal, Markdown. JSON needs nothing more than ``clean``.

# Control characters (line breaks aside), and the bidirectional overrides that reorder a line.
CONTROL = {c: f"\\x{c:02x}" for c in [*range(9), *range(11, 32), *range(127, 160)]}
CONTROL |= {c: f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def decode_name(name):
    """A file name as text: UTF-8, or else Latin-1 (as in a Windows zip: ``m\\xfcller.ipynb``)."""
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def clean(text, most=2000):
    """Any text from a submission, bounded to ``most`` characters, valid (a lone surrogate, as
    an exception's message can hold, becomes '?') and without control characters."""
    text = str(text)
    if len(text) > most:
        text = f"{text[:most]} [... {len(text) - most} more characters]"
    return text.encode("utf-8", "replace").decode("utf-8").translate(CONTROL)


def csv_cell(text):
    """A CSV cell a spreadsheet shows as text: a leading = + - @, tab or CR would be a formula."""
    text = str(text)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def terminal(text):
    """One line for the teaching assistant's terminal: no escape sequences, no line breaks."""
    return clean(text, 500).replace("\n", "\\n").replace("\t", " ")


def markdown(text, block=False):
    """``text`` shown as itself in Markdown: in a code span (one line) or a fenced block, fenced
    by more backticks than it holds in a row, so no link, image, heading or fence in it acts."""
    text = clean(text, 4000)
    fence = "`" * (1 + max(map(len, re.findall("`+", text)), default=0))
    if block:
        fence = fence if len(fence) >= 3 else "```"
        return f"{fence}\n{text}\n{fence}"
    return f"{fence} {' '.join(text.split())} {fence}"


# --- grading one submission ----------------------------------------------------------------------


def _request(nb, lecture, limits):
    """What enters the sandbox: the notebook, the limits, and each answer's inputs, no more.

    Each exercise's inputs are its visible cases followed by its hidden ones; which are hidden,
    and what any of them should give, stays here."""
    exercises = [
        {
            "id": e.id,
            "function": e.function,
            "cases": judge.encoded_cases(e, hidden=True),
            "time_limit": e.time_limit,
            "wall": _answer_wall(e, limits),
        }
        for e in lecture.exercises
    ]
    walls = [job["wall"] + 1 for job in exercises]
    plain = {**asdict(limits), "answers_wall": sum(walls)}
    return {"notebook": nb, "limits": plain, "exercises": exercises}, walls


def _answer_wall(exercise, limits):
    """Seconds one exercise may take: its cases' time limits, capped by --answer-timeout."""
    cases = len(exercise.cases) + len(exercise.hidden_cases)
    return min(limits.answer_timeout, exercise.time_limit * cases + 2)


def _verdict(exercise, reply, nb, notes):
    """Judge what came back from the sandbox for one exercise."""
    answers = reply.get("answers")
    got = answers.get(exercise.id) if isinstance(answers, dict) else None
    if not isinstance(got, dict) or not got.get("defined"):
        reason = f"no function named {exercise.function} was defined when the notebook ran"
        cell = notebook.defining_cell(nb, exercise.function)
        if not isinstance(answers, dict):
            why = str(reply.get("no_answers") or "the sandbox sent none back")[:300]
            reason = f"your answers could not be called: {why}"
        elif cell is not None:
            failed = [n for n in notes if n.startswith(f"cell {cell + 1} ")]
            reason += f" ({failed[0]})" if failed else ""
        return judge.missing(exercise, reason)
    outcomes = got.get("outcomes")
    if not isinstance(outcomes, list) or not all(map(_valid_outcome, outcomes)):
        return judge.missing(exercise, "what came back from your function makes no sense")
    fate = _fate(got.get("exit"), got.get("killed") is True, exercise)
    return judge.judge(exercise, outcomes, fate, hidden=True)


def _fate(code, killed, exercise):
    """Why the process calling an answer stopped before it finished, in words a learner can use."""
    if killed:
        return "it ran longer than the time limit"
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return "it was stopped at a limit (CPU time or memory)"
    if code == -signal.SIGXFSZ:
        return "it wrote a file larger than the limit"
    if type(code) is int and code < 0:
        return f"it crashed (signal {-code})"
    return f"the process ended by itself (exit code {code}; does your code call os._exit?)"


def _valid_outcome(outcome):
    """True when a case outcome has the form ``runner.call_case`` gives it."""
    if not isinstance(outcome, dict):
        return False
    error, result = outcome.get("error"), outcome.get("result")
    return (
        type(outcome.get("timeout")) is bool
        and (outcome["timeout"] or error is not None or result is not None)  # something happened
        and isinstance(outcome.get("mutated"), list)
        and all(isinstance(m, str) for m in outcome["mutated"])
        and (outcome.get("warning") is None or isinstance(outcome["warning"], str))
        and (error is None or _valid_error(error))
        and (result is None or values.valid(result))
    )


def _valid_error(error):
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str)
        and (error.get("where") is None or isinstance(error["where"], str))
    )


def _executed(reply, fallback):
    """The notebook that ran (as the sandbox sent it), if it is a notebook; else ``fallback``."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.from_dict(reply["notebook"])
            nbformat.validate(nb)
        return nb
    except Exception:
        return fallback


def grade_one(path, name, setup, running=None):
    """Grade one submission in a sandbox of its own; always returns a result dict."""
    started = time.monotonic()
    result = _failed(path, name, None)
    nb, problem = notebook.read(path)
    number = nb and (setup.lecture or notebook.lecture_of(nb, os.path.basename(path)))
    lecture = spec.lectures().get(number) if nb else None
    if nb is None:
        result["error"] = clean(problem)
    elif lecture is None:
        result["error"] = (
            "cannot tell which exercises this notebook holds (no lrcourse metadata, no check "
            "cells, no NN_ in its name); grade it with --lecture NN"
        )
    else:
        result["lecture"] = number
        for kind, ids in notebook.restore_checks(nb, lecture).items():
            result["notes"].append(
                f"check cells {kind}: {', '.join(ids)} (the pristine ones were used)"
            )
        result["flags"] = notebook.review_flags(nb, lecture)
        request, walls = _request(notebook.prepare(nb), lecture, setup.limits)
        view = setup.view(lecture)
        wall = sandbox.wall(setup.limits, walls)
        reply, problem = sandbox.run(request, setup.confinement, view, setup.limits, wall, running)
        if reply is None:
            result["error"] = problem
        else:
            notes = reply.get("notes") if isinstance(reply.get("notes"), list) else []
            notes = [clean(n, 300) for n in notes[:50]]
            result["notes"] += notes
            ran = _executed(reply, nb)
            verdicts = {e.id: _verdict(e, reply, ran, notes) for e in lecture.exercises}
            for qid, v in verdicts.items():
                points = spec.exercise(qid).points
                score = points if v.passed else 0
                result["exercises"][qid] = {
                    "status": v.status,
                    "score": score,
                    "points": points,
                    "message": clean(v.message, 4000),
                }
            notebook.show_verdicts(ran, {q: v.message for q, v in verdicts.items()})
            result["executed"] = ran
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _failed(path, name, error):
    """The result of a submission that was not graded, for ``error`` (a sentence)."""
    result = {"submission": clean(decode_name(str(path)), 1000), "name": name, "lecture": None}
    result.update(exercises={}, notes=[], flags=[], seconds=0)
    return result if error is None else {**result, "error": error}


class Setup:
    """What every submission of a batch shares: limits, isolation, and the sandbox's package."""

    def __init__(self, limits, isolation, lecture=None):
        self.limits, self.lecture = limits, lecture
        self.folder = tempfile.mkdtemp(prefix="lrcourse-views-")
        self.views, self.lock = {}, threading.Lock()
        self.confinement = sandbox.choose(isolation, self.view(None), limits)
        self.isolation = self.confinement.isolation

    def view(self, lecture):
        """The sandbox's package for ``lecture`` (None: nothing allowed), made once."""
        key = lecture.number if lecture else "none"
        with self.lock:
            if key not in self.views:
                allow = lecture.allow if lecture else ()
                self.views[key] = sandbox.package_view(os.path.join(self.folder, key), allow)
            return self.views[key]

    def close(self):
        shutil.rmtree(self.folder, ignore_errors=True)


# --- a batch that loses nothing ------------------------------------------------------------------


def grader_version():
    """A digest of the grader and everything it compares against (the package's code and data).

    A stored result counts as done only when it was made by the same version."""
    digest = hashlib.sha256()
    for path in sorted(sandbox.PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".npz", ".json"):
            digest.update(str(path.relative_to(sandbox.PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def job_key(path, version, limits, lecture, isolation):
    """What decides a result: the submission's bytes, the grader's version, limits, --lecture,
    and the isolation (a result graded without a sandbox is not one graded in it)."""
    data, problem = notebook.read_bytes(path)
    digest = hashlib.sha256(data if data is not None else problem.encode())
    digest.update(json.dumps([version, asdict(limits), lecture, isolation]).encode())
    return digest.hexdigest()


def _atomic_write(path, text):
    """Write ``text`` so that ``path`` holds either the old or the new content, never half."""
    folder = os.path.dirname(path) or "."
    # errors="replace": a lone surrogate in a student's output must not cost the whole file.
    kind = dict(mode="w", encoding="utf-8", errors="replace", suffix=".tmp")
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, **kind) as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


class Store:
    """OUT/results/NAME.json: one file per graded submission, written the moment it is graded."""

    def __init__(self, out):
        self.folder = os.path.join(out, "results")
        os.makedirs(self.folder, exist_ok=True)

    def load(self, name, key):
        """The stored result for ``name`` if it was made from the same key, else None."""
        try:
            with open(os.path.join(self.folder, f"{name}.json")) as f:
                stored = json.load(f)
        except (OSError, ValueError):
            return None
        return stored["result"] if stored.get("key") == key else None

    def save(self, name, key, result):
        text = json.dumps({"key": key, "result": result}, indent=1)
        _atomic_write(os.path.join(self.folder, f"{name}.json"), text)


class Progress:
    """'graded 37/200, 12 already done': one updating line on a terminal, else one per result."""

    def __init__(self, total, done_before, stream=sys.stderr):
        self.total, self.before, self.done, self.stream = total, done_before, done_before, stream
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        if done_before:  # a rerun: say why those are not graded again
            stream.write(
                f"{done_before} of {total} already graded by this version of the grader, with "
                "these limits: kept (--regrade grades them again)\n"
            )

    def update(self, result):
        with self.lock:
            self.done += 1
            score = "not graded" if result.get("error") else f"{_total(result)}/{_max(result)}"
            line = f"graded {self.done}/{self.total}, {self.before} already done"
            if self.tty:
                self.stream.write(f"\r{line}  {time.monotonic() - self.start:5.0f} s ")
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(f"{line}: {terminal(result['name'])}: {score}\n")
            self.stream.flush()


def grade_many(paths, out, setup, jobs=None, progress=None, regrade=False):
    """Grade every path (in parallel) into ``out``; results in the order of ``paths``.

    Each result is stored the moment it is ready and the reports are rewritten, so stopping the
    batch at any point (Ctrl-C, a kill, power loss) loses only the submissions in flight; the next
    run with the same arguments grades only what is missing (all of it with ``regrade``)."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    for folder in ("notebooks", "feedback"):
        os.makedirs(os.path.join(out, folder), exist_ok=True)
    store, version, names = Store(out), grader_version(), _names(paths)
    keys = [job_key(p, version, setup.limits, setup.lecture, setup.isolation) for p in paths]
    results = [None if regrade else store.load(n, k) for n, k in zip(names, keys, strict=True)]
    results = [r and _reportable(r, p, n) for r, p, n in zip(results, paths, names, strict=True)]
    todo = [i for i, r in enumerate(results) if r is None]
    progress = progress or Progress(len(paths), len(paths) - len(todo))
    running, lock = sandbox.Running(), threading.Lock()

    def task(i):
        try:
            result = grade_one(paths[i], names[i], setup, running)
        except Exception as exc:  # a grader bug costs this submission, reported, not the batch
            result = _failed(paths[i], names[i], f"internal grader error: {type(exc).__name__}")
        executed = result.pop("executed", None)
        with lock:
            saved = os.path.join(out, "notebooks", f"{names[i]}.ipynb")
            if executed is not None and (problem := _write_notebook(executed, saved)):
                result["notes"].append(problem)
            results[i] = result = _reportable(result, paths[i], names[i])
            try:
                store.save(names[i], keys[i], result)
                write_feedback([result], os.path.join(out, "feedback"))
            except OSError as exc:  # costs this row, not the batch's reports
                error = f"its results could not be written ({exc.strerror})"
                results[i] = result = _failed(paths[i], names[i], error)
            write_reports([r for r in results if r is not None], out, setup.limits)
        progress.update(result)

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        for future in [pool.submit(task, i) for i in todo]:
            future.result()
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        running.kill_all()  # the threads waiting on them return at once
        raise
    finally:
        pool.shutdown(wait=True)
    write_all(results, out, setup.limits)  # feedback too, for results kept from an earlier run
    return results


def _write_notebook(nb, path):
    """Save the executed notebook; a failure here costs the copy, never the grade."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _atomic_write(path, nbformat.writes(nbformat.from_dict(nb)))
    except Exception as exc:
        return f"the executed notebook could not be saved ({type(exc).__name__})"
    return None


def _reportable(result, path, name):
    """``result`` if every report can be made from it; else a row saying it could not, so that
    a failure while reporting one submission costs that row, never the batch's reports."""
    try:
        feedback(result)
        _row(result, _columns([result]))
        json.dumps(result, allow_nan=False).encode()
        return result
    except Exception as exc:
        return _failed(path, name, f"internal grader error while reporting ({type(exc).__name__})")


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
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["submission", *columns, "total", "note"])
    writer.writerows(_row(r, columns) for r in results)
    _atomic_write(path, text.getvalue())


def _row(result, columns):
    scores = [result["exercises"][q]["score"] if q in result["exercises"] else "" for q in columns]
    return [csv_cell(result["name"]), *scores, _total(result), csv_cell(_note(result))]


def write_json(results, path, limits):
    data = {
        "limits": asdict(limits),
        "exercises": {
            q: {"points": spec.exercise(q).points, "title": spec.exercise(q).title}
            for q in _columns(results)
        },
        "submissions": [{**r, "total": _total(r), "max": _max(r)} for r in results],
    }
    _atomic_write(path, json.dumps(data, indent=1))


def feedback(result):
    """The Markdown a student reads about one submission."""
    lines = [f"# Feedback on {markdown(Path(result['submission']).name)}", ""]
    if result.get("error"):
        lines += [
            f"This notebook could not be graded: {markdown(result['error'])}.",
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
            markdown(e["message"], block=True),
            "",
        ]
    if result["notes"]:
        lines += ["## Notes on running your notebook", ""]
        lines += [f"- {markdown(n)}" for n in result["notes"]]
        lines += [""]
    return "\n".join(lines)


def write_feedback(results, folder):
    os.makedirs(folder, exist_ok=True)
    for r in results:
        _atomic_write(os.path.join(folder, f"{r['name']}.md"), feedback(r))


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


def write_reports(results, out, limits):
    """grades.csv and grades.json, rewritten whole (atomically) from the results so far."""
    write_csv(results, os.path.join(out, "grades.csv"))
    write_json(results, os.path.join(out, "grades.json"), limits)


def write_all(results, out, limits):
    write_reports(results, out, limits)
    write_feedback(results, os.path.join(out, "feedback"))


# --- the command line ------------------------------------------------------------------------


def parser():
    p = argparse.ArgumentParser(
        prog="lrcourse-grade",
        description="Grade submitted lrcourse exercise notebooks: each in a sandbox of its own "
        "(bubblewrap: no network, no view of your files), under limits, several at once. Writes "
        "grades.csv, grades.json and one feedback file per submission as each is graded; run "
        "the same command again to finish an interrupted batch.",
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
    p.add_argument(
        "--isolation",
        choices=("auto", "bwrap", "none"),
        default="auto",
        help="auto (default) and bwrap: every submission in a bubblewrap sandbox, and refuse to "
        "grade if that is impossible; none: no sandbox, only inside a container that already "
        "isolates each run (Gradescope's autograder)",
    )
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, even those already graded by this grader version",
    )
    d = Limits()
    limits = [
        ("--timeout", float, d.timeout, "wall-clock seconds to run one notebook"),
        ("--cell-timeout", float, d.cell_timeout, "seconds for one cell"),
        ("--cpu", float, d.cpu, "CPU seconds for each process in the sandbox"),
        ("--memory-mb", int, d.memory_mb, "memory of each process, and (with a cgroup) in all"),
        ("--output-kb", int, d.output_kb, "cell output kept in the graded notebook"),
        ("--answer-timeout", float, d.answer_timeout, "seconds for one exercise's cases"),
        ("--processes", int, d.processes, "processes and threads in one sandbox"),
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
        processes=args.processes,
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
    try:
        setup = Setup(limits, args.isolation, args.lecture)
    except RuntimeError as err:
        print(f"lrcourse-grade: nothing graded.\n{err}", file=sys.stderr)
        return EXIT_UNPROTECTED
    print(f"lrcourse-grade: {setup.confinement.in_force(limits)}", file=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    try:
        results = grade_many(paths, args.out, setup, args.jobs, regrade=args.regrade)
    except KeyboardInterrupt:
        print(
            "\nlrcourse-grade: interrupted; what was graded is kept in --out, and running the "
            "same command again grades the rest.",
            file=sys.stderr,
        )
        return 128 + signal.SIGINT
    finally:
        signal.signal(signal.SIGTERM, previous)
        setup.close()
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
            print(f"  {terminal(r['submission'])}: {terminal(r['error'])}", file=sys.stderr)
        return EXIT_SOME_UNGRADED
    return EXIT_OK
