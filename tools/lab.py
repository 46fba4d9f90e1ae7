"""``make lab``: JupyterLab on the course, rooted at the repository, opening the first lecture.

    python tools/lab.py [JUPYTER LAB OPTIONS...]

- The server's root is the repository, not ``notebooks/`` (where ``jupyter lab
  notebooks/00_welcome.ipynb`` alone would put it), so that ``exercises/``, ``docs/`` and the
  README are in the file browser and the lectures' links to ``../exercises/`` resolve.
- As root, as in most containers and cloud images, it adds ``--allow-root``: Jupyter refuses to
  start as root without it.
- The course's lab asks nothing about Jupyter news: ``tools/jupyter/labconfig/page_config.json``
  disables the announcements plugin (the news popup and the update check). It is read through
  JUPYTER_CONFIG_PATH, which adds a folder to the user's Jupyter configuration without replacing
  it, so their own settings still apply and other labs are unchanged. The server itself fetches
  no news and checks for no updates either.

tests/test_lab.py starts the server with ``command()`` and ``environment()`` too, adding
``--no-browser`` and a port.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST_LECTURE = REPO / "notebooks" / "00_welcome.ipynb"
CONFIG = REPO / "tools" / "jupyter"


def running_as_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0  # Windows has no root


def command(*options, as_root=None):
    """The command line of ``make lab``, with extra ``jupyter lab`` options."""
    if as_root is None:
        as_root = running_as_root()
    return [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={REPO}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--allow-root"] if as_root else []),
        *options,
        str(FIRST_LECTURE),  # opened in the browser, as a path below the root
    ]  # fmt: skip


def environment(base=None):
    """``base`` (default: this process's environment) with the course's Jupyter config folder
    first on JUPYTER_CONFIG_PATH."""
    base = dict(os.environ if base is None else base)
    paths = [str(CONFIG), *filter(None, base.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    return {**base, "JUPYTER_CONFIG_PATH": os.pathsep.join(paths)}


if __name__ == "__main__":
    argv = command(*sys.argv[1:])
    # exec, not a child process: Ctrl-C and a test's terminate() reach Jupyter itself.
    os.execve(argv[0], argv, environment())
