"""Hostile and broken submissions, each a real notebook: make_cases.py DIR writes them.

Each case is made from solutions/01_gradient_descent.ipynb by replacing answer cells, adding cells
or tampering with check cells, as a student might (or might try). They are written when the tests
run (tests/test_grading_hostile.py holds the expected grade of each), so they always match the
current exercises; run this script to get them as files, to try the grader by hand:

    python tests/grading_cases/make_cases.py /tmp/hostile
    python -m lrcourse.grade /tmp/hostile --out /tmp/hostile-grades --timeout 20
"""

import copy
import json
import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "01_gradient_descent.ipynb"
EXERCISE = ROOT / "exercises" / "01_gradient_descent.ipynb"

GD, PATH, LR, KAPPA = "01.gd_step", "01.gradient_descent", "01.max_stable_lr", "01.condition_number"


def base(path=SOLUTION):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _index(nb, qid, role):
    tagged = (i for i, c in enumerate(nb.cells) if f"q:{qid}" in c.metadata.get("tags", []))
    return next(i for i in tagged if role in nb.cells[i].metadata["tags"])


def answer(nb, qid, source):
    nb.cells[_index(nb, qid, "answer")].source = dedent(source).strip()


def add(nb, source, after=None):
    """Add a code cell after the answer cell of exercise ``after``, or at the end."""
    cell = new_code_cell(dedent(source).strip())
    cell.id = f"added-{len(nb.cells)}"
    at = _index(nb, after, "answer") + 1 if after else len(nb.cells)
    nb.cells.insert(at, cell)


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def solved():
    nb = base()
    # Written differently: a helper and a global in their own cell, scratch cells around them.
    add(nb, "def eigenvalues(m):\n    return np.linalg.eigvalsh(m)\n\nSMALLEST = 0", after=LR)
    answer(
        nb,
        KAPPA,
        """
        def condition_number(hessian):
            ev = eigenvalues(hessian)
            return ev[-1] / ev[SMALLEST]
        """,
    )
    add(nb, "print(condition_number(np.diag([1.0, 4.0])))\nfor i in range(3):\n    print(i)")
    return nb


@case
def unsolved():
    return base(EXERCISE)


@case
def exceptions():
    nb = base()
    answer(
        nb,
        GD,
        """
        def gd_step(params, grads, lr):
            scale = lr / 0
            return params - scale
        """,
    )
    answer(nb, PATH, "def gradient_descent(hessian, x0, lr, steps):\n    return undefined_name")
    add(nb, "raise RuntimeError('a cell that fails')", after=GD)
    return nb


@case
def infinite_loop():
    nb = base()
    answer(nb, GD, "def gd_step(params, grads, lr):\n    while True:\n        pass")
    # Ignores the in-process alarm and swallows every exception: only a kill from outside stops it.
    answer(
        nb,
        PATH,
        """
        import signal

        def gradient_descent(hessian, x0, lr, steps):
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                try:
                    pass
                except BaseException:
                    pass
        """,
    )
    add(nb, "while True:\n    pass")
    return nb


@case
def exits():
    nb = base()
    answer(nb, GD, "import sys\n\ndef gd_step(params, grads, lr):\n    sys.exit(1)")
    answer(nb, PATH, "import os\n\ndef gradient_descent(hessian, x0, lr, steps):\n    os._exit(0)")
    add(nb, "sys.exit('leaving early')", after=GD)  # IPython reports it; the kernel lives on
    return nb


@case
def kills_its_kernel():
    nb = base()
    add(nb, "import os\n\nos._exit(3)")  # at the very end: nothing is left to call the answers
    return nb


@case
def memory_bomb():
    nb = base()
    answer(
        nb,
        GD,
        """
        def gd_step(params, grads, lr):
            hoard = []
            while True:
                hoard.append(bytearray(10**8))
        """,
    )
    add(nb, "big = []\nwhile True:\n    big.append(bytearray(10**8))", after=GD)
    return nb


@case
def print_flood():
    nb = base()
    answer(
        nb,
        GD,
        """
        def gd_step(params, grads, lr):
            for _ in range(10**5):
                print('x' * 99)
            return params - lr * grads
        """,
    )
    add(nb, "for _ in range(10**6):\n    print('y' * 99)")  # 100 MB
    return nb


@case
def monkeypatch():
    nb = base()
    answer(nb, GD, "def gd_step(params, grads, lr):\n    return params * 0")
    answer(nb, PATH, "def gradient_descent(hessian, x0, lr, steps):\n    return np.zeros((6, 2))")
    answer(nb, LR, "def max_stable_lr(hessian):\n    return 0.0")
    answer(nb, KAPPA, "def condition_number(hessian):\n    return 0.0")
    add(
        nb,
        """
        import json

        import lrcourse.check
        import lrcourse.grading.checker
        import lrcourse.grading.judge
        import lrcourse.grading.values
        from lrcourse.grading.judge import Verdict

        def fake(qid, answer):
            return Verdict(qid, "passed", qid + ": passed (5 cases)", 5, 5)

        lrcourse.check.check = lambda qid, answer: print(qid + ": passed")
        lrcourse.grading.checker.run_check = fake
        lrcourse.grading.judge.compare = lambda *a, **k: None
        lrcourse.grading.judge.judge = lambda ex, *a, **k: fake(ex.id, None)
        lrcourse.grading.values.encode = lambda v: {"kind": "array"}
        np.allclose = np.array_equal = lambda *a, **k: True
        np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
        np.testing.assert_allclose = lambda *a, **k: None
        open("grades.csv", "w").write("submission,total\\nme,100\\n")
        json.dumps = lambda *a, **k: '{"score": 100}'
        """,
        after=GD,
    )
    return nb


@case
def lying_objects():
    nb = base()
    add(
        nb,
        """
        class Liar:
            def __eq__(self, other):
                return True

            def __ne__(self, other):
                return False

            def __float__(self):
                return 10.0

            def __array__(self, dtype=None, copy=None):
                return np.zeros(2)

            def __len__(self):
                return 2

            def __iter__(self):
                return iter([0.0, 0.0])

            def __repr__(self):
                return "array([0.95, -2.05])"


        class LyingArray(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(other), bool)


        class LyingFloat(float):
            def __eq__(self, other):
                return True
        """,
        after=GD,
    )
    answer(nb, GD, "def gd_step(params, grads, lr):\n    return Liar()")
    answer(
        nb,
        PATH,
        """
        def gradient_descent(hessian, x0, lr, steps):
            return np.zeros((steps + 1, len(x0))).view(LyingArray)
        """,
    )
    answer(nb, LR, "def max_stable_lr(hessian):\n    return LyingFloat(0.0)")
    answer(nb, KAPPA, "def condition_number(hessian):\n    return [Liar()]")
    return nb


@case
def nan_and_types():
    nb = base()
    answer(nb, GD, "def gd_step(params, grads, lr):\n    return params * np.nan")
    answer(  # a list of lists is a fine answer
        nb,
        PATH,
        """
        def gradient_descent(hessian, x0, lr, steps):
            path = [list(x0)]
            for _ in range(steps):
                x = np.array(path[-1])
                path.append(list(x - lr * hessian @ x))
            return path
        """,
    )
    answer(nb, LR, "def max_stable_lr(hessian):\n    return True")
    answer(
        nb,
        KAPPA,
        """
        def condition_number(hessian):
            ev = np.linalg.eigvalsh(hessian)
            return np.array([ev[-1] / ev[0]])
        """,
    )
    return nb


@case
def mutates_inputs():
    nb = base()
    answer(nb, GD, "def gd_step(params, grads, lr):\n    params -= lr * grads\n    return params")
    answer(
        nb,
        PATH,
        """
        def gradient_descent(hessian, x0, lr, steps):
            x, path = x0, [x0.copy()]
            for _ in range(steps):
                x -= lr * hessian @ x
                path.append(x.copy())
            return np.array(path)
        """,
    )
    return nb


@case
def check_cells_tampered():
    nb = base()
    answer(  # the wrong sign: this must not pass, whatever its check cell prints
        nb,
        PATH,
        """
        def gradient_descent(hessian, x0, lr, steps):
            path = [x0]
            for _ in range(steps):
                path.append(path[-1] + lr * hessian @ path[-1])
            return np.array(path)
        """,
    )
    del nb.cells[_index(nb, GD, "check")]  # deleted
    nb.cells[_index(nb, PATH, "check")].source = 'print("01.gradient_descent: passed (6 cases)")'
    i = _index(nb, LR, "check")
    for k in range(2):  # duplicated (Jupyter gives a copied cell a new id)
        nb.cells.insert(i, copy.deepcopy(nb.cells[i]))
        nb.cells[i].id = f"copy-{k}"
    j = _index(nb, KAPPA, "check")  # untagged and emptied: counts as deleted
    nb.cells[j].metadata["tags"] = []
    nb.cells[j].source = "pass"
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    del nb.metadata["lrcourse"]
    return nb


@case
def syntax_error():
    nb = base()
    answer(nb, GD, "def gd_step(params, grads, lr)\n    return params - lr * grads")
    del nb.cells[_index(nb, PATH, "answer")]  # and an answer cell deleted
    return nb


# --- attacks on the grader, the teaching assistant and the other students ------------------------
#
# Each answer below is right only if the attack works, so the score says whether it did. TARGETS
# holds what the attacks aim at; the test fills it in before writing the cases.
TARGETS = {"port": 9, "secrets": [], "folders": [], "marker": "lrcourse-hostile-daemon"}
RIGHT = "params - lr * grads"
WRONG = "params * 0"


@case
def kill_grader():
    nb = base()
    add(
        nb,
        """
        import os
        import signal

        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        os.kill(-1, signal.SIGKILL)  # every process this user may signal
        """,
    )
    return nb


@case
def tamper_with_the_grader():
    nb = base()
    add(
        nb,
        """
        import os
        import sys

        import lrcourse

        roots = {os.path.dirname(lrcourse.__file__)}
        roots |= {os.path.join(p, "lrcourse") for p in sys.path if p}
        for root in roots:
            for rel in ("grading/ex01.py", "grading/spec.py", "grading/judge.py", "check.py"):
                try:
                    with open(os.path.join(root, rel), "a") as f:
                        f.write("\\nraise SystemExit('tampered')\\n")
                except OSError as exc:
                    print(rel, type(exc).__name__)
        """,
    )
    return nb


@case
def reach_the_network():
    nb = base()
    port = TARGETS["port"]
    add(nb, f"import socket\n\nPORT = {port}", after=GD)
    answer(
        nb,
        GD,
        f"""
        def gd_step(params, grads, lr):
            try:  # to a server on the grader's loopback, 127.0.0.1:PORT
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                return {RIGHT}
            except OSError:
                return {WRONG}
        """,
    )
    add(nb, "try:\n    socket.create_connection(('127.0.0.1', PORT), timeout=1).sendall(b'hi')\n"
            "except OSError as exc:\n    print(exc)")  # fmt: skip
    return nb


@case
def read_other_files():
    nb = base()
    add(nb, f"SECRETS = {TARGETS['secrets']!r}\nFOLDERS = {TARGETS['folders']!r}", after=GD)
    answer(
        nb,
        GD,
        f"""
        def gd_step(params, grads, lr):
            for path in SECRETS:  # a neighbour's submission, a file in the TA's home
                try:
                    with open(path) as f:
                        f.read()
                    return {RIGHT}
                except OSError:
                    pass
            return {WRONG}
        """,
    )
    add(
        nb,
        """
        import os

        for folder in FOLDERS:  # the submissions and the output folder: try to leave a file
            try:
                with open(os.path.join(folder, "planted.txt"), "w") as f:
                    f.write("I was here")
            except OSError as exc:
                print(type(exc).__name__)
        """,
    )
    return nb


@case
def leave_a_process_running():
    nb = base()
    marker = TARGETS["marker"]
    add(
        nb,
        f"""
        import subprocess
        import sys

        # A new session and a double fork: no longer a child of the kernel, nor in its group.
        code = "import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(600)"
        subprocess.Popen([sys.executable, "-c", code, "{marker}"], start_new_session=True)
        """,
    )
    return nb


@case
def reference_in_disguise():
    nb = base()
    answer(
        nb,
        GD,
        """
        def gd_step(params, grads, lr):
            name = "".join(map(chr, [108, 114, 99, 111, 117, 114, 115, 101])) + ".optim" + "izers"
            opt = __import__(name, fromlist=["s" + "gd"]).sgd(lr=lr)
            return opt.step(params, grads, opt.init(params))[0]
        """,
    )
    return nb


def _hard_coded(exercise):
    """An answer that returns the reference's value for each visible case: a lookup table."""
    import numpy as np

    def key(values):
        return repr([np.asarray(v).tolist() for v in values])

    table = {
        key(case.values()): np.asarray(exercise.reference(*case.values())).tolist()
        for case in exercise.cases
    }
    fn, names = exercise.function, ", ".join(exercise.parameters)
    return f"""
        TABLE_{fn} = {table!r}

        def {fn}({names}):
            key = repr([np.asarray(v).tolist() for v in ({names},)])
            return np.array(TABLE_{fn}.get(key, next(iter(TABLE_{fn}.values()))))
        """


@case
def hard_coded_answers():
    from lrcourse.grading import spec

    nb = base()
    for exercise in spec.lectures()["01"].exercises:
        answer(nb, exercise.id, _hard_coded(exercise))
    return nb


def write_all(folder):
    """Write every case into ``folder``; returns the list of paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in CASES.items():
        paths.append(folder / f"{name}.ipynb")
        nbformat.write(build(), paths[-1])
    text = json.dumps(json.loads(nbformat.writes(base())), indent=1)
    paths.append(folder / "invalid_json.ipynb")
    paths[-1].write_text(text[: len(text) // 2])  # cut off mid-save
    paths.append(folder / "not_a_notebook.ipynb")
    paths[-1].write_text('{"hello": "world"}\n')
    return paths


if __name__ == "__main__":
    written = write_all(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    print(f"wrote {len(written)} notebooks to {written[0].parent}")
