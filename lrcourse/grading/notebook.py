"""Exercise notebooks as the grader sees them: tagged cells, pristine checks, and answer programs.

Cells carry tags in their metadata:

    setup                 imports and settings the exercises rely on
    answer, q:<id>        the learner's function for exercise <id>
    check, q:<id>         the check cell: exactly ``Exercise.check_source()``, never edited

``read`` reads a submission without trusting it; ``restore_checks`` puts the pristine check
cells back; ``prepare`` gives the notebook the sandbox runs; ``show_verdicts`` writes the grader's
verdicts into the check cells of the notebook that ran, where the student reads them.
"""

import errno
import json
import os
import re
import stat

from . import spec

CHECK, ANSWER, SETUP = "check", "answer", "setup"


def tags(cell):
    found = cell.get("metadata", {}).get("tags")
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def qid(cell):
    """The exercise id a cell is tagged with (``q:01.gd_step``), or None."""
    return next((t[2:] for t in tags(cell) if isinstance(t, str) and t.startswith("q:")), None)


def source(cell):
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def lecture_of(nb, filename=""):
    """The lecture number ("01") a notebook belongs to, or None.

    Tried in order: the notebook metadata the generator writes, the ``q:`` tags and ``check("..")``
    calls in its cells, then a ``NN_`` in the file name."""
    known = spec.lectures()
    meta = nb.get("metadata", {}).get("lrcourse", {})
    if isinstance(meta, dict) and str(meta.get("lecture")) in known:
        return str(meta["lecture"])
    votes = {}
    for cell in nb.get("cells", []):
        found = [qid(cell)] + re.findall(r"""check\(\s*["'](\d\d)\.""", source(cell))
        for q in filter(None, found):
            number = q.partition(".")[0]
            if number in known:
                votes[number] = votes.get(number, 0) + 1
    if votes:
        return max(sorted(votes), key=votes.get)
    for number in re.findall(r"(?<!\d)(\d\d)_", filename):
        if number in known:
            return number
    return None


def check_cell(exercise):
    """A fresh, locked check cell for ``exercise``."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"check-{exercise.function}".replace("_", "-"),
        "metadata": {
            "tags": [CHECK, f"q:{exercise.id}"],
            "editable": False,
            "deletable": False,
        },
        "outputs": [],
        "source": exercise.check_source(),
    }


def restore_checks(nb, lecture):
    """Put back the pristine check cell of every exercise of ``lecture``; return what changed.

    A check cell whose source was edited is rewritten; a duplicate is dropped; a deleted one is
    inserted after the cell that defines its function (or at the end). Cells that merely call
    ``check`` without the tag are the learner's own and stay."""
    changes = {"edited": [], "duplicated": [], "deleted": [], "unknown": []}
    exercises = {e.id: e for e in lecture.exercises}
    seen, cells = set(), []
    for cell in nb["cells"]:
        if CHECK in tags(cell) and cell.get("cell_type") == "code":
            q = qid(cell)
            if q not in exercises:
                changes["unknown"].append(str(q))
                continue
            if q in seen:
                changes["duplicated"].append(q)
                continue
            seen.add(q)
            fresh = check_cell(exercises[q])
            if source(cell) != fresh["source"]:
                changes["edited"].append(q)
            cell = {**fresh, "id": cell.get("id", fresh["id"])}
        cells.append(cell)
    for exercise in lecture.exercises:
        if exercise.id in seen:
            continue
        changes["deleted"].append(exercise.id)
        definer = re.compile(rf"^\s*def\s+{exercise.function}\s*\(", re.M)
        at = next(
            (i + 1 for i in reversed(range(len(cells))) if definer.search(source(cells[i]))),
            len(cells),
        )
        cells.insert(at, check_cell(exercise))
    _unique_ids(cells)
    nb["cells"] = cells
    return {k: v for k, v in changes.items() if v}


def _unique_ids(cells):
    seen = set()
    for i, cell in enumerate(cells):
        cid = cell.get("id")
        if not isinstance(cid, str) or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cid) or cid in seen:
            cid = f"cell-{i}"
            while cid in seen:
                cid += "-x"
            cell["id"] = cid
        seen.add(cid)


# --- reading a submission, and the notebook that ran ---------------------------------------------

MAX_NOTEBOOK_BYTES = 20_000_000


def read_bytes(path):
    """(the file's bytes, None) or (None, why not). Never follows a symbolic link (a student's
    link could point at a solution, or anywhere the grader can read) and never waits on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "the file is a symbolic link, which the grader does not follow"
        return None, f"the file cannot be read ({exc.strerror})"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "the file is not a regular file (a pipe or a device?)"
        if info.st_size > MAX_NOTEBOOK_BYTES:
            return None, f"the file is too large to be a notebook ({info.st_size // 2**20} MB)"
        return f.read(MAX_NOTEBOOK_BYTES + 1), None


def read(path):
    """(notebook dict, None) or (None, a sentence saying why it cannot be graded)."""
    data, problem = read_bytes(path)
    if problem:
        return None, problem
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "the file is not a notebook (it is not UTF-8 text)"
    except ValueError as exc:
        return None, f"the file is not valid JSON ({str(exc)[:100]}); was it saved completely?"
    version = nb.get("nbformat") if isinstance(nb, dict) else None
    if type(version) is int and version < 4:
        return None, (
            f"the notebook is in format {version}, from IPython 3 or older; open it in Jupyter "
            "and save it, which converts it to format 4, then submit it again"
        )
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "the file is JSON but not a Jupyter notebook (it has no list of cells)"
    if version != 4:
        return None, f"the notebook format {repr(version)[:20]} is not supported (need 4)"
    if not isinstance(nb.get("metadata"), dict):
        nb["metadata"] = {}
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, f"the notebook has a malformed cell (cell {i + 1} is not a cell)"
        text = cell.get("source", "")
        if not (
            isinstance(text, str)
            or isinstance(text, list)
            and all(isinstance(line, str) for line in text)
        ):
            return (
                None,
                f"the notebook has a malformed cell (the source of cell {i + 1} is not text)",
            )
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    return nb, None


def prepare(nb):
    """The notebook as the sandbox runs it: outputs cleared, one source string, Python 3."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell["source"] = source(cell)
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb["metadata"]["kernelspec"] = kernel
    nb["nbformat_minor"] = max(int(nb.get("nbformat_minor") or 0), 5)
    return nb


# Text that, outside the check cells, deserves a human look (a lecture adds its own: REVIEW).
REVIEW = {
    "def __eq__": "defines __eq__",
    "def __float__": "defines __float__",
    "def __array__": "defines __array__",
    "sys.modules": "touches sys.modules",
    "builtins": "touches builtins",
    "os._exit": "calls os._exit",
    "lrcourse.grading": "imports the grader",
}


def review_flags(nb, lecture):
    """Things in a submission a human should look at; they change no score."""
    patterns = {**REVIEW, **lecture.review}
    text = "\n".join(source(c) for c in nb["cells"] if CHECK not in tags(c))
    return sorted({flag for pattern, flag in patterns.items() if pattern in text})


def defining_cell(nb, function):
    """The index of the last code cell that defines ``function``, or None."""
    definer = re.compile(rf"^\s*def\s+{function}\s*\(", re.M)
    found = [i for i, c in enumerate(nb["cells"]) if definer.search(source(c))]
    return found[-1] if found else None


def show_verdicts(nb, verdicts):
    """Put each verdict (exercise id -> message) into its check cell, as the cell's output."""
    for cell in nb["cells"]:
        if CHECK in tags(cell) and qid(cell) in verdicts:
            text = verdicts[qid(cell)] + "\n"
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": text}]
