"""Grade one submission, in a process of its own: ``python -m lrcourse.grading.worker JOB.json``.

The batch grader starts one worker per submission. A worker

1. reads the notebook (size-capped) and finds its lecture;
2. puts the pristine check cells back and runs the notebook in a limited kernel (``kernel``), which
   gives the executed notebook and notes, not the score;
3. for each exercise, extracts the program that defines the learner's function from the submitted
   cells (``notebook.answer_program``), runs it in a fresh sandbox (``sandbox``) and judges the
   JSON that comes back (``judge``);
4. writes its result as JSON to the path the job names.

Every process it starts leads its own process group, and the worker appends each group id to
``pids`` in its work folder, so the batch grader can kill them all if the worker overruns.
"""

import json
import os
import re
import sys
import tempfile
import threading
import time
import warnings

from . import judge, notebook, sandbox, spec

MAX_NOTEBOOK_BYTES = 20_000_000
# For the kernel: one BLAS thread (the batch runs --jobs notebooks at once) and few malloc arenas,
# which keeps the kernel's address space near 300 MB, far below the memory limit.
KERNEL_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
    "PYTHONHASHSEED": "0",
}


def read_notebook(path):
    """(notebook dict, None) or (None, a sentence saying why it cannot be graded)."""
    try:
        size = os.path.getsize(path)
        if size > MAX_NOTEBOOK_BYTES:
            return None, f"the file is too large to be a notebook ({size // 2**20} MB)"
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        return None, f"the file cannot be read ({exc.strerror})"
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "the file is not a notebook (it is not UTF-8 text)"
    except ValueError as exc:
        return None, f"the file is not valid JSON ({exc}); was it saved completely?"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "the file is JSON but not a Jupyter notebook (it has no list of cells)"
    if nb.get("nbformat") != 4:
        return None, f"the notebook format {nb.get('nbformat')!r} is not supported (need 4)"
    if not isinstance(nb.get("metadata"), dict):
        nb["metadata"] = {}
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, "the notebook has a malformed cell"
        cell.setdefault("metadata", {})
        if not isinstance(cell["metadata"], dict):
            cell["metadata"] = {}
    return nb, None


def _prepare(nb):
    """The notebook as the kernel will run it: outputs cleared, the grader's kernelspec."""
    import nbformat

    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell["source"] = notebook.source(cell)
    nb["metadata"]["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb["nbformat_minor"] = max(int(nb.get("nbformat_minor") or 0), 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.from_dict(nb)


def _definition_problem(exercise, parsed, errors, run):
    """Why there is no function to call, as a sentence, or None."""
    defines = re.compile(rf"^\s*def\s+{exercise.function}\s*\(", re.M)
    for index, text, _ in parsed:
        if index in errors and defines.search(text):
            where = f"the cell defining {exercise.function} (cell {index + 1})"
            return f"{where} has a syntax error, {errors[index]}"
    if run is None or run.missing:
        reason = f"no function named {exercise.function} was found in the notebook"
        if errors:
            first = min(errors)
            reason += f" (cell {first + 1} has a syntax error, {errors[first]})"
        elif run and run.load_errors:
            e = run.load_errors[0]
            reason += f" (defining it failed: {e['type']}: {e['message']})"
        return reason
    return None


def grade_answers(nb, lecture, limits, workdir, on_start=None):
    """{exercise id: Verdict} for every exercise of ``lecture``, each run in its own sandbox."""
    parsed = notebook.parse_cells(nb)
    cells = {index: text for index, text, _ in parsed}
    errors = notebook.syntax_errors(parsed)
    programs = {e: notebook.answer_program(parsed, e.function) for e in lecture.exercises}
    found = {e: p for e, p in programs.items() if p}
    runs = sandbox.run_answers(cells, found, limits, on_start, workdir) if found else {}
    verdicts = {}
    for exercise in lecture.exercises:
        run = runs.get(exercise.id)
        problem = _definition_problem(exercise, parsed, errors, run)
        if problem:
            verdicts[exercise.id] = judge.missing(exercise, problem)
            continue
        try:
            verdicts[exercise.id] = judge.judge(exercise, run.outcomes, run.fate)
        except Exception as exc:  # what came back was valid JSON but made no sense
            verdicts[exercise.id] = judge.missing(
                exercise, f"the grader could not judge what came back ({type(exc).__name__})"
            )
    return verdicts


class _Background(threading.Thread):
    """fn(*args) in a thread; ``result()`` waits for it and re-raises what it raised."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args, self.value, self.error = fn, args, None, None
        self.start()

    def run(self):
        try:
            self.value = self.fn(*self.args)
        except BaseException as exc:
            self.error = exc

    def result(self):
        self.join()
        if self.error is not None:
            raise self.error
        return self.value


# Text that, outside the check cells, deserves a human look (a lecture adds its own: REVIEW).
REVIEW = {
    "def __eq__": "defines __eq__",
    "def __float__": "defines __float__",
    "def __array__": "defines __array__",
    "sys.modules": "touches sys.modules",
    "builtins": "touches builtins",
    "os._exit": "calls os._exit",
    "lrcourse.grading": "imports the grader",
}


def review_flags(nb, lecture):
    """Things in a submission a human should look at; they change no score."""
    patterns = {**REVIEW, **lecture.review}
    text = "\n".join(
        notebook.source(c) for c in nb["cells"] if notebook.CHECK not in notebook.tags(c)
    )
    return sorted({flag for pattern, flag in patterns.items() if pattern in text})


def grade(path, limits, lecture_number=None, executed_path=None, on_start=None, pid_file=None):
    """The result dict for one submission (see ``batch`` for how it is written out)."""
    result = {"submission": str(path), "lecture": None, "exercises": {}, "notes": [], "flags": []}
    nb, problem = read_notebook(path)
    if nb is None:
        result["error"] = problem
        return result
    number = lecture_number or notebook.lecture_of(nb, os.path.basename(path))
    lecture = spec.lectures().get(number)
    if lecture is None:
        result["error"] = (
            "cannot tell which exercises this notebook holds (no lrcourse metadata, no check "
            "cells, no NN_ in its name); grade it with --lecture NN"
        )
        return result
    result["lecture"] = number
    changes = notebook.restore_checks(nb, lecture)
    for kind, ids in changes.items():
        result["notes"].append(
            f"check cells {kind}: {', '.join(ids)} (the pristine ones were used)"
        )
    result["flags"] = review_flags(nb, lecture)
    with tempfile.TemporaryDirectory(prefix="lrcourse-grade-") as workdir:
        executable = _prepare(nb)
        # The score does not depend on the notebook run, so the sandbox works meanwhile.
        answers = _Background(grade_answers, nb, lecture, limits, workdir, on_start)
        if limits.timeout > 0:
            from . import kernel  # imported here: jupyter's machinery is only needed for this

            # This process exists for this one submission, so its environment is the kernel's.
            os.environ.update(KERNEL_ENV)
            os.environ["PYTHONPATH"] = os.pathsep.join(  # lrcourse, even when not pip-installed
                filter(None, [sandbox.ROOT, os.environ.get("PYTHONPATH")])
            )
            notes = kernel.run_notebook(executable, workdir, limits, on_start, pid_file)
            result["notes"] += notes
            if executed_path and (problem := _write_notebook(executable, executed_path)):
                result["notes"].append(problem)
        verdicts = answers.result()
    for qid, v in verdicts.items():
        points = spec.exercise(qid).points
        result["exercises"][qid] = {
            "status": v.status,
            "score": points if v.passed else 0,
            "points": points,
            "message": v.message,
        }
    return result


def _write_notebook(nb, path):
    """Save the executed notebook; a failure here costs the copy, never the grade."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.write(nb, path)
    except Exception as exc:
        return f"the executed notebook could not be saved ({type(exc).__name__})"
    return None


def _watch_parent(groups):
    """If the batch grader dies (killed, Ctrl-C), kill what we started and exit at once."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        for pid in groups:
            sandbox.kill_group(pid)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None):
    """Entry point of the worker process: read the job, grade, write the result."""
    argv = sys.argv[1:] if argv is None else argv
    # nbformat's schema checker imports the optional rfc3987_syntax, which builds a grammar at
    # import (1.5 s, a third of a submission's time); none of our notebooks use the "iri" format
    # it checks, so treat it as absent.
    sys.modules.setdefault("rfc3987_syntax", None)
    with open(argv[0]) as f:
        job = json.load(f)
    pids = os.path.join(os.path.dirname(argv[0]), "pids")
    started = []

    def on_start(pid):
        started.append(pid)
        with open(pids, "a") as f:
            f.write(f"{pid}\n")

    _watch_parent(started)

    limits = sandbox.Limits(**job["limits"])
    try:
        result = grade(job["path"], limits, job.get("lecture"), job.get("executed"), on_start, pids)
    except Exception as exc:  # a grader bug costs this submission, reported, not the batch
        result = {"submission": job["path"], "error": f"internal grader error: {exc!r}"}
    with open(job["result"], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
