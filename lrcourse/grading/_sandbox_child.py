"""The grader's sandbox: a fresh Python process that defines learner functions and calls them.

Started by ``sandbox.run_answers`` as ``python -I _sandbox_child.py`` with a JSON request on
stdin. It loads only ``values`` and ``runner`` (the standard library and NumPy), so nothing the
learner's notebook did to ``numpy``, ``check`` or the grader exists here. It limits its own
memory, CPU time and file size, then forks one child per exercise: each child starts from this
clean state, defines one function (and what it uses), calls it on the cases, and exits, so an
exercise's crash, endless loop or monkeypatching cannot reach another exercise. Every print of
the learner's code goes to /dev/null. Each child writes its events to a pipe of its own; this
process stamps them with the child's exercise id and passes them on, as JSON lines, to a private
copy of stdout:

    {"event": "loaded", "id": ..., "errors": [...]}   the definitions ran (errors: which failed)
    {"event": "missing", "id": ...}                   no callable with the function's name
    {"event": "case", "id": ..., "outcome": {...}}    one per case, from runner.call_case
    {"event": "done", "id": ...}                      the child finished normally
    {"event": "exit", "id": ..., "status": ..., "killed": ...}   how the child ended

The grader trusts none of it beyond its JSON, and judges the results itself.
"""

import ast
import builtins
import json
import linecache
import os
import resource
import selectors
import signal
import sys
import time

MAX_EVENTS = 20_000_000  # bytes of events accepted from one child
runner = None  # set by main(): the sibling module, imported by path (this file is a script)


def _private_stdout():
    """Our own copy of stdout; fds 0, 1 and 2 then point at /dev/null for the learner's code."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    return out


def _limit(limits):
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def _load(cells, program, seconds):
    """Run the chosen definitions; return the namespace and the errors, each with its line."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    errors, parsed = [], {}
    for cell, number in program:
        if cell not in parsed:
            text = cells[str(cell)]
            filename = f"<cell {cell + 1}>"  # cells are numbered from 1 in every message
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            parsed[cell] = (filename, ast.parse(text).body)
        filename, body = parsed[cell]
        code = compile(ast.Module([body[number]], type_ignores=[]), filename, "exec")
        try:
            with runner.time_limit(seconds):
                exec(code, namespace)
        except runner.TimeLimit:
            errors.append({"type": "TimeLimit", "message": "took too long", "where": filename})
        except BaseException as exc:  # the definitions of a learner's notebook may fail
            errors.append(runner._describe_exception(exc))
    return namespace, errors


def _exercise(request, job, emit):
    """In a forked child: define the function, call it on each case, stop at the first failure."""
    namespace, errors = _load(request["cells"], job["program"], job["time_limit"] * 5)
    emit(event="loaded", errors=errors[:5])
    fn = namespace.get(job["function"])
    if not callable(fn):
        emit(event="missing")
    else:
        for args in job["cases"]:
            outcome = runner.call_case(fn, args, job["time_limit"])
            emit(event="case", outcome=outcome)
            if outcome["timeout"] or outcome["error"]:
                break  # the verdict stops at this case; the rest would only cost time
    emit(event="done")


def _child(request, job, fd):
    """The body of a forked child: run the exercise, writing events to the pipe ``fd``."""
    events = os.fdopen(fd, "w", encoding="utf-8")

    def emit(**event):
        events.write(json.dumps(event, allow_nan=False) + "\n")
        events.flush()

    _exercise(request, job, emit)


def _relay(pid, pipe, qid, out, seconds):
    """Pass the child's events on, stamped with its exercise id; kill it past ``seconds``.

    Each child writes only to its own pipe, and the id is ours, so code run for one exercise
    cannot speak for another. Returns (wait status, killed)."""
    deadline, buffer, total = time.monotonic() + seconds, b"", 0
    killed = False
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or total > MAX_EVENTS:
                killed = True
                break
            if not selector.select(timeout=left):
                continue
            chunk = os.read(pipe, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            *lines, buffer = (buffer + chunk).split(b"\n")
            for line in lines:
                try:
                    event = json.loads(line)
                    out.write(json.dumps({**event, "id": qid}, allow_nan=False) + "\n")
                except (ValueError, TypeError):
                    killed = True  # not our JSON: stop listening to this child
                    break
            out.flush()
            if killed:
                break
    os.close(pipe)
    if killed:
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1], killed


def main():
    global runner
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import runner

    request = json.loads(sys.stdin.read())
    out = _private_stdout()
    for path in request.get("paths", []):
        sys.path.append(path)
    _limit(request["limits"])  # inherited by every child; each child's CPU clock starts at 0
    for job in request["exercises"]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read)
                out.close()  # the child gets its own pipe, and no way to our stdout
                _child(request, job, write)
            finally:
                os._exit(0)  # skip atexit handlers and finalizers the learner's code set up
        os.close(write)
        status, killed = _relay(pid, read, job["id"], out, job["wall"])
        code = os.waitstatus_to_exitcode(status)
        out.write(json.dumps({"event": "exit", "id": job["id"], "status": code, "killed": killed}))
        out.write("\n")
        out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
