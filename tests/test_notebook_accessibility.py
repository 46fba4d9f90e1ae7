"""The structure a screen reader navigates by, in every notebook of the course (WCAG 2.1 AA,
criteria 1.3.1 and 2.4.6; see docs/accessibility.md).

Screen readers list a page's headings and links and jump between them, so in each notebook

- there is exactly one top-level heading (the title: Jupyter Book makes it the page's name),
  and no heading skips a level (a "###" straight under the "#" hides where a section belongs);
- every link says where it leads out of context: no "here", "this" or "link";
- every table has a header row with text in each cell, and every image in the text has alt text.

The Markdown is parsed with markdown-it (what MyST, and so the website, parses it with), so a
"#" inside a code block or a "|" in running text is not mistaken for structure.
"""

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path
    for folder in ("notebooks", "exercises", "solutions")
    for path in (ROOT / folder).glob("*.ipynb")
)
# Link texts that say nothing out of context (WCAG 2.4.4), compared without case or punctuation.
VAGUE = {
    "here",
    "click here",
    "this",
    "this link",
    "link",
    "more",
    "read more",
    "this page",
    "page",
}
MARKDOWN = MarkdownIt("commonmark").enable("table")


def markdown_of(path):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]


def _text(children):
    """The plain text of an inline token's children (link text, a table cell)."""
    return "".join(token.content for token in children if token.type in ("text", "code_inline"))


def problems(cells):
    """Every structural problem in a notebook's Markdown cells, as readable lines."""
    found, levels = [], []
    for number, source in enumerate(cells):
        tokens = MARKDOWN.parse(source)
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                level, title = int(token.tag[1]), tokens[i + 1].content
                if levels and level > max(levels[-1], 1) + 1:
                    found.append(f"heading h{level} {title!r} follows h{levels[-1]}: skips a level")
                if not levels and level != 1:
                    found.append(f"the first heading {title!r} is h{level}, not h1")
                levels.append(level)
            elif token.type == "inline":
                found += _inline_problems(token.children or [])
            elif token.type == "html_block" and "<table" in token.content.lower():
                if "<th" not in token.content.lower():
                    found.append(f"markdown cell {number}: an HTML table without header cells")
        found += _table_problems(tokens, number)
    if levels.count(1) != 1:
        found.append(f"{levels.count(1)} top-level headings, not 1")
    return found


def _inline_problems(children):
    found = []
    for i, token in enumerate(children):
        if token.type == "link_open":
            close = next(j for j in range(i, len(children)) if children[j].type == "link_close")
            text = _text(children[i + 1 : close]).strip()
            if re.sub(r"[^a-z ]", "", text.lower()).strip() in VAGUE:
                found.append(f"link text {text!r} says nothing out of context: {token.attrs}")
        elif token.type == "image" and not token.content.strip():
            found.append(f"image {token.attrs.get('src')} has no alt text")
    return found


def _table_problems(tokens, number):
    found = []
    for i, token in enumerate(tokens):
        if token.type == "table_open" and tokens[i + 1].type != "thead_open":
            found.append(f"markdown cell {number}: a table without a header row")
        if token.type == "th_open" and not _text(tokens[i + 1].children or []).strip():
            found.append(f"markdown cell {number}: a table header cell without text")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_structure_is_accessible(path):
    assert problems(markdown_of(path)) == []


def test_the_checks_find_what_they_look_for():
    good = ["# Title\n\nSee [the Adam lecture](10_adam.ipynb).", "## Part\n\n### Detail"]
    assert problems(good) == []
    assert problems(["# One", "# Two"]) == ["2 top-level headings, not 1"]
    assert problems(["## Not a title"])[0].startswith("the first heading")
    assert "skips a level" in problems(["# T", "### Deep"])[0]
    assert "says nothing" in problems(["# T\n\nRead [here](x.ipynb)."])[0]
    assert "says nothing" in problems(["# T\n\n[Click here!](x.ipynb)"])[0]
    assert "no alt text" in problems(["# T\n\n![](figure.png)"])[0]
    assert "header cell without text" in problems(["# T\n\n| | b |\n|---|---|\n| 1 | 2 |"])[0]
    assert "without header cells" in problems(["# T\n\n<table><tr><td>1</td></tr></table>"])[0]
    # A '#' in a code block is no heading.
    assert problems(["# T\n\n```python\n# a comment\n```"]) == []
