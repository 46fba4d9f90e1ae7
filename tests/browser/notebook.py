"""Driving a notebook in JupyterLab through Playwright: open it, run it, look for trouble.

Lab's own objects are reachable as ``window.jupyterapp`` (the server runs with
``expose_app_in_browser``), so the page is asked directly for the kernel's status and each cell's
execution count and outputs, rather than guessed from the look of the page.
"""

import time

# The state of the notebook in the current tab: the kernel's status; how many code cells have
# not run or are queued or running ("[*]"); how many outputs are widgets; and every error output
# or stderr text, except in cells tagged raises-exception.
STATE_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.content || !panel.sessionContext) return null;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(cell => cell.model.type === "code");
    const tags = cell => cell.model.getMetadata("tags") || [];
    const prompt = cell => (cell.promptNode ? cell.promptNode.textContent : "");
    const errors = [];
    let widgets = 0;
    for (const [i, cell] of cells.entries()) {
        for (const out of cell.model.outputs.toJSON()) {
            if (out.data && out.data["application/vnd.jupyter.widget-view+json"]) widgets += 1;
        }
        if (tags(cell).includes("raises-exception")) continue;
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === "error") {
                errors.push(`code cell ${i}: ${out.ename}: ${out.evalue}`);
            }
            if (out.output_type === "stream" && out.name === "stderr") {
                errors.push(`code cell ${i} wrote to stderr: ${out.text}`);
            }
        }
    }
    return {
        kernel: kernel ? kernel.status : "none",
        cells: cells.length,
        unrun: cells.filter(cell => cell.model.executionCount === null).length,
        busy: cells.filter(cell => prompt(cell).includes("*")).length,
        widgets,
        errors,
    };
}"""

# Texts that ipywidgets' manager puts in the page when it cannot show a widget.
WIDGET_TROUBLE = ["Error displaying widget", "model not found", "Failed to load model class"]


def wait_for(condition, timeout, what, interval=0.25):
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def open_lab(page, url, timeout=90):
    """Load JupyterLab (a fresh workspace: no tabs from earlier runs) and wait until it is ready."""
    page.goto(f"{url}/lab?reset")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout * 1000
    )
    page.evaluate("() => window.jupyterapp.restored")


def open_notebook(page, path, timeout=60):
    """Open a notebook in the loaded Lab and wait until its kernel has started and is idle.

    Opening it with Lab's own command in the same page is much faster than loading Lab again.
    """
    # Await the command but return nothing: Playwright would try to serialise the whole widget.
    page.evaluate(
        "async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }",
        path,
    )

    def ready():
        current = page.evaluate(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " return w && w.context ? w.context.path : null; }"
        )
        state = page.evaluate(STATE_JS) if current == path else None
        return state and state["kernel"] == "idle"

    wait_for(ready, timeout, f"{path} to open and its kernel to start")


def close_all(page):
    """Close every tab without saving (nothing is asked) and shut down every kernel."""
    page.evaluate(
        """async () => {
            const app = window.jupyterapp;
            for (const widget of Array.from(app.shell.widgets("main"))) {
                if (widget.context) widget.context.model.dirty = false;
                widget.close();
            }
            await app.serviceManager.sessions.shutdownAll();
        }"""
    )


def run_all(page, timeout=300):
    """Clear every output, run all cells, and wait until the kernel is done; returns the state.

    Outputs are cleared first so that a stored execution count cannot pass for a fresh one.
    Lab's "run all" stops at the first error, so a notebook also counts as done when a cell
    failed (the caller then reports the error instead of a timeout).
    """
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    settled = []  # the kernel must look finished twice in a row, half a second apart

    def finished():
        state = page.evaluate(STATE_JS)
        done = (
            state["kernel"] == "idle"
            and state["busy"] == 0
            and (state["unrun"] == 0 or state["errors"])
        )
        settled.append(done)
        return state if done and len(settled) > 1 and settled[-2] else None

    return wait_for(finished, timeout, "all cells to run", interval=0.5)


def rendered_widgets(page):
    """How many outputs show a live widget view (not an error text or "Loading widget...")."""
    return page.locator(".jp-OutputArea-output > .jupyter-widgets").count()


def widget_trouble(page):
    """Any of ipywidgets' error texts on the page."""
    text = page.locator(".jp-Notebook").inner_text()
    return [phrase for phrase in WIDGET_TROUBLE if phrase in text]


def drag_first_slider(page, explorer, distance=60):
    """Drag the handle of the explorer's first slider to the right; returns the readouts."""
    slider = explorer.locator(".widget-slider").first
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    box = slider.locator(".noUi-handle").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + distance, y, steps=4)  # each step is a slider update in the kernel
    page.mouse.up()
    return before, readout.inner_text()


def shown(explorer):
    """What an explorer shows: the figure's image source and the status line."""
    return (
        explorer.locator("img").first.get_attribute("src"),
        explorer.locator(".widget-html-content").last.inner_text(),
    )


def press_on_first_slider(page, explorer, key="ArrowRight", times=5):
    """Focus the handle of the explorer's first slider, as Tab would, and press ``key``
    ``times`` times, each a slider step; returns the readouts before and after."""
    slider = explorer.locator(".widget-slider").first
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    handle = slider.locator(".noUi-handle")
    assert handle.get_attribute("tabindex") == "0", "the slider cannot take keyboard focus"
    handle.focus()
    assert handle.evaluate("el => el === document.activeElement")
    for _ in range(times):
        page.keyboard.press(key)
    return before, readout.inner_text()


# The controls of an explorer (sliders, menus, checkboxes) that show no label text beside them;
# those not shown at all (in a tab not selected) are judged when their tab is.
UNLABELLED_JS = """explorer => Array.from(
    explorer.querySelectorAll(".widget-slider, .widget-dropdown, .widget-checkbox"),
    control => {
        if (control.offsetWidth === 0) return null;
        // A slider's description is a .widget-label; a checkbox's, the text after its box.
        const labels = control.querySelectorAll(".widget-label, .widget-label-basic span");
        const visible = Array.from(labels).some(l => l.offsetWidth > 0 && l.textContent.trim());
        return visible ? null : control.outerHTML.slice(0, 200);
    }).filter(Boolean)"""


def unlabelled_controls(explorer):
    """Every control of the explorer without a visible label (their HTML, shortened)."""
    return explorer.evaluate(UNLABELLED_JS)
