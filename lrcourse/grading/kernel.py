"""Run a submitted notebook top to bottom in a kernel of its own, under limits.

The run gives the teaching assistant and the student an executed notebook (with the pristine check
cells' feedback in it) and notes such as "cell 7 raised NameError". It does not decide the score:
answers are evaluated in the grader's sandbox (see ``sandbox``).

Limits: the kernel process gets the memory, CPU-time and file-size limits (set by a tiny launcher
that then execs ipykernel), each cell a wall-clock limit after which the kernel is interrupted, the
whole run a wall-clock limit after which the kernel is killed, and the stored output a size limit.
The kernel talks to us over local IPC sockets, not TCP, and whatever kernel the notebook's metadata
names, it runs the grader's own Python.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
from queue import Empty

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output

# Runs before the kernel: note its pid (the kernel's, and the id of its process group) where the
# batch grader will look, set the limits, then become the kernel (pid and limits carry over).
_LAUNCHER = (
    "import json, os, resource, sys\n"
    "if sys.argv[2]:\n"
    "    with open(sys.argv[2], 'a') as f:\n"
    "        f.write(f'{os.getpid()}\\n')\n"
    "for name, value in json.loads(sys.argv[1]).items():\n"
    "    resource.setrlimit(getattr(resource, name), (value, value))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class LimitedKernelManager(AsyncKernelManager):
    """The grader's own Python kernel, started through the limiting launcher."""

    rlimits_json = "{}"
    pid_file = ""

    def format_kernel_cmd(self, extra_arguments=None):
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]
        return [sys.executable, "-c", _LAUNCHER, self.rlimits_json, self.pid_file, *kernel]


class LimitedClient(NotebookClient):
    """nbclient that keeps at most ``max_output_bytes`` of output and interrupts a flood."""

    max_output_bytes = 512 * 1024
    _kept = 0
    flooded = ()  # indices of the cells stopped for printing too much

    def output(self, outs, msg, display_id, cell_index):
        size = len(str(msg.get("content", "")))
        if self._kept + size <= self.max_output_bytes:
            self._kept += size
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self.flooded:
            self.flooded = (*self.flooded, cell_index)
            text = (
                f"[grader: output beyond {self.max_output_bytes // 1024} KB dropped; "
                "the cell was interrupted]\n"
            )
            outs.append(new_output("stream", name="stderr", text=text))
            # Stop the flood at its source instead of reading it all.
            asyncio.ensure_future(self.km.interrupt_kernel())
        return None


async def _execute(client, nb, limits, deadline, notes, on_start):
    async with client.async_setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        if on_start:
            on_start(client.km.provisioner.process.pid)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            left = deadline - time.monotonic()
            if left <= 1:
                notes.append(
                    f"the notebook ran out of time ({limits.timeout:g} s) before cell {index + 1}"
                )
                break
            client.timeout = int(max(1, min(limits.cell_timeout, left)))
            started = time.monotonic()
            try:
                await client.async_execute_cell(cell, index)
            except DeadKernelError:
                notes.append(
                    f"the kernel died in cell {index + 1} (it exited, or hit the memory or "
                    "CPU-time limit); later cells did not run"
                )
                break
            if time.monotonic() - started >= client.timeout and not await _responsive(client):
                # The interrupt did not stop it (the cell catches KeyboardInterrupt, say): every
                # later cell would only wait in the kernel's queue until its own timeout.
                notes.append(
                    f"cell {index + 1} did not stop when interrupted; later cells did not run"
                )
                break


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


def run_notebook(nb, workdir, limits, on_start=None, pid_file=None):
    """Execute ``nb`` (an nbformat NotebookNode) in place; return a list of notes in words.

    The kernel appends its pid to ``pid_file`` as it starts; ``on_start(pid)`` is called once it
    is up."""
    notes = []
    km = LimitedKernelManager(kernel_name="python3", transport="ipc")
    km.ip = os.path.join(workdir, "kernel-ipc")  # ipc socket files live in the work folder
    km.connection_file = os.path.join(workdir, "kernel.json")
    km.rlimits_json = json.dumps(limits.rlimits())
    km.pid_file = pid_file or ""
    client = LimitedClient(
        nb,
        km=km,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeout",
            "evalue": f"the cell ran longer than {limits.cell_timeout:g} s and was interrupted",
        },
        iopub_timeout=2,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": workdir}},
        record_timing=False,
    )
    client.max_output_bytes = int(limits.output_kb) * 1024
    deadline = time.monotonic() + limits.timeout
    try:
        asyncio.run(
            asyncio.wait_for(
                _execute(client, nb, limits, deadline, notes, on_start), limits.timeout + 15
            )
        )
    except (asyncio.TimeoutError, TimeoutError):
        notes.append(f"the notebook run was stopped after {limits.timeout:g} s")
    except Exception as exc:  # a kernel that never started, a broken message, ...
        notes.append(f"the notebook could not be run to the end ({type(exc).__name__}: {exc})")
    return notes + _error_notes(nb, limits, client.flooded)


def _error_notes(nb, limits, flooded):
    """One sentence per cell that ended in an error."""
    notes = []
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        name = errors[0].get("ename") if errors else None
        where = f"cell {index + 1}"
        if index in flooded:
            notes.append(f"{where} printed more than {limits.output_kb} KB and was stopped")
        elif name in ("KeyboardInterrupt", "CellTimeout"):
            notes.append(f"{where} ran longer than {limits.cell_timeout:g} s and was stopped")
        elif name:
            notes.append(f"{where} raised {name}: {errors[0].get('evalue')}"[:300])
    return notes
