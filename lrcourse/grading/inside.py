"""What runs inside the sandbox: the one process that runs a submission, and calls its answers.

The grader (``sandbox.run``) starts ``python -m lrcourse.grading.inside`` inside bubblewrap, with
a request on stdin. This process

1. takes the uid the grader chose for this sandbox when it started as root (dropping every
   capability), and the process limit (``RLIMIT_NPROC``, which counts per uid, or per user
   namespace: in either case, this sandbox's processes alone);
2. runs the notebook top to bottom in a fresh kernel, under per-cell and total time limits and an
   output cap (the executed notebook is for the teaching assistant and the student);
3. asks that same kernel, where the notebook's definitions now live, to call each answer on its
   inputs (``call_answers``: one fork per exercise, so a crash, a hang or ``os._exit`` in one
   answer costs only that answer);
4. writes one JSON reply to its stdout: the executed notebook, notes on the run, and what each
   answer returned, encoded by ``values``.

Everything here runs as the student's code does, so the grader trusts none of it: it validates
the reply and judges the values itself. The request carries inputs only: the expected values,
which inputs are hidden cases, and the grading specs never enter the sandbox. Inside it,
``lrcourse`` is a stripped copy (``sandbox.package_view``): this module, ``runner``, ``values``,
a ``check`` that only says the grader will judge, and the modules a lecture allows.
"""

import asyncio
import json
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import time
from queue import Empty

from . import runner

MAX_EVENTS = 1_000_000  # bytes of outcomes accepted from one exercise (the largest right one: 8 KB)
MAX_OUTCOME = 200_000  # bytes of one case's outcome; a larger result is described by its shape
HOME = "/grading"  # the sandbox's private scratch folder (a size-limited tmpfs)


def check(exercise_id, answer):
    """The sandbox's stand-in for ``lrcourse.check.check``: the grader judges, outside."""
    print(f"{exercise_id}: graded by lrcourse-grade; its verdict replaces this line.")


def grade(exercise_id, answer, hidden=False):
    """The stand-in for nbgrader's test cells (``lrcourse.check.grade``): nothing to do here."""


def read_regular(path, most=8 * MAX_EVENTS):
    """The bytes of ``path`` if it is a regular file, else OSError: the notebook's code shares
    this folder, and a FIFO or a symlink in place of a file must not make us wait or wander."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return f.read(most + 1)


# --- calling the answers, inside the kernel -----------------------------------------------------


def _answer(fn, job, fd):
    """In a forked child: call ``fn`` on each case; one JSON line per outcome to pipe ``fd``."""
    with os.fdopen(fd, "w", encoding="utf-8") as events:
        for args in job["cases"]:
            outcome = runner.call_case(fn, args, job["time_limit"])
            line = json.dumps(outcome, allow_nan=False)
            if len(line) > MAX_OUTCOME:  # far larger than any right answer: its shape will do
                result = outcome["result"] or {}
                shape = result.get("shape") if isinstance(result.get("shape"), list) else []
                outcome["result"] = {"kind": "too_big", "shape": shape, "container": "result"}
                line = json.dumps(outcome, allow_nan=False)
            events.write(line + "\n")
            events.flush()
            if outcome["timeout"] or outcome["error"]:
                break  # the verdict stops at this case; the rest would only cost time


def _collect(pid, pipe, seconds):
    """Read a child's outcomes; kill it past ``seconds``. Returns (outcomes, exit code, killed)."""
    deadline, data, killed = time.monotonic() + seconds, b"", False
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or len(data) > MAX_EVENTS:
                killed = True
                break
            if not selector.select(timeout=left):
                continue
            chunk = os.read(pipe, 1 << 16)
            if not chunk:
                break
            data += chunk
    os.close(pipe)
    if killed:
        os.kill(pid, signal.SIGKILL)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    outcomes = []
    for line in data.split(b"\n"):
        try:
            outcomes.append(json.loads(line))
        except ValueError:
            break  # a torn last line from a killed child
    return outcomes, code, killed


def call_answers(namespace, request_path, reply_path):
    """Call every exercise's function from ``namespace`` (the notebook's globals) on its cases.

    Called in the kernel once the notebook has run. Writes {exercise id: what happened}."""
    jobs = json.loads(read_regular(request_path))["exercises"]
    reply = {}
    for job in jobs:
        fn = namespace.get(job["function"])
        if not callable(fn):
            reply[job["id"]] = {"defined": False}
            continue
        read, write = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child: one exercise, then exit without running anyone's atexit
            try:
                os.close(read)
                _answer(fn, job, write)
            finally:
                os._exit(0)
        os.close(write)
        outcomes, code, killed = _collect(pid, read, job["wall"])
        reply[job["id"]] = {"defined": True, "outcomes": outcomes, "exit": code, "killed": killed}
    if os.path.lexists(reply_path):
        os.unlink(reply_path)
    fd = os.open(reply_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(reply, f)


# --- running the notebook -----------------------------------------------------------------------


def _client(nb, limits):
    """An nbclient that keeps at most ``limits["output_kb"]`` of output and stops a flood."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_output

    class Client(NotebookClient):
        kept, flooded, cell = 0, (), None  # cell: the index of the cell running now

        def _keep(self, size, outs, cell_index):
            """True when ``size`` more characters fit under the cap; else stop the cell."""
            if self.kept + size <= limits["output_kb"] * 1024:
                self.kept += size
                return True
            if cell_index not in self.flooded:
                self.flooded = (*self.flooded, cell_index)
                text = f"[grader: output beyond {limits['output_kb']} KB dropped; cell stopped]\n"
                outs.append(new_output("stream", name="stderr", text=text))
                asyncio.ensure_future(self.km.interrupt_kernel())  # stop it at its source
            return False

        def output(self, outs, msg, display_id, cell_index):
            if self._keep(len(str(msg.get("content", ""))), outs, cell_index):
                return super().output(outs, msg, display_id, cell_index)
            return None

        def _update_display_id(self, display_id, msg):
            # An update rewrites every output shown with this display_id, never passing through
            # ``output``: it costs its size once for each of them.
            places = sum(map(len, self._display_id_map.get(display_id, {}).values()))
            size = len(str(msg.get("content", ""))) * places
            if self.cell is None or self._keep(size, self.nb.cells[self.cell].outputs, self.cell):
                super()._update_display_id(display_id, msg)

    return Client(
        nb,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeout",
            "evalue": f"the cell ran longer than {limits['cell_timeout']:g} s and was interrupted",
        },
        iopub_timeout=2,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": HOME}},
        record_timing=False,
    )


async def _responsive(client, seconds=2.0):
    """True when the kernel answers a kernel_info request within ``seconds`` (it is idle)."""
    msg_id = client.kc.kernel_info()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await client.kc.get_shell_msg(timeout=left)
        except Empty:
            return False
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return True
    return False


CALL = (
    "__import__('lrcourse.grading.inside', fromlist=['call_answers'])"
    f".call_answers(globals(), '{HOME}/request.json', '{HOME}/answers.json')"
)


async def _run(client, nb, limits, notes):
    """Run every cell, then call the answers in the same kernel. True when the answers ran."""
    from nbclient.exceptions import DeadKernelError
    from nbformat.v4 import new_code_cell

    deadline = time.monotonic() + limits["timeout"]
    async with client.async_setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            left = deadline - time.monotonic()
            if left <= 1:
                limit = f"{limits['timeout']:g} s"
                notes.append(f"the notebook ran out of time ({limit}) before cell {index + 1}")
                break
            client.timeout = int(max(1, min(limits["cell_timeout"], left)))
            client.cell, started = index, time.monotonic()
            try:
                await client.async_execute_cell(cell, index)
            except DeadKernelError:
                notes.append(
                    f"the kernel died in cell {index + 1} (it exited, or hit the memory or "
                    "CPU-time limit); later cells did not run, and functions they define were "
                    "not graded"
                )
                return False
            if time.monotonic() - started >= client.timeout and not await _responsive(client):
                # The interrupt did not stop it (the cell catches KeyboardInterrupt, say).
                notes.append(f"cell {index + 1} did not stop when interrupted; answers not graded")
                return False
        nb.cells.append(new_code_cell(CALL))  # nbclient records outputs by the cell's index
        client.cell = len(nb.cells) - 1
        client.timeout = int(limits["answers_wall"]) + 5
        try:
            await client.async_execute_cell(nb.cells[-1], len(nb.cells) - 1)
        except DeadKernelError:
            notes.append("the kernel died while the answers were called")
            return False
        finally:
            nb.cells.pop()
        return True


def _error_notes(nb, limits, flooded):
    """One sentence per cell that ended in an error."""
    notes = []
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        name = errors[0].get("ename") if errors else None
        where = f"cell {index + 1}"
        if index in flooded:
            notes.append(f"{where} printed more than {limits['output_kb']} KB and was stopped")
        elif name in ("KeyboardInterrupt", "CellTimeout"):
            notes.append(f"{where} ran longer than {limits['cell_timeout']:g} s and was stopped")
        elif name:
            notes.append(f"{where} raised {name}: {errors[0].get('evalue')}"[:300])
    return notes


def run(request):
    """Run the notebook and call the answers; the reply as a dict."""
    import nbformat

    nb = nbformat.from_dict(request["notebook"])
    limits, notes = request["limits"], []
    with open(f"{HOME}/request.json", "w") as f:
        json.dump({"exercises": request["exercises"]}, f)
    client = _client(nb, limits)
    try:
        asyncio.run(asyncio.wait_for(_run(client, nb, limits, notes), limits["timeout"] + 60))
    except (asyncio.TimeoutError, TimeoutError):
        notes.append(f"the notebook run was stopped after {limits['timeout']:g} s")
    except Exception as exc:  # a kernel that never started, a broken message, ...
        notes.append(f"the notebook could not be run to the end ({type(exc).__name__}: {exc})")
    try:
        answers = json.loads(read_regular(f"{HOME}/answers.json"))
    except (OSError, ValueError):
        answers = None
    why = notes[-1] if notes else "the kernel did not call them"
    reply = {"notebook": nb, "notes": notes + _error_notes(nb, limits, client.flooded)}
    return {**reply, "answers": answers, "no_answers": None if answers else why}


def main():
    # nbformat's schema checker imports the optional rfc3987_syntax, which builds a grammar at
    # import (1.5 s); our notebooks never use the "iri" format it checks, so treat it as absent.
    sys.modules.setdefault("rfc3987_syntax", None)
    request = json.loads(sys.stdin.buffer.read())
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the reply; fds 0, 1, 2 go nowhere
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    uid, processes = request.get("uid"), request.get("processes")
    if os.getuid() == 0 and uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # clears every capability: nothing here can regain root
    if processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    os.makedirs(f"{HOME}/home", exist_ok=True)
    json.dump(run(request), out)
    out.close()


if __name__ == "__main__":
    main()
