"""Show the package's own source in a notebook, highlighted.

A lecture explains the code that runs, not a second copy of it that could drift away:
``show_source(cosine_decay)`` as the last line of a cell displays the source of
``lrcourse.schedules.cosine_decay``, highlighted by Pygments.

The result also has a plain-text form: that is what a notebook stores next to the HTML, what a
code host without HTML shows, and what the notebook tests compare (the highlighted HTML depends
on the Pygments version, so ``tests/nbval_sanitize.cfg`` blanks it out for comparison).
"""

import ast
import inspect
import textwrap

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

__all__ = ["Source", "show_source"]

# The markers around the HTML, which the notebook tests' sanitiser recognises.
HTML_START = '<div class="lrcourse-source">'
HTML_END = "</div><!-- end lrcourse-source -->"
STYLE = "xcode"  # the Pygments style; tests/test_show.py checks its contrast


class Source:
    """Python source that displays highlighted in a notebook and as plain text elsewhere."""

    def __init__(self, code, origin=""):
        self.code = code
        self.origin = origin  # e.g. "lrcourse.schedules", shown above the code

    def __str__(self):
        return self.code

    def __repr__(self):
        header = f"# {self.origin}\n" if self.origin else ""
        return header + self.code.rstrip("\n")

    def _repr_html_(self):
        # Inline styles (noclasses) need no stylesheet, so the colours survive on code hosts.
        # Xcode's colours all have a contrast of 5:1 or more on its white background (WCAG AA
        # asks 4.5:1 for text); Pygments' default style has greys and purples below that.
        body = highlight(self.code, PythonLexer(), HtmlFormatter(noclasses=True, style=STYLE))
        caption = (
            f'<div style="font-size:smaller;color:#666"># {self.origin}</div>'
            if self.origin
            else ""
        )
        return f"{HTML_START}{caption}{body}{HTML_END}"


def _without_docstring(code):
    """``code`` (one function or class) with its docstring removed."""
    node = ast.parse(code).body[0]
    first = node.body[0] if getattr(node, "body", None) else None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return code
    lines = code.splitlines(keepends=True)
    rest = lines[first.end_lineno :]
    if len(node.body) == 1:  # nothing but a docstring: keep the body valid Python
        indent = lines[first.lineno - 1][: first.col_offset]
        rest = [f"{indent}...\n", *rest]
    return "".join(lines[: first.lineno - 1] + rest)


def show_source(obj, *, docstring=True):
    """The source code of a function, class, method or module, to display in a notebook.

    ``obj`` may be a schedule built by a factory: its source is the inner ``schedule(step)``
    function. ``docstring=False`` leaves the docstring out, to focus on the code.

    >>> from lrcourse.schedules import constant
    >>> source = show_source(constant, docstring=False)
    >>> repr(source).splitlines()[0]         # the plain-text form names the module
    '# lrcourse.schedules'
    >>> "def constant(lr):" in source.code, "The same learning rate" in source.code
    (True, False)
    """
    try:
        code = textwrap.dedent(inspect.getsource(obj))
    except (TypeError, OSError) as error:
        raise ValueError(
            f"show_source needs a function, class, method or module written in Python, got "
            f"{obj!r} ({error})"
        ) from None
    if not docstring and not inspect.ismodule(obj):
        code = _without_docstring(code)
    module = inspect.getmodule(obj)
    # A function defined in the notebook itself lives in __main__: no module worth naming.
    origin = module.__name__ if module is not None and module.__name__ != "__main__" else ""
    return Source(code, origin)
