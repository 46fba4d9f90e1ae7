"""Sphinx additions for the course website, loaded by book/_config.yml.

- MathJax is served by the site itself, so that math is typeset on a network without internet
  access: the MathJax 2.7 that the jupyter-server-mathjax package ships is copied into
  ``_static/mathjax`` (``mathjax_path`` in _config.yml points there).
- An explorer (an ipywidgets view) cannot run without a kernel. Its stored output carries a still
  image beside the widget view (see ``_repr_mimebundle_`` in lrcourse/widgets.py): the site shows
  that image, with the explorer's title as its alt text and a note that the sliders move in
  Jupyter.
- Thebe's scripts are left out (see drop_thebe).
- _static/lrcourse.css fixes the theme's layout of MathJax 2's inline math, and styles that note.
"""

import shutil
from pathlib import Path

from docutils import nodes

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STILL_NOTE = (
    "A still image of an explorer: its sliders move in Jupyter (the launch button at the top "
    "opens this page on Binder)."
)


def copy_mathjax(app, exception):
    import jupyter_server_mathjax

    if exception is None and app.builder.format == "html":
        source = Path(jupyter_server_mathjax.__file__).parent / "static"
        shutil.copytree(source, Path(app.outdir, "_static", "mathjax"), dirs_exist_ok=True)


def _is_mime_bundle(node):
    # myst-nb keeps every representation of an output in a "mime_bundle" container and picks one
    # per builder later, so the widget view can still be dropped here.
    return isinstance(node, nodes.container) and node.get("nb_element") == "mime_bundle"


def show_explorer_stills(app, doctree):
    for bundle in list(doctree.findall(_is_mime_bundle)):
        by_type = {child["mime_type"]: child for child in bundle.children}
        if WIDGET_VIEW not in by_type or "image/png" not in by_type:
            continue
        bundle.remove(by_type[WIDGET_VIEW])
        title = by_type["text/plain"].astext() if "text/plain" in by_type else "An explorer"
        for image in by_type["image/png"].findall(nodes.image):
            image["alt"] = title
        note = nodes.paragraph(text=STILL_NOTE, classes=["lrcourse-still-note"])
        bundle.parent.insert(bundle.parent.index(bundle) + 1, note)


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
    app.connect("doctree-read", show_explorer_stills)
    app.connect("html-page-context", drop_thebe)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
