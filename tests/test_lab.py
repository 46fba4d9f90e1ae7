"""``make lab`` (tools/lab.py): the server is rooted at the repository and opens the first lecture,
runs as root with --allow-root, asks nothing about Jupyter news, and every relative link between
lectures, exercises and docs resolves inside it.

The server is started as ``make lab`` starts it, plus --no-browser, a free port on 127.0.0.1 and
a known token; then it is asked through its REST API (``/api/contents/...``) for what a learner
would click on.
"""

import importlib.util
import json
import os
import posixpath
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from browser.lab import free_port

ROOT = Path(__file__).resolve().parents[1]
LAB_SCRIPT = ROOT / "tools" / "lab.py"
# Where the links are: the notebooks' markdown cells, and the Markdown pages Lab opens.
LINKED = [
    *sorted(ROOT.glob("notebooks/*.ipynb")),
    *sorted(ROOT.glob("exercises/*.ipynb")),
    *sorted(ROOT.glob("solutions/*.ipynb")),
    *sorted(ROOT.glob("docs/*.md")),
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
]
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)  # links shown as code are not links
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _load_lab_script():
    module_spec = importlib.util.spec_from_file_location("lab_script", LAB_SCRIPT)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


lab_script = _load_lab_script()


def markdown(path):
    if path.suffix == ".md":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def relative_links(path):
    """(link, path below the repository it points to) for every relative link in ``path``."""
    links = []
    for target in LINK.findall(CODE.sub("", markdown(path))):
        if target.startswith(("http:", "https:", "mailto:", "#")):
            continue
        folder = path.parent.relative_to(ROOT).as_posix()
        links.append((target, posixpath.normpath(posixpath.join(folder, target.split("#")[0]))))
    return links


class Lab:
    """The server of ``make lab``, started by tools/lab.py, and its REST API."""

    def __init__(self, tmp, prefix=()):
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.runtime = tmp / "runtime"  # its server-info and open-in-browser files, kept apart
        self.log = tmp / "lab.log"
        port = self.url.rsplit(":", 1)[1]
        command = [
            *prefix, sys.executable, str(LAB_SCRIPT),
            "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
        ]  # fmt: skip
        env = {**lab_script.environment(), "JUPYTER_RUNTIME_DIR": str(self.runtime)}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_until_up(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"make lab's server exited at startup; its log:\n{self.read_log()}")
            try:
                self.get("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"make lab's server did not answer in {timeout} s; its log:\n{self.read_log()}")

    def get(self, path):
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.read().decode()

    def contents(self, path):
        """What Lab's file browser gets for ``path`` (below the root), or None if it is not
        there."""
        try:
            return json.loads(self.get(f"/api/contents/{urllib.parse.quote(path)}?content=0"))
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def listing(self, folder):
        reply = json.loads(self.get(f"/api/contents/{urllib.parse.quote(folder)}"))
        return {entry["name"]: entry["type"] for entry in reply["content"]}

    def read_log(self):
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("make_lab"))
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def test_served_from_the_repository_and_opening_the_first_lecture(lab):
    root = lab.listing("")
    assert root.get("notebooks") == "directory"
    assert root.get("exercises") == "directory"
    assert root.get("docs") == "directory"
    assert root.get("README.md") == "file"
    (info,) = lab.runtime.glob("jpserver-*[0-9].json")
    assert Path(json.loads(info.read_text())["root_dir"]) == ROOT
    # What the browser is sent to (with --no-browser, the file it would have been given).
    (opener,) = lab.runtime.glob("jpserver-file-to-run-*-open.html")
    assert "/lab/tree/notebooks/00_welcome.ipynb" in opener.read_text()


def test_a_lecture_an_exercise_and_the_docs_are_reachable(lab):
    assert lab.contents("notebooks/01_gradient_descent.ipynb")["type"] == "notebook"
    assert lab.contents("exercises/01_gradient_descent.ipynb")["type"] == "notebook"
    docs = lab.listing("docs")
    assert docs.get("grading.md") == "file" and docs.get("instructors.md") == "file"


def test_a_lecture_link_to_its_exercise_resolves(lab):
    lecture = ROOT / "notebooks" / "01_gradient_descent.ipynb"
    links = [(t, p) for t, p in relative_links(lecture) if t.startswith("../exercises/")]
    assert links, "lecture 01 has no link to its exercises"
    target, path = links[0]
    assert path == "exercises/01_gradient_descent.ipynb"
    assert lab.contents(path)["type"] == "notebook"


def test_every_relative_link_resolves_inside_lab(lab):
    links = [(p, t, resolved) for p in LINKED for t, resolved in relative_links(p)]
    assert len(links) > 100  # the lectures alone link each other and their exercises
    broken = [
        f"{p.relative_to(ROOT)}: ({target})"
        for p, target, resolved in links
        if resolved.startswith("..") or lab.contents(resolved) is None
    ]
    assert broken == []


def test_no_news_popup_and_no_update_check(lab):
    page = lab.get("/lab")
    config = json.loads(
        re.search(r'id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
    assert config["news"] == {"disabled": True}


def test_a_normal_user_starts_it_too(lab, tmp_path):
    if not lab_script.running_as_root():
        return  # the server of the other tests already runs as a normal user
    # As root, a user namespace in which this process is uid 1000 plays the normal user.
    as_user = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
    probe = subprocess.run([*as_user, "id", "-u"], capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "1000":
        pytest.skip(f"unshare cannot make a user namespace here: {probe.stderr.strip()}")
    server = Lab(tmp_path, prefix=as_user)
    try:
        server.wait_until_up()
        assert server.contents("exercises/01_gradient_descent.ipynb")["type"] == "notebook"
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"--allow-root" not in cmdline and b"jupyterlab" in cmdline
    finally:
        server.stop()


def test_allow_root_only_as_root():
    assert "--allow-root" in lab_script.command(as_root=True)
    assert "--allow-root" not in lab_script.command(as_root=False)
    # The file to open comes last: jupyter reads it as the positional argument.
    assert lab_script.command("--no-browser")[-1] == str(ROOT / "notebooks" / "00_welcome.ipynb")


def test_the_course_config_comes_first_and_keeps_the_users():
    env = lab_script.environment({"JUPYTER_CONFIG_PATH": "/etc/mine"})
    course = str(ROOT / "tools" / "jupyter")
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [course, "/etc/mine"]
    assert "JUPYTER_CONFIG_DIR" not in env  # the user's own config folder stays theirs
