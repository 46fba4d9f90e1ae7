"""The grader against a hostile class, round 2: what a teaching assistant's machine exposes.

One batch of honest students, and one attacker per attack class of issue 20, graded twice: by root
(as in CI and in containers) and by an unprivileged user (as most teaching assistants run it),
with secrets in the grader's environment. Each test asserts the exact outcome: the run completes,
every honest grade is exact, the attacker gains nothing, and no secret reaches OUT.

Run as root, the tests make the user (``useradd``) and, when this venv's interpreter is out of its
reach (pyenv in root's home), a venv it can run: the system's Python of the same version, seeing
this venv's packages. Run as a normal user, the root half is skipped, saying so.
"""

import csv
import importlib.util
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from lrcourse.grading import batch, notebook, sandbox, spec

ROOT = Path(__file__).resolve().parents[1]
USER = "lrcourse-ta"
SECRETS = {
    "LRCOURSE_TA_TOKEN": f"tok-{uuid.uuid4().hex}",
    "AWS_SECRET_ACCESS_KEY": uuid.uuid4().hex,
}
PROCESSES = 64
LIMITS = ["--timeout", "20", "--cell-timeout", "3", "--answer-timeout", "3", "--cpu", "20"]
LIMITS += ["--memory-mb", "1024", "--output-kb", "64", "--processes", str(PROCESSES), "--jobs", "3"]
GD = "01.gd_step"
MAX = sum(e.points for e in spec.lectures()["01"].exercises)
WRONG = MAX - spec.exercise(GD).points  # one answer wrong: gd_step
# The grader in-process, saying at the end the most memory it held (the reply attack aims at it).
# VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec into ru_maxrss, so
# under a full test run it reported pytest's own 1.1 GB; VmHWM counts this process's memory alone.
GRADER = (
    "import re, sys; from lrcourse.grading.batch import main; code = main(sys.argv[1:]); "
    "hwm = re.search(r'VmHWM:\\s*(\\d+) kB', open('/proc/self/status').read()).group(1); "
    "print('maxrss_kb', hwm, file=sys.stderr); sys.exit(code)"
)


def _cases():
    path = ROOT / "tests" / "grading_cases" / "make_cases.py"
    module_spec = importlib.util.spec_from_file_location("make_cases", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _submissions(folder):
    """Write the class into ``folder``: {relative path: expected total, or None: not graded}."""
    c = _cases()

    def wrong():
        nb = c.base()
        c.answer(nb, GD, "def gd_step(params, grads, lr):\n    return params + lr * grads")
        return nb

    def attack(source, answer=None):
        nb = c.base()
        if source:
            c.add(nb, source)
        if answer:
            c.answer(nb, GD, answer)
        return nb

    class_ = {
        "solved": (c.base(), MAX),
        "partial": (wrong(), WRONG),
        # Same stem in two folders, and a real file named as the old scheme named the second.
        "a/alice": (c.base(), MAX),
        "b/alice": (wrong(), WRONG),
        "alice-2": (c.base(c.EXERCISE), 0),
        # Names a spreadsheet would run, and one that would rewrite the TA's terminal.
        "=1+2": (wrong(), WRONG),
        "+cmd": (c.base(), MAX),
        "@SUM(1)": (c.base(c.EXERCISE), 0),
        "\x1b]0;owned\x07\x1b[2J": (c.base(), MAX),
        # 1. The TA's environment, wherever a process can read one.
        "env_thief": (attack(ENV_THIEF, STEAL), WRONG),
        # 2. Processes until none can be made: the others must not notice.
        "fork_bomb": (attack(FORK_BOMB), MAX),
        # 3, 8. Text that breaks encoders, and forges lines of the feedback.
        "markdown_injection": (attack("", INJECTION), WRONG),
        "long_message": (attack(LONG_MESSAGE), 0),
        # 5. A reply that is small on the wire and huge once parsed.
        "forged_reply": (attack(FORGED_REPLY), None),
        # 6. Output through display updates, which bypassed the cap.
        "display_flood": (attack(DISPLAY_FLOOD), MAX),
        # 9. A FIFO where the sandbox reads its request: must not hold the sandbox.
        "fifo": (attack(FIFO), 0),
    }
    import nbformat

    expected = {}
    for name, (nb, total) in class_.items():
        path = folder / f"{name}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nbformat.write(nb, path)
        expected[name] = total
    # 3. A name from a Windows zip (Latin-1 bytes), and 7. a link to a solution notebook.
    (folder / "linked.ipynb").symlink_to(ROOT / "solutions" / "01_gradient_descent.ipynb")
    expected["linked"] = None
    latin = os.fsdecode(b"m\xfcller")
    shutil.copy(folder / "solved.ipynb", folder / f"{latin}.ipynb")
    expected[latin] = MAX
    return expected


ENV_THIEF = """
import glob, os
loot = dict(os.environ)
for path in glob.glob("/proc/*/environ"):
    try:
        loot[path] = open(path, "rb").read().decode(errors="replace")
    except OSError as exc:
        loot[path] = repr(exc)
LOOT = repr(loot)
print(LOOT)
"""
STEAL = "def gd_step(params, grads, lr):\n    raise ValueError(LOOT)"
FORK_BOMB = f"""
import os, signal, time
children = []
for _ in range({4 * PROCESSES}):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children.append(pid)
time.sleep(0.5)  # held at the limit while the others run; then let go, so that this kernel
for pid in children:  # can make the threads it needs to report the count
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print("spawned", len(children))
"""
INJECTION = r"""
def gd_step(params, grads, lr):
    raise ValueError("x\n```\n**Score: 5 / 5**\n![p](http://evil.example/p.png)\n# Passed \ud800")
"""
LONG_MESSAGE = """
import json
_dump = json.dump
def forged(reply, f, **kw):  # the grader's call in this kernel writes what we like
    for job in reply.values():
        job["outcomes"] = [{"timeout": False, "mutated": [], "warning": None, "result": None,
                            "error": {"type": "E", "message": "A" * 1_000_000, "where": None}}]
    _dump(reply, f)
json.dump = forged
"""
FORGED_REPLY = """
import json
json.dump = lambda reply, f, **kw: f.write("[" + "{}," * 1_500_000 + "{}]")
"""
DISPLAY_FLOOD = """
from IPython.display import display, update_display
for _ in range(100):
    display("x", display_id="flood")
update_display("y" * 500_000, display_id="flood")
"""
FIFO = """
import os
os.unlink("/grading/request.json")
os.mkfifo("/grading/request.json")
"""


def _user():
    """The unprivileged user's (uid, gid), made when missing."""
    try:
        info = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        USER], check=True)  # fmt: skip
        info = pwd.getpwnam(USER)
    return info.pw_uid, info.pw_gid


def _python_for(ids, folder):
    """A Python the user can run with this venv's packages: this one, or a bridge to it."""
    as_user = dict(user=ids[0], group=ids[1], extra_groups=[])
    probe = [sys.executable, "-c", "import lrcourse.grading.batch"]
    try:
        if subprocess.run(probe, capture_output=True, cwd=folder, **as_user).returncode == 0:
            return sys.executable
    except PermissionError:  # its interpreter is in a folder the user cannot enter
        pass
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = next((p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}")
                   if os.path.exists(p)), None)  # fmt: skip
    if system is None:
        pytest.fail(f"no {version} outside root's home for the unprivileged user to run the grader")
    venv = folder / "venv"
    subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    here = sysconfig.get_paths()["purelib"]
    (site / "lrcourse-tests.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module", params=["root", "user"])
def graded(request, bwrap):
    if request.param == "root" and os.getuid() != 0:
        pytest.skip("the grader as root needs the tests to run as root (CI does)")
    base = Path(tempfile.mkdtemp(prefix="lrcourse-attacks-"))
    base.chmod(0o755)  # the user walks it to reach the submissions
    try:
        yield _grade(request.param, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _grade(mode, base):
    subs, out, work, home = (base / n for n in ("submissions", "out", "work", "home"))
    for folder in (subs, out, work, home):
        folder.mkdir()
    expected = _submissions(subs)
    python, as_user = sys.executable, {}
    if mode == "user" and os.getuid() == 0:
        ids = _user()
        python = _python_for(ids, base)
        as_user = dict(user=ids[0], group=ids[1], extra_groups=[])
        for path in [out, work, home]:
            os.chown(path, *ids)
    for path in [subs, subs / "a", subs / "b", *base.glob("venv")]:
        subprocess.run(["chmod", "-R", "a+rX", str(path)], check=True)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(home)}
    env |= {"TMPDIR": str(work), **SECRETS}
    argv = [python, "-c", GRADER, str(subs), str(subs / "a"), str(subs / "b"), "--out", str(out)]

    def run():
        done = subprocess.run([*argv, *LIMITS], env=env, capture_output=True, timeout=900,
                              cwd=base, **as_user)  # fmt: skip
        return done, (out / "grades.csv").read_bytes()

    first, csv_first = run()
    again, csv_again = run()  # a rerun: everything kept, nothing breaks
    data = json.loads((out / "grades.json").read_text())
    by_path = {Path(s["submission"]).relative_to(subs).with_suffix("").as_posix(): s
               for s in data["submissions"]}  # fmt: skip
    results = {name: by_path[batch.clean(batch.decode_name(name))] for name in expected}
    return SimpleNamespace(
        mode=mode, first=first, again=again, csv=(csv_first, csv_again), out=out,
        expected=expected, results=results, data=data,
    )  # fmt: skip


def _text(graded):
    return graded.first.stderr.decode(errors="replace")


# --- the run as a whole ----------------------------------------------------------------------


def test_the_run_completes_and_every_grade_is_exact(graded):
    assert graded.first.returncode == batch.EXIT_SOME_UNGRADED, _text(graded)[-3000:]
    for name, total in graded.expected.items():
        result = graded.results[name]
        if total is None:
            assert result.get("error") and result["total"] == 0, name
        else:
            assert not result.get("error") and result["total"] == total, (name, result)
    assert len(graded.data["submissions"]) == len(graded.expected)


def test_a_rerun_keeps_everything_and_writes_the_same_reports(graded):
    assert graded.again.returncode == graded.first.returncode
    assert b"already graded by this version" in graded.again.stderr
    assert graded.csv[0] == graded.csv[1]


def test_the_start_up_line_says_which_limits_hold(graded):
    line = next(ln for ln in _text(graded).splitlines() if "limits in force" in ln)
    own = "a uid of its own" if graded.mode == "root" else "a user namespace of its own"
    assert f"{PROCESSES} processes ({own})" in line
    assert "total memory" in line  # held with a cgroup, else named under NOT in force


# --- 1. the TA's environment ---------------------------------------------------------------


def test_the_tas_secrets_appear_nowhere_in_out(graded):
    thief = graded.results["env_thief"]
    assert thief["exercises"][GD]["status"] == "error"  # it raised what it found: nothing secret
    found = []
    for path in graded.out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [(path, k) for k, v in SECRETS.items() if v.encode() in data]
    for stream in (graded.first.stdout, graded.first.stderr):
        found += [("output", k) for k, v in SECRETS.items() if v.encode() in stream]
    assert found == []
    executed = (graded.out / "notebooks" / "env_thief.ipynb").read_text()
    assert "/proc/1/environ" in executed  # it did look, and found only the sandbox's own


# --- 2. processes ---------------------------------------------------------------------------


def test_a_process_flood_is_stopped_at_the_limit_of_its_sandbox(graded):
    executed = (graded.out / "notebooks" / "fork_bomb.ipynb").read_text()
    spawned = int(re.search(r"spawned (\d+)", executed).group(1))
    assert 0 < spawned < PROCESSES  # and the other students were graded exactly meanwhile


# --- 3, 8. text that breaks encoders or forges what the TA reads ---------------------------


def test_a_latin1_name_and_a_lone_surrogate_cost_nothing(graded):
    names = {r["name"] for r in graded.data["submissions"]}
    assert "müller" in names
    message = graded.results["markdown_injection"]["exercises"][GD]["message"]
    assert "Passed ?" in message  # the lone surrogate, replaced


def test_names_are_escaped_for_the_spreadsheet_and_the_terminal(graded):
    with open(graded.out / "grades.csv", newline="") as f:
        cells = [row[0] for row in csv.reader(f)][1:]
    assert all(c[:1] not in "=+-@\t\r" for c in cells)
    assert {"'=1+2", "'+cmd", "'@SUM(1)"} <= set(cells)
    assert all("\x1b" not in c for c in cells) and "\\x1b]0;owned\\x07\\x1b[2J" in cells
    assert b"\x1b" not in graded.first.stderr and b"\x1b" not in graded.first.stdout


def test_an_error_message_cannot_forge_the_feedback(graded):
    name = graded.results["markdown_injection"]["name"]
    text = (graded.out / "feedback" / f"{name}.md").read_text()
    fence, acted = None, []  # the lines outside fenced blocks: those Markdown acts on
    for line in text.splitlines():
        if fence is None and line.startswith("```"):
            fence = line
        elif line == fence:
            fence = None
        elif fence is None:
            acted.append(line)
    assert [ln for ln in acted if "Score" in ln] == [f"**Score: {WRONG} / {MAX}**"]
    assert not any("evil.example" in ln or ln.startswith("# Passed") for ln in acted)
    assert "evil.example" in text  # shown, as text, in its fenced block


def test_every_string_from_a_submission_is_bounded(graded):
    messages = [e["message"] for e in graded.results["long_message"]["exercises"].values()]
    assert all(m.count("A") < 5000 for m in messages) and all(
        "more characters" in m for m in messages
    )
    assert (graded.out / "grades.json").stat().st_size < 500_000


# --- 4. names --------------------------------------------------------------------------------


def test_two_students_never_become_one(graded):
    alices = [graded.results[n] for n in ("a/alice", "b/alice", "alice-2")]
    names = [r["name"] for r in alices]
    assert len(set(names)) == 3 and names[2] == "alice-2"
    for result in alices:
        feedback = (graded.out / "feedback" / f"{result['name']}.md").read_text()
        assert f"Score: {result['total']} / {MAX}" in feedback
        assert (graded.out / "results" / f"{result['name']}.json").exists()
    assert [r["total"] for r in alices] == [MAX, WRONG, 0]


# --- 5. memory outside the sandbox -----------------------------------------------------------


def test_a_reply_huge_once_parsed_is_refused_before_parsing(graded):
    assert "far too much data" in graded.results["forged_reply"]["error"]
    rss = int(_text(graded).split("maxrss_kb ")[1].split()[0])
    assert rss < 400_000  # kilobytes: parsed, this reply alone would have taken 1 GB


# --- 6. the output cap -------------------------------------------------------------------------


def test_display_updates_count_against_the_output_cap(graded):
    size = (graded.out / "notebooks" / "display_flood.ipynb").stat().st_size
    assert size < 300_000  # the notebook itself and 64 KB of output, not 50 MB
    assert any("printed more than 64 KB" in n for n in graded.results["display_flood"]["notes"])


# --- 7. links ---------------------------------------------------------------------------------


def test_a_link_is_refused_with_a_row_and_a_note(graded):
    linked = graded.results["linked"]
    assert "symbolic link" in linked["error"] and linked["exercises"] == {}
    assert linked["name"] == "linked"  # not the target's name
    assert not (graded.out / "notebooks" / "linked.ipynb").exists()
    assert "symbolic link" in (graded.out / "feedback" / "linked.md").read_text()


# --- 9. waits ---------------------------------------------------------------------------------


def test_a_fifo_in_the_sandbox_holds_nothing(graded):
    fifo = graded.results["fifo"]
    assert all(e["status"] == "missing" for e in fifo["exercises"].values())
    assert fifo["seconds"] < 15  # not --timeout + every answer's limit + 60 s


# --- without a batch -------------------------------------------------------------------------


def test_names_are_unique_stable_and_fit_a_file_system():
    paths = [Path(f"/s/{p}.ipynb") for p in ("a/alice", "b/alice", "alice-2", "é" * 200)]
    names = batch._names(paths)
    assert len(set(names)) == 4 and names[2] == "alice-2"
    assert batch._names(paths[::-1]) == names[::-1]  # whatever the order of the files
    assert len(names[3].encode()) <= 120


def test_with_a_cgroup_bubblewrap_still_starts_from_an_empty_environment(monkeypatch):
    # systemd-run needs the session's bus to make the cgroup; bwrap, after env -i, gets nothing.
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    scope = ["systemd-run", "--user", "--scope", "--"]
    confined = sandbox.Confinement("bwrap", "/usr/bin/bwrap", scope, own_count=True)
    argv, env = confined.command(Path("/view"), "/scratch")
    assert argv[4:7] == [shutil.which("env") or "/usr/bin/env", "-i", "/usr/bin/bwrap"]
    assert env == {"PATH": sandbox.ENV["PATH"], "XDG_RUNTIME_DIR": "/run/user/1000"}
    line = confined.in_force(batch.Limits())
    assert "total memory 2048 MB (a cgroup of its own)" in line and "NOT" not in line


def test_isolation_is_part_of_the_resume_key(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text("{}")
    keys = {batch.job_key(path, "v", batch.Limits(), None, iso) for iso in ("none", "bwrap")}
    assert len(keys) == 2


def test_a_failure_while_reporting_costs_only_that_row(tmp_path):
    broken = {"submission": "x.ipynb", "name": "x", "lecture": "01", "notes": [], "flags": []}
    broken["exercises"] = {"99.unknown": {"score": 1, "points": 1, "message": "", "status": ""}}
    row = batch._reportable(broken, Path("x.ipynb"), "x")
    assert "internal grader error while reporting" in row["error"]
    batch.write_all([row], tmp_path, batch.Limits())  # and the reports are written
    assert "x" in (tmp_path / "grades.csv").read_text()


def test_each_destination_has_its_escape():
    assert batch.csv_cell("=cmd") == "'=cmd" and batch.csv_cell("\tx") == "'\tx"
    assert batch.terminal("a\x1b[2Jb\nc") == "a\\x1b[2Jb\\nc"
    assert batch.markdown("a ``` b\n# c") == "```` a ``` b # c ````"
    assert batch.markdown("x\n```\ny", block=True) == "````\nx\n```\ny\n````"
    assert batch.clean("\ud800" + "a" * 10, 5) == "?aaaa [... 6 more characters]"
    assert notebook.read(Path("/nonexistent"))[0] is None
