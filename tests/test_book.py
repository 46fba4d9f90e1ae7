"""The course website (`make book`), built and read in a real (headless) browser.

The session builds the site with tools/build_book.py, the script `make book` runs, into a
temporary folder, serves it from 127.0.0.1 with Python's own HTTP server, and opens every page in
Chromium through Playwright. Each page must

- load, with no request for anything outside the site: the site must also work on a lab network
  without internet access. Every request for another host is recorded and aborted, so it fails
  the test without ever leaving the machine;
- have its math typeset by MathJax (served by the site itself): no raw ``$$`` or ``\\(`` left;
- show every image (``naturalWidth > 0``), and every link within the site must lead to a page
  that exists, and to an anchor on it that exists;
- for a lecture, show each explorer's still image with the note that its sliders move in Jupyter,
  and have a Binder launch button.

Every page must also pass an accessibility audit (axe-core, the engine bundled with the
axe-playwright-python package, so nothing is fetched): no serious or critical violation of WCAG
2.1 A and AA; each formula must be exposed to screen readers as MathML (MathJax's AssistiveMML);
and every image must have alt text, each figure the description stored with it (see
docs/accessibility.md).

The site's search must also find "bias correction", and the GitHub Pages workflow must publish
what `make book` builds. Without Playwright, Chromium or Jupyter Book
the test is skipped, except under ``CI=true``, where it fails (see tests/browser/chromium.py).
"""

import functools
import importlib.util
import json
import re
import threading
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from browser.chromium import headless_chromium, missing_tool, skip_or_fail

REPO = Path(__file__).resolve().parents[1]
LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))
# Every page the site must have, and nothing else: no solutions.
PAGES = [
    "book/intro.html",
    *(f"notebooks/{path.stem}.html" for path in LECTURES),
    *(f"exercises/{path.stem}.html" for path in EXERCISES),
    "docs/grading.html",
    "docs/instructors.html",
    "docs/accessibility.html",
    "genindex.html",
    "search.html",
]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _load_build_book():
    spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site's HTML folder, built as `make book` builds it."""
    skip_or_fail(missing_tool(), "the website test")
    if importlib.util.find_spec("jupyter_book") is None:
        skip_or_fail("Jupyter Book is not installed (pip install -e '.[test]')", "the website test")
    return _load_build_book().build(tmp_path_factory.mktemp("book"))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    """The site's address: a local HTTP server on a free port of 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_port}"
        httpd.shutdown()


@pytest.fixture(scope="module")  # closed before tests/test_browser.py starts its own: Playwright's
def browser(server):  # sync API cannot run two at once in one thread
    with headless_chromium() as chromium:
        yield chromium


def _outside(url):
    """Whether loading this URL would reach another machine (data:, blob:, about: stay here)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK


@pytest.fixture
def page(browser):
    """A fresh tab that records what went wrong: requests outside the site (aborted, never
    sent), failed or 4xx/5xx responses, and uncaught JavaScript errors."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.outside, tab.failed, tab.js_errors = [], [], []

    def guard(route):
        if _outside(route.request.url):
            tab.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def request_failed(request):
        # Those aborted above are recorded already; MathJax's about:blank font is no request.
        if urlsplit(request.url).scheme in ("http", "https") and not _outside(request.url):
            tab.failed.append(f"{request.failure} {request.url}")

    context.route("**/*", guard)
    tab.on("requestfailed", request_failed)
    tab.on("response", lambda r: r.status >= 400 and tab.failed.append(f"{r.status} {r.url}"))
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
    yield tab
    context.close()


@functools.cache
def fetch(url):
    """(HTTP status, the ids in the page) of a URL of the site; cached across pages."""
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            body = reply.read().decode("utf-8", errors="replace")
            return reply.status, set(re.findall(r'\bid="([^"]+)"', body))
    except urllib.error.HTTPError as error:
        return error.code, set()


# Resolves once MathJax has typeset the page (its startup ends after the first typesetting).
TYPESET_JS = """async () => {
    if (!document.querySelector(".math")) return "no math";
    for (let waited = 0; !(window.MathJax && MathJax.Hub); waited += 100) {
        if (waited > 20000) return "MathJax did not load";
        await new Promise(resolve => setTimeout(resolve, 100));
    }
    await new Promise(resolve => MathJax.Hub.Register.StartupHook("End", resolve));
    await new Promise(resolve => MathJax.Hub.Queue(resolve));
    return "typeset";
}"""

# Formulas Sphinx wrote that MathJax did not turn into math, TeX errors, and text outside code
# that still shows TeX delimiters.
MATH_TROUBLE_JS = """() => {
    const formulas = Array.from(document.querySelectorAll(".math.notranslate"));
    const untypeset = formulas.filter(el => !el.querySelector(".MathJax, .MathJax_Display"));
    const errors = document.querySelectorAll(".MathJax .merror, .MathJax .noError");
    const raw = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest("pre, code, script, style, textarea")) continue;
        const text = node.textContent;
        if (["$$", "\\\\(", "\\\\["].some(delimiter => text.includes(delimiter))) {
            raw.push(text.trim().slice(0, 80));
        }
    }
    return {
        formulas: formulas.length,
        untypeset: untypeset.map(el => el.textContent.trim().slice(0, 80)),
        errors: Array.from(errors).map(el => el.textContent.slice(0, 80)),
        raw,
    };
}"""

# Every image, loaded eagerly; those that did not decode to a picture.
BROKEN_IMAGES_JS = """async () => {
    const images = Array.from(document.images);
    for (const img of images) img.loading = "eager";
    await Promise.all(images.map(img => img.decode().catch(() => null)));
    const broken = images.filter(img => !(img.naturalWidth > 0));
    return {count: images.length, broken: broken.map(img => img.src)};
}"""


def widget_outputs(notebook):
    """How many outputs of a stored notebook are widget views (explorers)."""
    cells = json.loads(notebook.read_text())["cells"]
    outputs = [out for cell in cells for out in cell.get("outputs", [])]
    return sum(WIDGET_VIEW in out.get("data", {}) for out in outputs)


def test_the_site_has_every_page_and_nothing_else(site):
    built = {
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] not in ("_static", "_sources")
    }
    assert built == {*PAGES, "index.html"}
    assert not (site / "solutions").exists()
    assert not list(site.rglob("*solution*"))


# What makes a browser load a URL as it renders a page: an element's src, a <link>'s href (style
# sheets, icons, preloads), a style sheet's url(...) and @import. Links (<a href>) are not loads.
LOADS = re.compile(
    r"""<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=["']?(https?:)?//"""
    r"""|<link\b[^>]*\bhref=["']?(https?:)?//"""
    r"""|url\(\s*["']?(https?:)?//|@import\s+["'](https?:)?//""",
    re.IGNORECASE,
)


def test_no_page_or_style_sheet_loads_anything_from_outside_the_site(site):
    """The browser test sees what the pages load when opened; this also covers what they would
    load later (after a click, say), in every page and style sheet of the site."""
    files = [*site.rglob("*.html"), *site.rglob("*.css")]
    offenders = [
        f"{path.relative_to(site)}: {match.group(0)}"
        for path in files
        for match in LOADS.finditer(path.read_text(errors="replace"))
    ]
    assert len(files) > 30
    assert offenders == []


def test_the_address_of_the_site_opens_the_course(server, page):
    page.goto(f"{server}/")
    page.wait_for_url("**/book/intro.html")
    assert "learning-rate schedules" in page.locator("h1").first.inner_text()


@pytest.mark.parametrize("path", PAGES)
def test_page(site, server, page, path):
    reply = page.goto(f"{server}/{path}")
    assert reply.status == 200
    assert page.evaluate(TYPESET_JS) != "MathJax did not load"

    math = page.evaluate(MATH_TROUBLE_JS)
    assert math["untypeset"] == [], f"formulas MathJax did not typeset: {math['untypeset']}"
    assert math["errors"] == [], f"TeX errors: {math['errors']}"
    assert math["raw"] == [], f"raw TeX in the text: {math['raw']}"
    if path.startswith("notebooks/"):
        assert math["formulas"] > 0  # every lecture has math: the check above did look at some

    images = page.evaluate(BROKEN_IMAGES_JS)
    assert images["broken"] == []
    if path.startswith("notebooks/"):
        assert images["count"] > 0  # every lecture has figures

    links = page.evaluate("() => Array.from(document.links, a => a.href)")
    internal = {link for link in links if not _outside(link) and link.startswith("http")}
    assert len(internal) > 10  # the navigation at least: the check below did look at links
    for link in sorted(internal):
        target, anchor = urldefrag(link)
        status, ids = fetch(target)
        assert status == 200, f"{link}: HTTP {status}"
        if anchor and target.endswith(".html"):
            assert anchor in ids, f"{link}: no element with id {anchor!r} there"

    if path.startswith("notebooks/"):
        notebook = REPO / "notebooks" / Path(path).with_suffix(".ipynb").name
        explorers = widget_outputs(notebook)
        notes = page.locator(".lrcourse-still-note")
        assert notes.count() == explorers
        for i in range(explorers):  # the still image just above each note, with alt text
            still = notes.nth(i).locator("xpath=preceding-sibling::*[1][self::img]")
            assert still.count() == 1
            assert "run the notebook" in still.get_attribute("alt")
        assert page.locator(f'script[type="{WIDGET_VIEW}"]').count() == 0
        binder = page.locator('a[href^="https://mybinder.org/v2/gh/"]')
        assert binder.count() == 1
        assert binder.get_attribute("href").endswith(f"lab/tree/{notebook.relative_to(REPO)}")

    check_accessibility(site, page, path)  # on the page as read: with its math typeset

    page.wait_for_load_state("networkidle")  # late requests (fonts, MathJax's parts) count too
    assert page.outside == [], f"requests outside the site: {page.outside}"
    assert page.failed == [], f"failed requests: {page.failed}"
    assert page.js_errors == [], "\n".join(page.js_errors)


# What a screen reader gets for the math: MathJax 2's AssistiveMML puts a MathML copy of each
# formula beside its visual rendering, which is hidden from assistive technology.
MATH_FOR_SCREEN_READERS_JS = """() => {
    const jax = Array.from(document.querySelectorAll(".MathJax"));
    const exposed = jax.filter(el => {
        const mathml = el.querySelector(".MJX_Assistive_MathML math");
        const hidden = el.querySelector(":scope > [aria-hidden=true]")
            || el.getAttribute("aria-hidden") === "true";
        return mathml && mathml.textContent.trim() && hidden;
    });
    return {formulas: jax.length, exposed: exposed.length};
}"""

# Each image's alt text and the file it shows (myst-nb names a figure's file by its SHA-256).
IMAGES_JS = """() => Array.from(document.images,
    img => ({alt: img.getAttribute("alt"), file: img.src.split("/").pop().split(".")[0]}))"""

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def check_accessibility(site, page, path):
    """The page, loaded and typeset, passes axe-core's WCAG 2.1 A and AA rules (no serious or
    critical violation), exposes its math as MathML, and describes its images."""
    from axe_playwright_python.sync_playwright import Axe

    # No preloading of style sheets: axe would fetch those a sheet @imports relative to the page
    # rather than to the sheet (a 404 for /basic.css); only css-orientation-lock reads them.
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "preload": False}
    result = Axe().run(page, options=options)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} elements, first "
        f"{v['nodes'][0]['target']}: {v['nodes'][0]['html'][:120]}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], "\n".join(serious)
    assert len(result.response["passes"]) > 10  # the audit did look at the page

    math = page.evaluate(MATH_FOR_SCREEN_READERS_JS)
    assert math["exposed"] == math["formulas"], "formulas without MathML for screen readers"
    if path.startswith("notebooks/"):
        assert math["formulas"] > 0

    images = page.evaluate(IMAGES_JS)
    assert all(image["alt"] and image["alt"].strip() for image in images), images
    assert not [image for image in images if image["file"] in image["alt"]]  # not a file name
    if path.startswith("notebooks/"):
        # The notebook as the build read it (the site keeps a copy), not as it may be now.
        notebook = site / "_sources" / Path(path).with_suffix(".ipynb")
        stored = book_extension().stored_alt_texts(notebook)
        shown = {image["file"]: image["alt"] for image in images}
        assert {file: shown.get(file) for file in stored} == stored


def book_extension():
    """book/lrcourse_book.py, the site's Sphinx extension, as a module."""
    spec = importlib.util.spec_from_file_location(
        "lrcourse_book", REPO / "book" / "lrcourse_book.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_search_finds_bias_correction(server, page):
    page.goto(f"{server}/search.html?q=bias+correction")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()
    found = results.evaluate_all("items => items.map(li => li.querySelector('a').href)")
    assert any(href.split("#")[0].endswith("notebooks/10_adam.html") for href in found), found
    assert page.outside == []


def test_the_pages_workflow_publishes_what_make_book_builds():
    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uses = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    for action in ("configure-pages", "upload-pages-artifact", "deploy-pages"):
        assert f"actions/{action}" in uses
    assert any(step.get("run", "").startswith("make book") for step in steps)
    upload = next(step for step in steps if "upload-pages-artifact" in step.get("uses", ""))
    build_book = _load_build_book()
    assert REPO / upload["with"]["path"] == build_book.html_folder(build_book.OUT)
