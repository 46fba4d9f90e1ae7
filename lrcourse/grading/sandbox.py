"""Run learner functions in a fresh process of the grader's own, with limits; read back JSON.

Why not ask the learner's kernel to call the function? Because the kernel belongs to the learner:
by the time the grader asks, the notebook may have replaced ``numpy``, ``check``, ``json`` or the
grader's own helpers, or left a global that changes what the function computes, and whatever the
kernel reports back is what the kernel chose to report. Here the function's definition (its
source, and the definitions it uses) runs in a new interpreter that has only the standard library
and NumPy loaded, under memory, CPU-time, file-size and wall-clock limits, in a child forked
afresh for each exercise, so a crash, an endless loop or a monkeypatch in one answer costs only
that answer. Only JSON comes back, and the grader compares it with its own reference (``judge``).
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from . import judge, values

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox_child.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_REPLY = 20_000_000  # bytes of JSON accepted from one sandbox
STARTUP = 3.0  # seconds allowed for Python and NumPy to start, on top of the answer's time

# What a process needs to run NumPy, and nothing else from the grader's environment.
ENV = {
    "PATH": os.defpath,
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
    "MPLBACKEND": "Agg",
}


@dataclass
class Limits:
    """Resource limits for one submission. Times in seconds, sizes in megabytes."""

    timeout: float = 120.0  # wall time for running the whole notebook in its kernel
    cell_timeout: float = 30.0  # wall time for one cell
    cpu: float = 120.0  # CPU seconds for the kernel, and for each answer's sandbox
    memory_mb: int = 2048  # address space of the kernel and of each sandbox
    output_kb: int = 2048  # cell output kept in the graded notebook (plots included)
    answer_timeout: float = 20.0  # wall time for calling one answer on all its cases
    file_mb: int = 64  # the largest file the learner's code may write

    def rlimits(self, cpu=None):
        return {
            "RLIMIT_AS": int(self.memory_mb) * 2**20,
            "RLIMIT_CPU": max(1, int(cpu or self.cpu)),
            "RLIMIT_FSIZE": int(self.file_mb) * 2**20,
            "RLIMIT_CORE": 0,
        }


@dataclass
class Run:
    """What came back from the sandbox for one exercise."""

    outcomes: list = field(default_factory=list)
    load_errors: list = field(default_factory=list)
    missing: bool = False
    fate: str | None = None  # why it stopped early, in words; None when it finished


def _wall(exercise, limits):
    """Seconds one exercise may take: its cases' time limits, capped by --answer-timeout."""
    return min(limits.answer_timeout, exercise.time_limit * len(exercise.cases) + 2)


def run_answers(cells, programs, limits, on_start=None, workdir=None):
    """Define and call each learner function in the sandbox; {exercise id: Run}.

    ``programs`` maps each Exercise to the statements that define its function (see
    ``notebook.answer_program``); ``cells`` maps a cell index to its Python text. One process
    starts Python and NumPy once and forks a fresh child per exercise."""
    used = sorted({cell for program in programs.values() for cell, _ in program})
    jobs = [
        {
            "id": exercise.id,
            "function": exercise.function,
            "program": program,
            "cases": judge.encoded_cases(exercise),
            "time_limit": exercise.time_limit,
            "wall": _wall(exercise, limits),
        }
        for exercise, program in programs.items()
    ]
    wall = STARTUP + sum(job["wall"] + 0.5 for job in jobs)
    request = {
        "cells": {str(c): cells[c] for c in used},
        "exercises": jobs,
        "limits": limits.rlimits(cpu=min(limits.cpu, max(job["wall"] for job in jobs) + 1)),
        "paths": [ROOT],
    }
    proc = subprocess.Popen(
        [sys.executable, "-I", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
        env=ENV,
        start_new_session=True,  # its own process group, so everything it starts dies with it
    )
    if on_start:
        on_start(proc.pid)
    reply, stopped = _communicate(proc, json.dumps(request).encode(), time.monotonic() + wall)
    runs = {job["id"]: Run() for job in jobs}
    walls = {job["id"]: job["wall"] for job in jobs}
    finished, broken = set(), set()
    for line in reply.splitlines():
        try:
            event = json.loads(line)
            run = runs[event["id"]]
        except (ValueError, KeyError, TypeError):
            break  # a torn line from a killed process, or junk: trust nothing after it
        if event["id"] in broken:
            continue
        kind = event.get("event")
        if kind == "loaded" and isinstance(event.get("errors"), list):
            run.load_errors = [e for e in event["errors"] if _valid_error(e)]
        elif kind == "missing":
            run.missing = True
        elif kind == "case":
            if not _valid_outcome(event.get("outcome")):
                run.fate = "it sent back something that is not a result"
                finished.discard(event["id"])
                broken.add(event["id"])
                continue
            run.outcomes.append(event["outcome"])
        elif kind == "done":
            finished.add(event["id"])
        elif kind == "exit" and event["id"] not in finished:
            killed = "time" if event.get("killed") is True else None
            status = event.get("status") if type(event.get("status")) is int else None
            run.fate = _fate(killed, status, limits, walls[event["id"]])
    for job in jobs:
        run = runs[job["id"]]
        if job["id"] not in finished and run.fate is None:
            run.fate = _fate(stopped or "lost", proc.returncode, limits, job["wall"])
    return runs


def _valid_error(error):
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str)
        and (error.get("where") is None or isinstance(error["where"], str))
    )


def _valid_outcome(outcome):
    """True when a case outcome has the form ``runner.call_case`` gives it."""
    if not isinstance(outcome, dict):
        return False
    return (
        type(outcome.get("timeout")) is bool
        and isinstance(outcome.get("mutated"), list)
        and all(isinstance(m, str) for m in outcome["mutated"])
        and (outcome.get("warning") is None or isinstance(outcome["warning"], str))
        and (outcome.get("error") is None or _valid_error(outcome["error"]))
        and (outcome.get("result") is None or values.valid(outcome["result"]))
    )


def _feed(pipe, data):
    try:
        pipe.write(data)
        pipe.close()
    except OSError:  # the child died before reading its request
        pass


def _communicate(proc, data, deadline):
    """Send ``data``, read stdout until EOF, the deadline or MAX_REPLY; kill the group if needed."""
    threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True).start()
    buffer, stopped = bytearray(), None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                stopped = "time"
                break
            if not selector.select(timeout=left):
                continue
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buffer += chunk
            if len(buffer) > MAX_REPLY:
                stopped = "output"
                break
    if not stopped and not exited(proc.pid, deadline):
        stopped = "time"
    kill_group(proc.pid)  # before reaping, while the pid is surely still ours
    proc.wait()
    proc.stdout.close()
    return bytes(buffer), stopped


def exited(pid, deadline):
    """Wait until child ``pid`` has exited or the deadline passed, without reaping it.

    Not reaping keeps the pid ours, so that killing its process group afterwards cannot hit a
    stranger that reused the number."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    try:
        while os.waitid(os.P_PID, pid, flags) is None:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
    except ChildProcessError:  # already reaped (by a Ctrl-C cleanup)
        pass
    return True


def kill_group(pid):
    """SIGKILL the process group led by ``pid`` (each child we start leads its own)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _fate(stopped, code, limits, wall):
    """Why a sandbox child stopped before it finished, in words a learner can act on."""
    if stopped == "time":
        return f"it ran longer than the time limit ({wall:g} s)"
    if stopped == "output":
        return "it sent back far too much data"
    if stopped == "lost":
        return "the grader's process running it was stopped (by code in your notebook?)"
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return f"it was stopped at a limit (CPU time {limits.cpu:g} s or memory)"
    if code == -signal.SIGXFSZ:
        return f"it wrote a file larger than the limit ({limits.file_mb} MB)"
    if code is not None and code < 0:
        return f"it crashed (signal {-code})"
    return f"the process ended by itself (exit code {code}; does your code call os._exit?)"
