"""Execute notebooks in place so their stored outputs are what strict nbval will compare.

    python tools/run_notebooks.py notebooks/03_step_decay.ipynb [more.ipynb ...]
    python tools/run_notebooks.py --check notebooks/*.ipynb   # execute a copy, report, save nothing

Runs each notebook top to bottom in a fresh kernel from its own folder (as nbval does), with the
environment fixed for determinism, prints its run time, and fails if any cell raised or wrote to
stderr (a warning on stderr would break strict nbval later).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def run(path, save=True, timeout=120):
    """Execute one notebook; returns (seconds, problems)."""
    nb = nbformat.read(path, as_version=4)
    os.environ.update(ENV)
    # Live widget state is not stored: it is large (every explorer's PNG again) and useless
    # without a kernel; each explorer's output carries a still image for code hosts instead.
    nb.metadata.pop("widgets", None)
    client = NotebookClient(
        nb,
        store_widget_state=False,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    start = time.perf_counter()
    problems = []
    try:
        client.execute()
    except Exception as error:  # a cell raised: report it, keep going with the next notebook
        problems.append(f"execution failed: {str(error).strip().splitlines()[-1]}")
    seconds = time.perf_counter() - start
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                problems.append(f"cell {index} wrote to stderr: {out['text'][:200]!r}")
    if save and not problems:
        nbformat.write(nb, path)
    return seconds, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="execute but do not save")
    args = parser.parse_args(argv)
    failed = False
    total = 0.0
    for path in args.notebooks:
        seconds, problems = run(path, save=not args.check)
        total += seconds
        status = "ok" if not problems else "FAILED"
        print(f"{path}: {seconds:.1f} s {status}")
        for problem in problems:
            print(f"    {problem}")
        failed |= bool(problems)
    print(f"total: {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
