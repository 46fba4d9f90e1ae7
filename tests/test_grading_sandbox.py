"""The grader's sandbox: what a submission's code can see and do, and what one answer can cost.

Every notebook here runs as a batch would run it (``batch.grade_one``), in bubblewrap. Without
bubblewrap these tests are skipped, except under CI=true, where they fail: CI installs it.
"""

import json
import os
from pathlib import Path
from textwrap import dedent

import pytest

from lrcourse.grading import batch, sandbox, spec

ROOT = Path(__file__).resolve().parents[1]
LECTURE = spec.lectures()["01"]
RIGHT = {
    "gd_step": "def gd_step(params, grads, lr):\n    return params - lr * grads",
    "gradient_descent": dedent(
        """
        def gradient_descent(hessian, x0, lr, steps):
            path = [x0]
            for _ in range(steps):
                path.append(path[-1] - lr * hessian @ path[-1])
            return np.array(path)
        """
    ),
    "max_stable_lr": "def max_stable_lr(hessian):\n    return 2 / np.linalg.eigvalsh(hessian)[-1]",
    "condition_number": "def condition_number(hessian):\n    return np.linalg.cond(hessian)",
}


@pytest.fixture(scope="module")
def setup(bwrap):
    limits = sandbox.Limits(timeout=30, cell_timeout=5, answer_timeout=3, memory_mb=1024)
    made = batch.Setup(limits, "bwrap")  # a bubblewrap that cannot start a sandbox fails here
    yield made
    made.close()


def notebook(*sources):
    cells = [{"cell_type": "code", "source": dedent(s), "metadata": {}, "outputs": []}
             for s in sources]  # fmt: skip
    return {"cells": cells, "metadata": {"lrcourse": {"lecture": "01"}}, "nbformat": 4,
            "nbformat_minor": 5}  # fmt: skip


def run(setup, tmp_path, *sources):
    """Grade a lecture-01 notebook made of ``sources``; (result, the executed notebook)."""
    path = tmp_path / "submission.ipynb"
    path.write_text(json.dumps(notebook(*sources)))
    result = batch.grade_one(path, "submission", setup)
    return result, result.pop("executed", None)


def printed(executed, index):
    return "".join(o.get("text", "") for o in executed["cells"][index]["outputs"])


def grade(setup, tmp_path, **answers):
    """Lecture 01 with the given functions in place of the right ones: {function: status}."""
    sources = ["import numpy as np\nimport os, signal, sys"]
    sources += [answers.get(name, source) for name, source in RIGHT.items()]
    result, _ = run(setup, tmp_path, *sources)
    verdicts = {qid.partition(".")[2]: e for qid, e in result["exercises"].items()}
    return {name: verdicts[name] for name in RIGHT}  # lecture 01 may have more exercises


def test_right_answers_pass_with_their_hidden_cases(setup, tmp_path):
    verdicts = grade(setup, tmp_path)
    assert all(v["status"] == "passed" for v in verdicts.values())
    assert "hidden cases" in verdicts["gd_step"]["message"]


def test_the_sandbox_sees_no_network_no_files_and_no_processes_of_the_machine(setup, tmp_path):
    facts = """
    import json, os, socket
    facts = {"uid": os.getuid(), "root": sorted(os.listdir("/")), "pids": len(
        [p for p in os.listdir("/proc") if p.isdigit()]), "home": os.path.expanduser("~")}
    try:
        socket.getaddrinfo("pypi.org", 443)
        facts["dns"] = True
    except OSError:
        facts["dns"] = False
    facts["interfaces"] = [name for _, name in socket.if_nameindex()]
    facts["checkout"] = os.path.exists(CHECKOUT)
    print(json.dumps(facts))
    """
    facts = f"CHECKOUT = {str(ROOT / 'README.md')!r}\n" + dedent(facts)
    result, executed = run(setup, tmp_path, facts)
    seen = json.loads(printed(executed, 0))
    assert seen["dns"] is False and seen["interfaces"] == ["lo"]
    assert seen["checkout"] is False  # the repository is not there, only the package's copy
    assert seen["pids"] <= 6  # bwrap's init, the runner, the kernel and its helpers: no more
    assert seen["home"] == "/grading/home"
    # The system's folders, the sandbox's own mounts, and the top folder of each path bound in
    # (the Python installation, the package): wherever CI happens to check the repository out.
    bound = [*sandbox._python_dirs(), sandbox.PACKAGE]
    expected = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "etc", "proc", "dev", "tmp"}
    expected |= {"grading"} | {path.parts[1] for path in bound}
    assert set(seen["root"]) <= expected
    if os.getuid() == 0:
        assert seen["uid"] >= 0x70000000  # a uid of its own: no capabilities, no files, no one else


def test_only_the_stripped_package_exists_in_the_sandbox(setup, tmp_path):
    probe = """
    import importlib
    for name in ("lrcourse.check", "lrcourse.schedules", "lrcourse.optimizers",
                 "lrcourse.grading.spec", "lrcourse.grading.ex01", "lrcourse.grading.inside"):
        try:
            importlib.import_module(name)
            print(name, "found")
        except ImportError:
            print(name, "missing")
    """
    _, executed = run(setup, tmp_path, probe)
    found = dict(line.split() for line in printed(executed, 0).splitlines())
    assert found == {
        "lrcourse.check": "found",
        "lrcourse.schedules": "missing",
        "lrcourse.optimizers": "missing",
        "lrcourse.grading.spec": "missing",
        "lrcourse.grading.ex01": "missing",
        "lrcourse.grading.inside": "found",
    }


def test_a_lecture_that_allows_a_module_gets_that_module_only(tmp_path):
    lecture = spec.lectures()["12"]
    assert "problems" in lecture.allow and "range_test" not in lecture.allow
    view = sandbox.package_view(tmp_path, lecture.allow)
    names = sorted(p.name for p in view.iterdir() if p.name != "__pycache__")
    assert names == sorted(["__init__.py", "check.py", "grading", "data", "_validate.py",
                            "optimizers.py", "problems.py", "train.py"])  # fmt: skip
    assert sorted(p.name for p in (view / "grading").glob("*.py")) == [
        "__init__.py", "inside.py", "runner.py", "values.py"]  # fmt: skip


def test_a_monkeypatch_in_one_answer_does_not_reach_the_next(setup, tmp_path):
    verdicts = grade(
        setup,
        tmp_path,
        max_stable_lr="""
        def max_stable_lr(hessian):
            np.linalg.eigvalsh = lambda h: [0.0, 1.0]   # breaks numpy for everyone after?
            np.linalg.cond = lambda h: 10.0
            return 0.0
        """,
    )
    assert verdicts["max_stable_lr"]["status"] == "failed"
    assert verdicts["condition_number"]["status"] == "passed"  # it ran in a fresh fork


def test_globals_computed_by_the_notebook_are_there_when_answers_are_called(setup, tmp_path):
    # Run once: an answer may use what an earlier cell computed, as in "Restart and Run All".
    computed = "SCALE = 1.0\nfor _ in range(3):\n    SCALE *= 1.0"
    uses = "def gd_step(params, grads, lr):\n    return params - SCALE * lr * grads"
    verdicts = grade(setup, tmp_path, gradient_descent=RIGHT["gradient_descent"] + "\n" + computed,
                     gd_step=uses)  # fmt: skip
    assert verdicts["gd_step"]["status"] == "passed"


@pytest.mark.parametrize(
    "source, status, words",
    [
        ("def gd_step(p, g, lr):\n    os._exit(0)", "crashed", "ended by itself"),
        ("def gd_step(p, g, lr):\n    os.kill(os.getpid(), 9)", "crashed", "stopped at a limit"),
        ("def gd_step(p, g, lr):\n    sys.exit(2)", "error", "sys.exit(2)"),
        ("def gd_step(p, g, lr):\n    return [0.95, -2.05, 0]", "failed", "a list of shape (3,)"),
        ("def gd_step(p, g, lr):\n    return helper(p)", "error", "NameError"),
        # Far larger than any right answer: described by its shape, never sent whole.
        ("def gd_step(p, g, lr):\n    return np.zeros(500_000)", "failed", "shape (500000,)"),
        (
            "def gd_step(p, g, lr):\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "    while True:\n        pass",
            "crashed",
            "longer than the time limit",
        ),
    ],
)
def test_each_way_of_failing_is_named_and_costs_only_its_exercise(
    setup, tmp_path, source, status, words
):
    verdicts = grade(setup, tmp_path, gd_step=source)
    assert verdicts["gd_step"]["status"] == status and words in verdicts["gd_step"]["message"]
    assert all(v["status"] == "passed" for name, v in verdicts.items() if name != "gd_step")


def test_without_bubblewrap_the_grader_refuses_and_says_why(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    solved = ROOT / "solutions" / "01_gradient_descent.ipynb"
    code = batch.main([str(solved), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == batch.EXIT_UNPROTECTED
    assert "refusing to grade: bubblewrap (bwrap) is not installed" in err
    assert "apt-get install bubblewrap" in err and "--isolation none" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_isolation_none_gives_the_same_grades_without_a_sandbox(setup, tmp_path):
    # For a container that already isolates each run, such as Gradescope's.
    solved = ROOT / "solutions" / "01_gradient_descent.ipynb"
    grades = {}
    for isolation in ("none", "bwrap"):
        out = tmp_path / isolation
        assert batch.main([str(solved), "--out", str(out), "--isolation", isolation]) == 0
        grades[isolation] = (out / "grades.csv").read_text()
    assert grades["none"] == grades["bwrap"]
    assert grades["none"].splitlines()[1].split(",")[1:3] == ["1", "1"]


def test_the_trial_run_reports_a_sandbox_that_cannot_start(tmp_path, monkeypatch):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    with pytest.raises(RuntimeError, match="No permissions to create new namespace"):
        sandbox.choose("auto", tmp_path)


@pytest.mark.parametrize(
    "answers",
    [
        None,
        "passed",
        {"01.gd_step": {"defined": True, "outcomes": "passed"}},
        {"01.gd_step": {"defined": True, "outcomes": [{"timeout": False, "mutated": []}]}},
        {"01.gd_step": {"defined": True, "outcomes": [{"timeout": "no", "mutated": []}]}},
        {"01.gd_step": {"defined": True, "outcomes": [{"result": {"kind": "array"}}]}},
    ],
)
def test_a_forged_reply_earns_nothing_and_breaks_nothing(answers):
    # What comes back from a sandbox was written by code the student controls.
    exercise = spec.exercise("01.gd_step")
    verdict = batch._verdict(exercise, {"answers": answers}, {"cells": []}, [])
    assert verdict.status == "missing" and not verdict.passed
