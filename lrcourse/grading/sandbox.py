"""Where a submission's code runs: a throw-away bubblewrap sandbox, one per submission.

``run`` starts ``python -m lrcourse.grading.inside`` (see ``inside``) under bubblewrap (``bwrap``)
and reads back one JSON reply. Inside the sandbox, the submission

- has no network (``--unshare-net``: only a loopback of its own) and its own PID namespace: it
  can see and signal nothing outside, and every process it starts dies with the sandbox;
- sees the system and the Python environment read-only, a private scratch folder (a small tmpfs,
  thrown away), and no submissions, no output folder, no home: nothing else of the machine;
- runs as ``nobody`` with no capabilities when the grader runs as root (and as the grader's user,
  inside a user namespace, otherwise);
- sees ``lrcourse`` as a stripped copy (``package_view``): no reference answers, no grading specs,
  only the modules its lecture allows; the copy is read-only, so nothing can rewrite the grader;
- is limited in memory, CPU time, file size (``setrlimit``, inherited by every process inside)
  and wall-clock time (the grader kills the sandbox, and with it everything in it).

``--isolation none`` runs the same process without bubblewrap, for a machine that already
isolates each run (Gradescope's container); nothing above then holds but the limits.
"""

import compileall
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import lrcourse

PACKAGE = Path(lrcourse.__file__).resolve().parent
MAX_REPLY = 50_000_000  # bytes of JSON accepted from one sandbox
SCRATCH_MB = 256  # the sandbox's writable tmpfs
INSTALL_BWRAP = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap; as a normal user it also needs unprivileged user namespaces, which most "
    "distributions allow), or, only inside a container that already isolates each run (such as "
    "Gradescope's autograder), pass --isolation none"
)
UNPROTECTED = (
    "without it, student code would run as you, with the network, able to read every file you "
    "can (other students' submissions, your home), to rewrite the grader, and to kill the batch"
)


@dataclass
class Limits:
    """Resource limits for one submission. Times in seconds, sizes in megabytes."""

    timeout: float = 120.0  # wall time for running the whole notebook in its kernel
    cell_timeout: float = 30.0  # wall time for one cell
    cpu: float = 120.0  # CPU seconds for each process in the sandbox (kernel, each answer)
    memory_mb: int = 2048  # address space of each process in the sandbox
    output_kb: int = 2048  # cell output kept in the graded notebook (plots included)
    answer_timeout: float = 20.0  # wall time for calling one answer on all its cases
    file_mb: int = 64  # the largest file the learner's code may write

    def rlimits(self):
        return {
            resource.RLIMIT_AS: int(self.memory_mb) * 2**20,
            resource.RLIMIT_CPU: max(1, int(self.cpu)),
            resource.RLIMIT_FSIZE: int(self.file_mb) * 2**20,
            resource.RLIMIT_CORE: 0,
        }


# What a process needs to run Python and NumPy, and nothing else from the grader's environment.
ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/grading/home",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",  # keeps each process's address space far below the memory limit
    "PYTHONHASHSEED": "0",
    "MPLCONFIGDIR": "/grading/home/matplotlib",
    "JUPYTER_PLATFORM_DIRS": "1",
}


# --- the package as the sandbox sees it -----------------------------------------------------------

INSIDE = ("grading/inside.py", "grading/runner.py", "grading/values.py")
CHECK_STUB = '"""Inside the grader\'s sandbox: the grader judges each answer outside."""\n\n'
CHECK_STUB += "from lrcourse.grading.inside import check, grade  # noqa: F401\n"


def package_view(folder, allow=()):
    """Write the sandbox's ``lrcourse`` into ``folder``: what runs an answer, and ``allow``.

    ``allow`` names modules of the package a lecture's notebook legitimately imports
    ("problems", "data"); nothing else of the package exists in the sandbox, so a reference
    answer cannot be reached however its import is spelled. Returns the package folder."""
    root = Path(folder) / "lrcourse"
    (root / "grading").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "grading" / "__init__.py").write_text("")
    (root / "check.py").write_text(CHECK_STUB)
    for name in INSIDE:
        shutil.copyfile(PACKAGE / name, root / name)
    for name in allow:
        source = PACKAGE / (name if name == "data" else f"{name}.py")
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copyfile(source, root / source.name)
    compileall.compile_dir(root, quiet=1)  # once here, not in every (read-only) sandbox
    for path in [root, *root.rglob("*")]:  # readable by the sandbox's unprivileged user
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


# --- the bubblewrap command --------------------------------------------------------------------


def _python_dirs():
    """The folders the interpreter and its packages live in, outermost first, without overlap."""
    found = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    found.add(Path(sys.executable).resolve().parent.parent)
    for entry in sys.path:  # site-packages outside the prefixes (a --user install, say)
        path = Path(entry).resolve() if entry else None
        if path and path.is_dir() and "site-packages" in path.parts:
            found.add(path)
    kept = []
    for path in sorted(found, key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return kept


def _parents(path):
    """``--dir`` for every folder above ``path``, world-readable so ``nobody`` can walk them."""
    args = []
    for parent in reversed(Path(path).parents):
        if parent != Path("/"):
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def bwrap_command(view, argv):
    """The bubblewrap command line that runs ``argv`` with ``view`` as the package."""
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    cmd += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.getuid() == 0:
        # As root, bwrap makes no user namespace: the sandbox starts as root with only the two
        # capabilities ``inside`` needs to become nobody, which drops them for good.
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user"]
    for system in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        cmd += ["--ro-bind-try", system, system]
    # /tmp first: mounts apply in order, and a Python installed under /tmp must stay visible.
    cmd += ["--perms", "1777", "--size", str(64 * 2**20), "--tmpfs", "/tmp"]
    for folder in _python_dirs():
        cmd += [*_parents(folder), "--ro-bind", str(folder), str(folder)]
    # The stripped package where the real one would be found, whichever way it was installed.
    cmd += [*_parents(PACKAGE), "--ro-bind", str(view), str(PACKAGE)]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    cmd += ["--perms", "0777", "--size", str(SCRATCH_MB * 2**20), "--tmpfs", "/grading"]
    cmd += ["--chdir", "/grading", "--clearenv"]
    # The package's folder on the path too: the grader may run from a checkout, not installed.
    for name, value in {**ENV, "PYTHONPATH": str(PACKAGE.parent)}.items():
        cmd += ["--setenv", name, value]
    return cmd + ["--", *argv]


def command(isolation, view):
    """The command that runs ``inside`` under ``isolation`` ("bwrap" or "none")."""
    argv = [sys.executable, "-m", "lrcourse.grading.inside"]
    if isolation == "bwrap":
        return bwrap_command(view, argv)
    return argv


def _env(isolation, view, scratch):
    """The environment for ``--isolation none``: ``view`` first on the path, a scratch home."""
    if isolation == "bwrap":
        return None  # bwrap sets its own (--clearenv, --setenv)
    env = {**ENV, "HOME": os.path.join(scratch, "home")}
    env["MPLCONFIGDIR"] = os.path.join(scratch, "home", "matplotlib")
    env["PYTHONPATH"] = str(Path(view).parent)
    return env


# --- running it ---------------------------------------------------------------------------------


class Running:
    """The sandboxes alive now, so that Ctrl-C or SIGTERM can stop them all at once."""

    def __init__(self):
        self.lock, self.procs = threading.Lock(), set()

    def add(self, proc):
        with self.lock:
            self.procs.add(proc)

    def remove(self, proc):
        with self.lock:
            self.procs.discard(proc)

    def kill_all(self):
        with self.lock:
            for proc in self.procs:
                kill_group(proc.pid)


def _die_with_parent():
    """Ask the kernel to SIGKILL this process when the thread that started it dies, so a killed
    grader leaves no sandbox behind (bwrap's --die-with-parent then takes everything inside)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the grader's Ctrl-C handler still kills it
        pass


PR_SET_PDEATHSIG = 1


def kill_group(pid):
    """SIGKILL the process group led by ``pid`` (each sandbox leads its own)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(request, isolation, view, limits, wall, running=None):
    """Run ``request`` in a fresh sandbox; (reply dict or None, why there is none)."""
    rlimits = limits.rlimits()

    def limit():  # in the child, before bwrap: inherited by every process in the sandbox
        for name, value in rlimits.items():
            resource.setrlimit(name, (value, value))
        _die_with_parent()

    with tempfile.TemporaryDirectory(prefix="lrcourse-sandbox-") as scratch:
        os.makedirs(os.path.join(scratch, "home"))
        proc = subprocess.Popen(
            command(isolation, view),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
            env=_env(isolation, view, scratch),
            preexec_fn=limit,
            start_new_session=True,  # its own process group: a terminal's Ctrl-C comes to us
        )
        if running:
            running.add(proc)
        request = {**request, "drop_to_nobody": isolation == "bwrap"}
        try:
            reply, stopped = _communicate(proc, json.dumps(request).encode(), wall)
        finally:
            if running:
                running.remove(proc)
    if stopped:
        return None, stopped
    try:
        reply = json.loads(reply)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        code = proc.returncode
        return None, f"the sandbox ended without a result (exit code {code}: was it killed?)"
    return reply, None


def _feed(pipe, data):
    try:
        pipe.write(data)
        pipe.close()
    except OSError:  # it died before reading its request
        pass


def _communicate(proc, data, wall):
    """Send ``data``; read stdout until EOF, ``wall`` seconds or MAX_REPLY; then kill the group."""
    threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True).start()
    reader = threading.Thread(target=_read, args=(proc, chunks := []), daemon=True)
    reader.start()
    reader.join(wall)
    stopped = None
    if reader.is_alive():
        stopped = f"the sandbox ran longer than {wall:g} s and was stopped"
    elif sum(map(len, chunks)) > MAX_REPLY:
        stopped = "the sandbox sent back far too much data"
    kill_group(proc.pid)  # whatever is left inside dies with the sandbox
    proc.wait()
    reader.join()
    proc.stdout.close()
    return b"".join(chunks), stopped


def _read(proc, chunks):
    total = 0
    while chunk := proc.stdout.read1(1 << 16):
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_REPLY:
            break


# --- choosing the isolation -----------------------------------------------------------------------


def trial(view):
    """Run one tiny program in the sandbox; None when it works, else what went wrong."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = "import numpy, socket, os; print(os.getpid())"
    cmd = bwrap_command(view, [sys.executable, "-c", probe])
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start a sandbox ({exc})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap could not start a sandbox ({last})"
    return None


def choose(isolation, view):
    """The isolation to grade with ("bwrap" or "none"), or raise RuntimeError saying why not."""
    if isolation == "none":
        return "none"
    if not sys.platform.startswith("linux"):
        problem = "bubblewrap needs Linux"
    else:
        problem = trial(view)
    if problem:
        raise RuntimeError(
            f"refusing to grade: {problem}, so submissions cannot be isolated ({UNPROTECTED}). "
            f"To fix it, {INSTALL_BWRAP}."
        )
    return "bwrap"


def wall(limits, answer_walls):
    """Seconds after which a sandbox is killed: the notebook, every answer, and time to start
    Python and the kernel and to send the reply (``inside`` keeps to the limits by itself; this
    is for a sandbox whose code stopped it from doing so)."""
    return limits.timeout + sum(answer_walls) + 60
