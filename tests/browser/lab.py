"""A throwaway JupyterLab server for browser tests.

The server runs from this Python (so its kernels import this checkout of lrcourse), on a free
port, without a token, in a temporary root laid out like the repository: ``notebooks/`` holds
copies of the notebooks under test (Lab may save a notebook it ran; the originals must keep
their reviewed outputs), everything else is a link to the checkout. Its settings,
workspaces and runtime files live in that root too, so a test run neither reads nor changes the
developer's own Jupyter setup. The settings turn off notebook windowing (so cells scrolled out of
view still exist in the page and can be inspected) and the news and update checks (which would
try to reach the internet).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """``with JupyterLab(root, notebooks) as lab:`` serves copies of the notebooks at
    ``lab.url``, as ``notebooks/<name>``."""

    def __init__(self, root, notebooks, startup_timeout=90):
        self.root = Path(root)
        self.notebooks = [Path(nb) for nb in notebooks]
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.root / "jupyterlab.log"
        self.process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        served = self.root / "served"
        (served / "notebooks").mkdir(parents=True)
        for notebook in self.notebooks:
            shutil.copy(notebook, served / "notebooks" / notebook.name)
        for entry in (REPO / "notebooks").iterdir():  # what the lectures read (data/)
            if entry.suffix != ".ipynb" and not entry.name.startswith("."):
                (served / "notebooks" / entry.name).symlink_to(entry)
        # The rest of the checkout is linked, not copied, so that a notebook's relative paths
        # (../tests/reference/...) lead where they do in the repository.
        for entry in REPO.iterdir():
            if entry.name != "notebooks" and not entry.name.startswith("."):
                (served / entry.name).symlink_to(entry)
        for plugin, values in SETTINGS.items():
            path = self.root / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {
            **os.environ,
            "JUPYTERLAB_SETTINGS_DIR": str(self.root / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.root / "workspaces"),
            "JUPYTER_CONFIG_DIR": str(self.root / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.root / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        env.pop("MPLBACKEND", None)  # kernels must use the inline backend
        command = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            "--allow-root",  # containers often run tests as root
            "--LabApp.extension_manager=readonly",  # no PyPI queries for the extension panel
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
            f"--ServerApp.root_dir={served}",
        ]  # fmt: skip
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()

    def _wait_until_up(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at startup; its log:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"JupyterLab did not answer within {self.startup_timeout} s; its log:\n"
            + self.read_log()
        )

    def kernels(self):
        """The server's running kernels, as its REST API lists them."""
        with urllib.request.urlopen(f"{self.url}/api/kernels", timeout=5) as reply:
            return json.load(reply)

    def read_log(self):
        return self.log.read_text(errors="replace")[-5000:] if self.log.exists() else ""

    def stop(self):
        """Stop the server (and with it its kernels), politely first."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
