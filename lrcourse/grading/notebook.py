"""Exercise notebooks as the grader sees them: tagged cells, pristine checks, and answer programs.

Cells carry tags in their metadata:

    setup                 imports and settings the exercises rely on
    answer, q:<id>        the learner's function for exercise <id>
    check, q:<id>         the check cell: exactly ``Exercise.check_source()``, never edited

``restore_checks`` puts the pristine check cells back into a submission. ``answer_program`` finds
what the grader needs to call one learner function: the statements (imports, ``def``, ``class``,
assignments to plain names) that define it and whatever it uses, taken from the notebook's code
cells in order, as "Restart and Run All" would define them. Nothing else of the notebook runs in
the grader's sandbox: no prints, plots, loops, or monkeypatching of other modules.
"""

import ast
import re
import symtable

from . import spec

CHECK, ANSWER, SETUP = "check", "answer", "setup"


def tags(cell):
    return list(cell.get("metadata", {}).get("tags", []) or [])


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


# --- the program that defines one answer ----------------------------------------------------


def _python(text):
    """Cell text as plain Python: IPython magics (``%matplotlib``, ``!pip``) become calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # without IPython, magics stay syntax errors, reported as such
        return text
    return TransformerManager().transform_cell(text)


def _bound(stmt):
    """Names a top-level statement binds, or None when it is not a definition we keep."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = set()
        for target in targets:
            nodes = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            for node in nodes:
                node = node.value if isinstance(node, ast.Starred) else node
                if not isinstance(node, ast.Name):
                    return None  # `np.allclose = ...`, `A[0] = ...`: changes something else
                names.add(node.id)
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
            return None
        return names
    return None


def _used(stmt):
    """Global names a statement reads: at module level, and free in any function or class."""
    try:
        table = symtable.symtable(ast.unparse(stmt), "<cell>", "exec")
    except (SyntaxError, ValueError):
        return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}  # over-approximate
    used, stack = set(), [table]
    while stack:
        t = stack.pop()
        for sym in t.get_symbols():
            top = t.get_type() == "module"
            if sym.is_referenced() and (top or sym.is_global()):
                used.add(sym.get_name())
        stack.extend(t.get_children())
    return used


def parse_cells(nb):
    """[(cell index, python text, statements or a SyntaxError)] for every non-check code cell."""
    out = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or CHECK in tags(cell):
            continue
        text = _python(source(cell))
        try:
            out.append((index, text, ast.parse(text).body))
        except SyntaxError as err:
            out.append((index, text, err))
    return out


def answer_program(parsed, function):
    """The statements needed to define ``function``, as [(cell index, statement number)].

    Starts from every top-level binding of ``function`` and adds, transitively, the bindings of
    every global name those statements use. Star imports are always kept."""
    bindings = {}  # name -> [(cell, number)]
    uses = {}
    for index, _, body in parsed:
        if isinstance(body, SyntaxError):
            continue
        for number, stmt in enumerate(body):
            names = _bound(stmt)
            if names is None:
                continue
            key = (index, number)
            uses[key] = _used(stmt)
            for name in names:
                bindings.setdefault(name, []).append(key)
    chosen, todo = set(bindings.get("*", [])), [function]
    done = set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        for key in bindings.get(name, []):
            chosen.add(key)
            todo.extend(uses[key] - done)
    return sorted(chosen)


def syntax_errors(parsed):
    """{cell index: 'line 3: invalid syntax'} for the cells that are not valid Python."""
    return {
        index: f"line {body.lineno}: {body.msg}"
        for index, _, body in parsed
        if isinstance(body, SyntaxError)
    }
