"""Sphinx additions for the course website, loaded by book/_config.yml.

- MathJax is served by the site itself, so that math is typeset on a network without internet
  access: the MathJax 2.7 that the jupyter-server-mathjax package ships is copied into
  ``_static/mathjax`` (``mathjax_path`` in _config.yml points there).
- Every figure's image gets its text alternative as its alt attribute: the description that
  lrcourse.plots stores in the output's metadata (``{"image/png": {"alt": ...}}``, see
  ``describe`` there). myst-nb reads only the width and height from that metadata, but it names
  each image file by the SHA-256 of its bytes, so the notebook's outputs say which alt is whose.
  An output stored before descriptions existed gets MISSING_ALT, until the notebook runs again.
- An explorer (an ipywidgets view) cannot run without a kernel. Its stored output carries a still
  image beside the widget view (see ``_repr_mimebundle_`` in lrcourse/widgets.py): the site shows
  that image, with the explorer's title as its alt text and a note that the sliders move in
  Jupyter.
- The package's source, shown highlighted by ``show_source``, is highlighted again from its
  stored plain text, so the site always has the current, accessible colours (see lrcourse/show.py)
  whenever the notebook last ran.
- Thebe's scripts are left out (see drop_thebe).
- _static/lrcourse.css fixes the theme's layout of MathJax 2's inline math, and styles that note.
"""

import base64
import hashlib
import json
import shutil
from pathlib import Path

from docutils import nodes

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STILL_NOTE = (
    "A still image of an explorer: its sliders move in Jupyter (the launch button at the top "
    "opens this page on Binder)."
)
MISSING_ALT = "A figure whose text description is not stored yet: see the code above it."


def copy_mathjax(app, exception):
    import jupyter_server_mathjax

    if exception is None and app.builder.format == "html":
        source = Path(jupyter_server_mathjax.__file__).parent / "static"
        shutil.copytree(source, Path(app.outdir, "_static", "mathjax"), dirs_exist_ok=True)


def _is_mime_bundle(node):
    # myst-nb keeps every representation of an output in a "mime_bundle" container and picks one
    # per builder later, so the widget view can still be dropped here.
    return isinstance(node, nodes.container) and node.get("nb_element") == "mime_bundle"


def stored_alt_texts(notebook):
    """``{SHA-256 of a PNG output: its alt text}`` for the outputs of a notebook that carry one."""
    found = {}
    for cell in json.loads(Path(notebook).read_text())["cells"]:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if png and alt:
                found[hashlib.sha256(base64.b64decode(png)).hexdigest()] = alt
    return found


def describe_images(app, doctree):
    """Give every image output its alt text; show an explorer's still image instead of its
    widget view, with a note."""
    source = Path(app.env.doc2path(app.env.docname))
    alts = stored_alt_texts(source) if source.suffix == ".ipynb" else {}
    for bundle in list(doctree.findall(_is_mime_bundle)):
        by_type = {child["mime_type"]: child for child in bundle.children}
        if "image/png" not in by_type:
            continue
        explorer = WIDGET_VIEW in by_type
        fallback = MISSING_ALT
        if explorer:  # an explorer stored before descriptions existed: its title, at least
            fallback = by_type["text/plain"].astext() if "text/plain" in by_type else "An explorer"
        for image in by_type["image/png"].findall(nodes.image):
            image["alt"] = alts.get(Path(image["uri"]).stem, fallback)
        if not explorer:
            continue
        bundle.remove(by_type[WIDGET_VIEW])
        note = nodes.paragraph(text=STILL_NOTE, classes=["lrcourse-still-note"])
        bundle.parent.insert(bundle.parent.index(bundle) + 1, note)


def restyle_sources(app, doctree):
    from lrcourse.show import HTML_START, Source

    for bundle in doctree.findall(_is_mime_bundle):
        by_type = {child["mime_type"]: child for child in bundle.children}
        if "text/html" not in by_type or "text/plain" not in by_type:
            continue
        for raw in list(by_type["text/html"].findall(nodes.raw)):
            if not raw.astext().startswith(HTML_START):
                continue
            # The plain text is "# lrcourse.module\n" and the code, when the HTML has a caption.
            text = by_type["text/plain"].astext()
            origin, code = ("", text)
            if raw.astext().startswith(HTML_START + "<div style="):
                origin, _, code = text.partition("\n")
                origin = origin.removeprefix("# ")
            html = Source(code + "\n", origin)._repr_html_()
            raw.replace_self(nodes.raw("", html, format="html"))


def drop_thebe(app, pagename, templatename, context, doctree):
    # Thebe (live code cells) would fetch its code from a CDN on first use, and sphinx-thebe
    # declares its settings twice, a JavaScript error on every page. The site does not use it:
    # the Binder launch button opens a whole notebook instead.
    context["script_files"] = [js for js in context["script_files"] if "thebe" not in str(js)]


def add_static_files(app, config):
    config.html_static_path.append(str(Path(__file__).parent / "_static"))


def setup(app):
    app.connect("config-inited", add_static_files)
    app.add_css_file("lrcourse.css")
    app.connect("doctree-read", describe_images)
    app.connect("doctree-read", restyle_sources)
    app.connect("html-page-context", drop_thebe)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
