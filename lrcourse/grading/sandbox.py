"""Where a submission's code runs: a throw-away bubblewrap sandbox, one per submission.

``run`` starts ``python -m lrcourse.grading.inside`` (see ``inside``) under bubblewrap (``bwrap``)
and reads back one JSON reply. Inside the sandbox, the submission

- has no network (``--unshare-net``: only a loopback of its own) and its own PID namespace: it
  can see and signal nothing outside, and every process it starts dies with the sandbox;
- sees the system and the Python environment read-only, a private scratch folder (a small tmpfs,
  thrown away), and no submissions, no output folder, no home: nothing else of the machine;
- runs with no capabilities: when the grader runs as root, as a uid of its own that no other
  sandbox running at the same time has (``Uids``); otherwise as the grader's user, inside a user
  namespace of its own;
- sees ``lrcourse`` as a stripped copy (``package_view``): no reference answers, no grading specs,
  only the modules its lecture allows; the copy is read-only, so nothing can rewrite the grader;
- starts from an empty environment at every level, bubblewrap itself included: nothing of the
  grader's environment (a teaching assistant's tokens and keys) is there to read, even in
  ``/proc/1/environ``;
- is limited in memory, CPU time, file size (``setrlimit``, inherited by every process inside),
  processes (``RLIMIT_NPROC``, which counts per uid, or per user namespace: either way per
  sandbox), the memory of all its processes together where a cgroup can be had (``Scope``), and
  wall-clock time (the grader kills the sandbox, and with it everything in it). ``in_force`` says
  which of these hold on this machine; the grader prints it when it starts.

``--isolation none`` runs the same process without bubblewrap, for a machine that already
isolates each run (Gradescope's container); nothing above then holds but the limits.
"""

import compileall
import ctypes
import itertools
import json
import os
import random
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

from . import inside

PACKAGE = Path(lrcourse.__file__).resolve().parent
MAX_PARSE = 128 * 2**20  # bytes the grader may spend on parsing one reply (``_parse_cost``)
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
    """Resource limits for one submission, all in one place. Times in seconds, sizes in megabytes.

    The rlimits are set before bubblewrap starts, and every process inside inherits them; the
    process limit is set inside (``inside.main``), since set outside it would also count every
    other process of the teaching assistant's; the cgroup (``scope``) is made by systemd."""

    timeout: float = 120.0  # wall time for running the whole notebook in its kernel
    cell_timeout: float = 30.0  # wall time for one cell
    cpu: float = 120.0  # CPU seconds for each process in the sandbox (kernel, each answer)
    memory_mb: int = 2048  # address space of each process; all of them together, with a cgroup
    output_kb: int = 2048  # cell output kept in the graded notebook (plots included)
    answer_timeout: float = 20.0  # wall time for calling one answer on all its cases
    file_mb: int = 64  # the largest file the learner's code may write
    processes: int = 256  # processes and threads in one sandbox (a kernel alone has about 20)

    def rlimits(self):
        return {
            resource.RLIMIT_AS: int(self.memory_mb) * 2**20,
            resource.RLIMIT_CPU: max(1, int(self.cpu)),
            resource.RLIMIT_FSIZE: int(self.file_mb) * 2**20,
            resource.RLIMIT_CORE: 0,
        }

    def scope(self):
        """systemd-run's options for a cgroup holding one sandbox: its memory and tasks in total."""
        memory, tasks = f"MemoryMax={self.memory_mb}M", f"TasksMax={self.processes}"
        return ["-p", memory, "-p", "MemorySwapMax=0", "-p", tasks]


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


def bwrap_command(view, argv, bwrap="bwrap"):
    """The bubblewrap command line that runs ``argv`` with ``view`` as the package."""
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    cmd += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.getuid() == 0:
        # As root, bwrap makes no user namespace: the sandbox starts as root with only the two
        # capabilities ``inside`` needs to take a uid of its own, which drops them for good.
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


@dataclass
class Confinement:
    """How this machine confines a sandbox, found once at start-up (``choose``)."""

    isolation: str  # "bwrap" or "none"
    bwrap: str = "bwrap"  # its full path: it starts with an empty environment, so no PATH
    scope: list = None  # systemd-run ... --scope, when each sandbox can have a cgroup
    no_scope: str = "no sandbox"  # why not
    own_count: bool = False  # RLIMIT_NPROC counts a sandbox's processes alone
    uids: object = None  # as root: a fresh uid for every sandbox (an iterator)

    def command(self, view, scratch):
        """The command, and its environment, that runs ``inside`` (explicit at every level)."""
        argv = [sys.executable, "-m", "lrcourse.grading.inside"]
        if self.isolation != "bwrap":
            return argv, _env(view, scratch)
        cmd = bwrap_command(view, argv, self.bwrap)
        if self.scope:  # systemd-run needs the session's bus; bwrap gets nothing of it
            return [*self.scope, shutil.which("env") or "/usr/bin/env", "-i", *cmd], _session_env()
        return cmd, {}

    def in_force(self, limits):
        """One plain sentence: which limits hold for each submission, and which do not."""
        held = [f"wall time ({limits.timeout:g} s a notebook)"]
        held.append(f"CPU time, address space ({limits.memory_mb} MB), file size of each process")
        missing = []
        if self.isolation != "bwrap":
            missing.append("processes and total memory per submission (--isolation none)")
        else:
            if self.own_count:
                how = "a uid of its own" if self.uids else "a user namespace of its own"
                held.append(f"{limits.processes} processes ({how})")
            else:
                missing.append(
                    "processes per submission (this kernel counts them with all of your user's)"
                )
            if self.scope:
                held.append(f"total memory {limits.memory_mb} MB (a cgroup of its own)")
            else:
                missing.append(f"total memory per submission (no cgroup: {self.no_scope})")
        line = "limits in force for each submission: " + ", ".join(held)
        return line + ("; NOT in force: " + "; ".join(missing) if missing else "")


def _session_env():
    """What systemd-run needs to reach the session's systemd, and nothing else."""
    keep = ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")
    return {"PATH": ENV["PATH"], **{k: os.environ[k] for k in keep if k in os.environ}}


def _env(view, scratch):
    """The environment for ``--isolation none``: ``view`` first on the path, a scratch home."""
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


def run(request, confinement, view, limits, wall, running=None):
    """Run ``request`` in a fresh sandbox; (reply dict or None, why there is none)."""
    rlimits = limits.rlimits()

    def limit():  # in the child, before bwrap: inherited by every process in the sandbox
        for name, value in rlimits.items():
            resource.setrlimit(name, (value, value))
        _die_with_parent()

    uid = next(confinement.uids) if confinement.uids else None
    processes = limits.processes if confinement.own_count else None
    data = json.dumps({**request, "uid": uid, "processes": processes}).encode()
    with tempfile.TemporaryDirectory(prefix="lrcourse-sandbox-") as scratch:
        os.makedirs(os.path.join(scratch, "home"))
        argv, env = confinement.command(view, scratch)
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
            env=env,
            preexec_fn=limit,
            start_new_session=True,  # its own process group: a terminal's Ctrl-C comes to us
        )
        if running:
            running.add(proc)
        try:
            reply, stopped = _communicate(proc, data, wall, max_reply(data, limits))
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


def max_reply(request, limits):
    """Bytes of JSON accepted from one sandbox: the notebook it was sent (it comes back), its
    outputs, and each answer's outcomes (``inside.MAX_EVENTS``), with room to spare."""
    return 2 * len(request) + 4 * limits.output_kb * 1024 + 8 * inside.MAX_EVENTS


def _parse_cost(data):
    """An upper bound on the bytes ``json.loads(data)`` takes: each value parsed is an object of
    up to 80 bytes, and each needs a ',', '[' or '{'. Checked before parsing, since 3 bytes of
    ``{},`` become a 64-byte dict: 40 MB of them would take the grader 1 GB."""
    return len(data) + 80 * (data.count(b",") + data.count(b"[") + data.count(b"{"))


def _feed(pipe, data):
    try:
        pipe.write(data)
        pipe.close()
    except OSError:  # it died before reading its request
        pass


def _communicate(proc, data, wall, most):
    """Send ``data``; read stdout until EOF, ``wall`` seconds or ``most`` bytes; kill the group."""
    threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True).start()
    reader = threading.Thread(target=_read, args=(proc, chunks := [], most), daemon=True)
    reader.start()
    reader.join(wall)
    stopped = None
    if reader.is_alive():
        stopped = f"the sandbox ran longer than {wall:g} s and was stopped"
    kill_group(proc.pid)  # whatever is left inside dies with the sandbox
    proc.wait()
    reader.join()
    proc.stdout.close()
    reply = b"".join(chunks)
    if not stopped and (len(reply) > most or _parse_cost(reply) > MAX_PARSE):
        stopped = "the sandbox sent back far too much data"
    return reply, stopped


def _read(proc, chunks, most):
    total = 0
    while chunk := proc.stdout.read1(1 << 16):
        chunks.append(chunk)
        total += len(chunk)
        if total > most:
            break


# --- choosing the isolation -----------------------------------------------------------------------


# Run in a trial sandbox: numpy imports, and a fork under a process limit of 4 succeeds only
# where RLIMIT_NPROC counts the sandbox's processes alone (its own user namespace, Linux 5.14+).
PROBE = """
import numpy, os, resource, socket
resource.setrlimit(resource.RLIMIT_NPROC, (4, 4))
try:
    pid = os.fork()
except OSError:
    print("shared")
else:
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("own")
"""


def trial(view, bwrap, scope=()):
    """Run the probe in a sandbox: (its output, None), or (None, what went wrong)."""
    cmd = [*scope, *bwrap_command(view, [sys.executable, "-c", PROBE], bwrap)]
    env = _session_env() if scope else {}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bubblewrap could not start a sandbox ({exc})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"bubblewrap could not start a sandbox ({last[:300]})"
    return done.stdout.strip(), None


def _scope(limits):
    """The systemd-run prefix that gives each sandbox a cgroup (cgroup v2, delegated by systemd:
    a system scope as root, the user's own manager otherwise), or (None, why not)."""
    tool = shutil.which("systemd-run")
    if tool is None:
        return None, "systemd-run is not installed"
    user = [] if os.getuid() == 0 else ["--user"]
    cmd = [tool, *user, "--scope", "--quiet", "--collect", *limits.scope(), "--"]
    try:
        done = subprocess.run(
            [*cmd, "true"], capture_output=True, text=True, timeout=30, env=_session_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"systemd-run failed ({exc})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"systemd-run {' '.join(user + ['--scope'])} failed: {last[:200]}"
    return cmd, None


def choose(isolation, view, limits=None):
    """How to confine each submission (a ``Confinement``), or raise RuntimeError saying why not."""
    if isolation == "none":
        return Confinement("none")
    bwrap, problem = shutil.which("bwrap"), None
    if not sys.platform.startswith("linux"):
        problem = "bubblewrap needs Linux"
    elif bwrap is None:
        problem = "bubblewrap (bwrap) is not installed"
    else:
        scope, no_scope = _scope(limits or Limits())
        said, problem = trial(view, bwrap)
        if scope and not problem and trial(view, bwrap, scope)[1]:
            scope, no_scope = None, "a sandbox does not start inside a systemd scope"
    if problem:
        raise RuntimeError(
            f"refusing to grade: {problem}, so submissions cannot be isolated ({UNPROTECTED}). "
            f"To fix it, {INSTALL_BWRAP}."
        )
    root = os.getuid() == 0
    # As root, a fresh uid for each sandbox: never one that owns a file or another's processes
    # (systemd leaves 0x70000000-0x7fffffff unused), from a random start, so that two batches
    # running at once do not meet.
    uids = itertools.count(random.randrange(0x70000000, 0x7F000000)) if root else None
    return Confinement("bwrap", bwrap, scope, no_scope, root or said == "own", uids)


def wall(limits, answer_walls):
    """Seconds after which a sandbox is killed: the notebook, every answer, and time to start
    Python and the kernel and to send the reply (``inside`` keeps to the limits by itself; this
    is for a sandbox whose code stopped it from doing so)."""
    return limits.timeout + sum(answer_walls) + 60
