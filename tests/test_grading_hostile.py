"""The batch grader against hostile and broken submissions, all graded in ONE batch call.

Each case (tests/grading_cases/make_cases.py) is a real notebook. Every one must get a clear
per-exercise message; none may crash or stall the batch; none may score a point it did not earn;
none may harm the grader, the teaching assistant or another student: the attacks aim at the
grader's process, the installed package, the network (a server of the test's on 127.0.0.1), a
neighbour's submission and a file in the TA's home, and try to outlive the batch. Small limits
keep this to about half a minute on two cores. Grading runs isolated (bubblewrap), as by default.
"""

import csv
import hashlib
import importlib.util
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from lrcourse.grading import batch, spec

ROOT = Path(__file__).resolve().parents[1]
LIMITS = ["--timeout", "20", "--cell-timeout", "3", "--answer-timeout", "3"]
LIMITS += ["--memory-mb", "1024", "--cpu", "20", "--output-kb", "64", "--jobs", "2"]

GD, PATH, LR, KAPPA = "01.gd_step", "01.gradient_descent", "01.max_stable_lr", "01.condition_number"
P, F, E, T, C, N, M = "passed", "failed", "error", "timeout", "crashed", "not attempted", "missing"
ALL = (GD, PATH, LR, KAPPA)  # the four the cases aim at; lecture 01 may have more
IDS = [e.id for e in spec.lectures()["01"].exercises]
MAX = sum(e.points for e in spec.lectures()["01"].exercises)

EXPECTED = {
    "solved": dict.fromkeys(ALL, P),
    "unsolved": dict.fromkeys(ALL, N),
    "exceptions": {GD: E, PATH: E, LR: P, KAPPA: P},
    "infinite_loop": {GD: T, PATH: C, LR: P, KAPPA: P},
    "exits": {GD: E, PATH: C, LR: P, KAPPA: P},
    "kills_its_kernel": dict.fromkeys(ALL, M),
    "memory_bomb": {GD: (E, T, C), PATH: P, LR: P, KAPPA: P},
    "print_flood": dict.fromkeys(ALL, P),  # prints cost nothing; the answers are right
    "monkeypatch": dict.fromkeys(ALL, F),
    "lying_objects": dict.fromkeys(ALL, F),
    "nan_and_types": {GD: F, PATH: P, LR: F, KAPPA: F},
    "mutates_inputs": {GD: F, PATH: F, LR: P, KAPPA: P},
    "check_cells_tampered": {GD: P, PATH: F, LR: P, KAPPA: P},
    "syntax_error": {GD: M, PATH: M, LR: P, KAPPA: P},
    # The attacks: each answer is right only if its attack works.
    "tamper_with_the_grader": dict.fromkeys(ALL, P),
    "reach_the_network": {GD: F, PATH: P, LR: P, KAPPA: P},
    "read_other_files": {GD: F, PATH: P, LR: P, KAPPA: P},
    "leave_a_process_running": dict.fromkeys(ALL, P),
    "reference_in_disguise": {GD: E, PATH: P, LR: P, KAPPA: P},
    "hard_coded_answers": dict.fromkeys(ALL, F),
}

MESSAGES = {
    ("exceptions", GD): "line 2 of gd_step: scale = lr / 0",
    ("exceptions", PATH): "NameError: name 'undefined_name' is not defined",
    ("infinite_loop", GD): "took longer than 2 s",
    ("infinite_loop", PATH): "ran longer than the time limit",
    ("exits", GD): "your code called sys.exit(1)",
    ("exits", PATH): "os._exit",
    ("lying_objects", GD): "got an object of type __main__.Liar",
    ("lying_objects", PATH): "got an object of type __main__.LyingArray",
    ("lying_objects", LR): "got an object of type __main__.LyingFloat",
    ("lying_objects", KAPPA): "holding something else than numbers",
    ("monkeypatch", GD): "expected 0.95 at index (0,), got 0.0",
    ("nan_and_types", GD): "got nan at index (0,)",
    ("nan_and_types", LR): "got a bool (True)",
    ("nan_and_types", KAPPA): "got an array of shape (1,)",
    ("mutates_inputs", GD): "changed its input params in place",
    ("mutates_inputs", PATH): "changed its input x0 in place",
    ("check_cells_tampered", PATH): "climb the bowl",  # its wrong sign, despite its fake check
    ("syntax_error", GD): "raised SyntaxError: expected ':'",
    ("kills_its_kernel", KAPPA): "could not be called: the kernel died in cell",
    ("reference_in_disguise", GD): "ModuleNotFoundError: No module named 'lrcourse.optimizers'",
    ("hard_coded_answers", GD): "failed a hidden case",
    ("hard_coded_answers", PATH): "failed a hidden case",
    ("hard_coded_answers", LR): "failed a hidden case",
    ("hard_coded_answers", KAPPA): "failed a hidden case",
    ("syntax_error", PATH): "no function named gradient_descent",
    ("unsolved", KAPPA): "not attempted yet",
}


def _make_cases():
    path = ROOT / "tests" / "grading_cases" / "make_cases.py"
    module_spec = importlib.util.spec_from_file_location("make_cases", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class Listener:
    """A TCP server on the grader's loopback that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.accepted = self.sock.getsockname()[1], 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


def _package_digest():
    root = ROOT / "lrcourse"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, bwrap):
    tmp = tmp_path_factory.mktemp("hostile")
    cases, listener, before = _make_cases(), Listener(), _package_digest()
    home_secret = Path.home() / f".lrcourse-test-secret-{uuid.uuid4().hex}"
    home_secret.write_text("the TA's own file")
    submissions, out = tmp / "submissions", tmp / "out"
    cases.TARGETS.update(
        port=listener.port,
        secrets=[str(submissions / "solved.ipynb"), str(home_secret)],
        folders=[str(submissions), str(out), str(ROOT / "lrcourse")],
        marker=f"lrcourse-hostile-{uuid.uuid4().hex}",
    )
    try:
        cases.write_all(submissions)
        work = tmp / "work"  # every temporary folder of the batch and its sandboxes is in here
        work.mkdir()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TMPDIR", str(work))
            started = time.monotonic()
            code = batch.main([str(submissions), "--out", str(out), *LIMITS])
            seconds = time.monotonic() - started
    finally:
        home_secret.unlink()
        listener.sock.close()
    data = json.loads((out / "grades.json").read_text())
    results = {s["name"]: s for s in data["submissions"]}
    return SimpleNamespace(
        code=code, results=results, out=out, work=work, seconds=seconds, tmp=tmp,
        listener=listener, marker=cases.TARGETS["marker"], digest=(before, _package_digest()),
    )  # fmt: skip


@pytest.mark.parametrize("name", EXPECTED)
def test_every_exercise_gets_exactly_the_grade_it_earned(graded, name):
    result = graded.results[name]
    assert "error" not in result
    for qid, want in EXPECTED[name].items():
        got = result["exercises"][qid]
        allowed = want if isinstance(want, tuple) else (want,)
        assert got["status"] in allowed, f"{name} {qid}: {got['message']}"
        assert got["score"] == (got["points"] if got["status"] == P else 0)
    assert result["total"] == sum(e["score"] for e in result["exercises"].values())


@pytest.mark.parametrize("name, qid", MESSAGES)
def test_every_message_says_what_went_wrong(graded, name, qid):
    message = " ".join(graded.results[name]["exercises"][qid]["message"].split())
    assert MESSAGES[name, qid] in message


def test_broken_files_are_reported_and_the_exit_status_says_so(graded):
    assert graded.code == batch.EXIT_SOME_UNGRADED
    assert "not valid JSON" in graded.results["invalid_json"]["error"]
    assert "not a Jupyter notebook" in graded.results["not_a_notebook"]["error"]
    feedback = (graded.out / "feedback" / "invalid_json.md").read_text()
    assert "could not be graded" in feedback and "submit it again" in feedback


def test_the_notes_tell_what_happened_when_the_notebook_ran(graded):
    notes = {name: " ".join(r["notes"]) for name, r in graded.results.items()}
    assert "check cells edited: 01.gradient_descent" in notes["check_cells_tampered"]
    assert "check cells deleted: 01.gd_step, 01.condition_number" in notes["check_cells_tampered"]
    assert "check cells duplicated" in notes["check_cells_tampered"]
    assert "printed more than 64 KB" in notes["print_flood"]
    assert "the kernel died" in notes["kills_its_kernel"]
    assert "MemoryError" in notes["memory_bomb"]
    assert "ran longer than 3 s" in notes["infinite_loop"]
    assert graded.results["monkeypatch"]["flags"] == ["imports the grader"]
    assert "defines __eq__" in graded.results["lying_objects"]["flags"]


def test_results_are_written_for_a_teaching_assistant(graded):
    with open(graded.out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["submission", *IDS, "total", "note"]
    assert len(rows) == len(EXPECTED) + 3  # and two broken files, and the grader's killer
    solved = next(r for r in rows if r["submission"] == "solved")
    assert all(solved[q] == str(spec.exercise(q).points) for q in IDS)
    assert solved["total"] == str(MAX)
    for name in EXPECTED:
        feedback = (graded.out / "feedback" / f"{name}.md").read_text()
        assert f"Score: {graded.results[name]['total']} / {MAX}" in feedback
        assert (graded.out / "notebooks" / f"{name}.ipynb").exists()


def test_the_executed_notebook_shows_the_pristine_checks_feedback(graded):
    nb = json.loads((graded.out / "notebooks" / "check_cells_tampered.ipynb").read_text())
    outputs = ["".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])]
    assert any(o.startswith("01.gradient_descent: failed case 1 of 6") for o in outputs)
    assert not any("01.gradient_descent: passed" in o for o in outputs)


def test_nothing_a_submission_writes_reaches_the_results(graded):
    # monkeypatch.ipynb wrote a fake grades.csv into its own working folder, never into --out.
    assert (graded.out / "grades.csv").read_text().startswith("submission,01.gd_step")


def test_the_batch_stays_bounded_and_leaves_no_process_behind(graded):
    assert graded.seconds < 150
    assert all(r["seconds"] < 60 for r in graded.results.values())
    leftovers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if str(graded.work) in cmdline or cwd.startswith(str(graded.work)):
            leftovers.append(cmdline.replace("\0", " "))
    assert leftovers == []


def test_gradescope_results_can_be_written(graded, tmp_path):
    batch.write_gradescope(graded.results["check_cells_tampered"], tmp_path / "results.json")
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["score"] == MAX - 1 and len(data["tests"]) == len(IDS)  # its wrong sign
    assert {t["max_score"] for t in data["tests"]} == {1}


def test_gradescope_flag_writes_results_json(tmp_path, bwrap):
    # What Gradescope's run_autograder script would call, on one solved submission.
    solved = Path(__file__).resolve().parents[1] / "solutions" / "01_gradient_descent.ipynb"
    results = tmp_path / "results.json"
    status = batch.main([str(solved), "--out", str(tmp_path / "out"), "--gradescope", str(results)])
    assert status == batch.EXIT_OK
    data = json.loads(results.read_text())
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    assert all(t["score"] == t["max_score"] for t in data["tests"])


def test_gradescope_flag_needs_exactly_one_submission(tmp_path, capsys):
    solved = Path(__file__).resolve().parents[1] / "solutions"
    two = [str(solved / "01_gradient_descent.ipynb"), str(solved / "02_constant_lr.ipynb")]
    argv = [*two, "--out", str(tmp_path), "--gradescope", "r.json"]
    assert batch.main(argv) == batch.EXIT_USAGE
    assert "one submission at a time" in capsys.readouterr().err


# --- the command line, before anything is graded ------------------------------------------------


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: [], "no submissions given"),
        (lambda d: [str(d / "missing.ipynb")], "no such file"),
        (lambda d: [str(d)], "no .ipynb files"),
        (lambda d: [str(d / "notes.txt")], "not a notebook"),
    ],
)
def test_command_line_mistakes_stop_before_grading(tmp_path, capsys, make, words):
    (tmp_path / "notes.txt").write_text("hi")
    code = batch.main([*make(tmp_path), "--out", str(tmp_path / "out")])
    assert code == batch.EXIT_USAGE
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_folder_stands_for_the_notebooks_directly_inside(tmp_path):
    for name in ("b.ipynb", "a.ipynb", "skip.txt"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.ipynb").write_text("{}")
    assert [p.name for p in batch.expand([str(tmp_path)])] == ["a.ipynb", "b.ipynb"]


# --- the attacks ----------------------------------------------------------------------------------


def test_a_notebook_that_kills_every_process_it_sees_costs_only_itself(graded):
    # Its own PID namespace: it found the process running it, and nothing of the grader.
    killer = graded.results["kill_grader"]
    assert "error" in killer and killer["total"] == 0
    assert "could not be graded" in (graded.out / "feedback" / "kill_grader.md").read_text()


def test_nothing_can_rewrite_the_installed_grader(graded):
    before, after = graded.digest
    assert before == after
    assert not any("tampered" in p.read_text() for p in (ROOT / "lrcourse").rglob("*.py"))
    notes = " ".join(graded.results["tamper_with_the_grader"]["notes"])
    assert "Error" not in notes  # its writes failed quietly, in its own output


def test_student_code_has_no_network(graded):
    assert graded.listener.accepted == 0


def test_student_code_cannot_read_or_write_the_tas_files(graded):
    planted = [Path(f) / "planted.txt" for f in (graded.tmp / "submissions", graded.out)]
    assert not any(p.exists() for p in planted)
    assert not (ROOT / "lrcourse" / "planted.txt").exists()


def test_no_process_outlives_the_batch(graded):
    lingering = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if graded.marker in cmdline:
            lingering.append(pid)
    assert lingering == []
