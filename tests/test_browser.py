"""The lessons in a real JupyterLab, driven by Playwright in Debian's Chromium, as a learner runs them.

The test starts its own JupyterLab (``labkit.notebook_server``, on a free port, with a token and its own Jupyter
folders) on working copies of the lessons, and its own simulator and lab settings, runs each lesson with Run All,
and stops all of it. Screenshots go to a ``browser-screenshots`` folder under pytest's temporary folder (its path is
printed). Without Chromium or Playwright the test is skipped on a workstation and fails in CI (``CI`` set): .ci/run
installs both.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from labkit import copies, notebook_server
from labkit.runner import LESSONS
from labkit.sim import service
from required_tools import missing

LAB_ID = "browser"
#: What the form changes, and lesson 02 must then use.
FORM_POOL_NAME = "gpubr"
#: Chromium's flags for a machine without a display or outside network (see .ci/run).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_SECONDS = 90
LESSON_SECONDS = 240

#: Installed before JupyterLab loads: counts the progress widgets the page shows, and the kernel status each time one
#: appears or moves (the status bar's "Python 3 (ipykernel) | Busy"). Only then: a widget the page has not yet removed
#: when its cell has ended, and the kernel is rightly Idle, does not move.
WATCH_PROGRESS = """
window.labkitProgress = {shown: 0, statuses: []};
const seen = new WeakMap();
new MutationObserver(() => {
  const bars = [...document.querySelectorAll('.labkit-progress')].filter(bar => bar.querySelector('.widget-hprogress'));
  const moved = bars.filter(bar => seen.get(bar) !== bar.textContent);
  if (!moved.length) return;
  moved.forEach(bar => { if (!seen.has(bar)) window.labkitProgress.shown += 1; seen.set(bar, bar.textContent); });
  const status = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent).find(t => t.includes(' | '));
  if (status) window.labkitProgress.statuses.push(status.split(' | ').pop().trim());
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class']});
"""

OPEN_AND_RUN_ALL = """async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  window.labkitRun = undefined;
  app.commands.execute('notebook:run-all-cells').then(ok => { window.labkitRun = ok; }, e => { window.labkitRun = String(e); });
}"""

SAVE = """async () => { await window.jupyterapp.commands.execute('docmanager:save'); }"""

OPEN = """async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _chromium_or_skip() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright  # noqa: F401
    except ImportError:
        path, what = None, "the playwright package (pip install -e '.[test]')"
    else:
        what = "Chromium (apt-get install chromium; .ci/run installs it)"
    if path is None:
        missing(f"the browser tests need {what}")
    return path


@pytest.fixture(scope="module")
def lab_env(tmp_path_factory):
    """The lab's own simulator state and settings, in the environment JupyterLab's kernels inherit; simulator stopped after."""
    root = tmp_path_factory.mktemp("browser-lab")
    env = {**os.environ, "LABKIT_STATE_DIR": str(root / "sim"), "LABKIT_CONFIG_DIR": str(root / "config"),
           "LABKIT_LAB_ID": LAB_ID}
    env.pop("LABKIT_PROGRESS", None)
    yield env
    service.stop(Path(env["LABKIT_STATE_DIR"]))


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory, lab_env):
    """JupyterLab on working copies of the lessons: its URL, token, lessons folder, runtime folder and log."""
    _chromium_or_skip()
    root = tmp_path_factory.mktemp("browser-jupyter")
    lessons = root / "my-lessons"
    copies.make_copies(lessons)
    # The kernels' IPC sockets live in the runtime folder: a short path, as a socket's path is at most 107 bytes.
    runtime = Path(tempfile.mkdtemp(prefix="labkit-rt-"))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**lab_env, "JUPYTER_CONFIG_DIR": str(root / "config"), "JUPYTER_DATA_DIR": str(root / "data"),
           "JUPYTER_RUNTIME_DIR": str(runtime)}
    options = [f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", "--no-browser",
               f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        options.append("--allow-root")
    # No "Would you like to get notified about official Jupyter news?" in the screenshots.
    news = root / "config/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))
    log_path = root / "jupyterlab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(notebook_server.command(lessons, options), env=env, stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, token, server, log_path)
        yield {"url": url, "token": token, "lessons": lessons, "runtime": runtime, "log": log_path}
    finally:
        _stop(server, url, token)
        shutil.rmtree(runtime, ignore_errors=True)


def _api(url: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{url}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _wait_until_up(url: str, token: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited ({server.returncode}); its log is {log_path}")
        try:
            _api(url, token, "/api/status")
            return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s; its log is {log_path}")


def _stop(server: subprocess.Popen, url: str, token: str) -> None:
    """Shut the kernels down through the API (they run in sessions of their own), then the server."""
    if server.poll() is None:
        try:
            for kernel in _api(url, token, "/api/kernels"):
                _api(url, token, f"/api/kernels/{kernel['id']}", method="DELETE")
        except OSError:
            pass
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def page(jupyterlab, tmp_path_factory):
    """A Chromium page on that JupyterLab, logged in; every console error and page error it sees is collected."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = context.new_page()
            page.errors = []
            page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.add_init_script(WATCH_PROGRESS)
            page.goto(f"{jupyterlab['url']}/lab?token={jupyterlab['token']}")
            _wait_for_jupyterlab(page)
            page.screenshots = tmp_path_factory.mktemp("browser-screenshots")
            print(f"screenshots in {page.screenshots}")
            yield page
        finally:
            browser.close()


def _wait_for_jupyterlab(page) -> None:
    page.wait_for_function("window.jupyterapp", timeout=SERVER_START_SECONDS * 1000)
    page.evaluate("window.jupyterapp.started")  # a promise, resolved once JupyterLab has started


def _run_all(page, lesson: str) -> None:
    page.evaluate(OPEN_AND_RUN_ALL, f"{lesson}.ipynb")
    page.wait_for_function("window.labkitRun !== undefined", timeout=LESSON_SECONDS * 1000)
    assert page.evaluate("window.labkitRun") is True, f"{lesson}: Run All did not finish ({page.evaluate('window.labkitRun')})"


def _saved(jupyterlab, page, lesson: str) -> nbformat.NotebookNode:
    page.evaluate(SAVE)
    return nbformat.read(jupyterlab["lessons"] / f"{lesson}.ipynb", as_version=4)


def _outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def _text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(output.get("text") or output.get("data", {}).get("text/plain", "") for output in _outputs(notebook))


def _use_the_form(page) -> None:
    """Type a broken name (the params message shows, Save is off), then a good one, and Save."""
    form = page.locator(".labkit-form")
    form.wait_for()
    pool_name = form.locator(".widget-text", has_text="pool_name").first.locator("input")
    save = form.locator("button", has_text="Save")
    pool_name.fill("gpupool1")
    form.get_by_text("pool_name 'gpupool1' is 8 characters").wait_for()
    assert save.is_disabled()
    form.screenshot(path=str(page.screenshots / "form.png"))
    pool_name.fill(FORM_POOL_NAME)
    form.get_by_text("is 8 characters").wait_for(state="detached")
    save.click()
    page.get_by_text(f"Saved in {LAB_ID}.yaml").wait_for()
    assert form.count() == 0, "the saved form leaves text in the notebook"


def test_each_lesson_runs_in_jupyterlab_and_reopens_without_widget_errors(jupyterlab, page, lab_env):
    ran = {}
    for lesson in LESSONS:
        shown_before = page.evaluate("window.labkitProgress.shown")
        _run_all(page, lesson)
        if lesson == "00_prerequisites":
            assert any(jupyterlab["runtime"].glob("kernel-*-ipc-*")), "the kernel's IPC sockets are in the runtime folder"
            _use_the_form(page)
        page.screenshot(path=str(page.screenshots / f"{lesson}.png"), full_page=True)
        ran[lesson] = _saved(jupyterlab, page, lesson)
        errors = [o for o in _outputs(ran[lesson]) if o.output_type == "error"]
        assert not errors, f"{lesson}: {errors[0].ename}: {errors[0].evalue}"
        widgets = [o for o in _outputs(ran[lesson]) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert not widgets, f"{lesson}: the saved notebook keeps {len(widgets)} widget views"
        assert page.locator(".labkit-progress").count() == 0, f"{lesson}: a progress widget was left on the page"
        if lesson != "00_prerequisites":
            assert page.evaluate("window.labkitProgress.shown") > shown_before, f"{lesson}: no progress widget was shown"

    statuses = page.evaluate("window.labkitProgress.statuses")
    assert statuses and set(statuses) == {"Busy"}, f"the kernel status while progress bars showed: {sorted(set(statuses))}"
    assert f"pool {FORM_POOL_NAME}: Succeeded" in _text(ran["02_gpu_pool_auto_driver"]), "lesson 02 used the form's pool name"
    assert f"pool {FORM_POOL_NAME} in" in _text(ran["05_cleanup"])

    page.reload()
    _wait_for_jupyterlab(page)
    for lesson in LESSONS:
        page.evaluate(OPEN, f"{lesson}.ipynb")
        page.locator(".jp-OutputArea-output:visible").first.wait_for()
        assert not page.evaluate("document.body.textContent.includes('Error displaying widget')"), f"{lesson} after a reload"
        if lesson == "02_gpu_pool_auto_driver":
            page.locator(".jp-OutputArea-output:visible", has_text=f"pool {FORM_POOL_NAME}: Succeeded").scroll_into_view_if_needed()
            page.screenshot(path=str(page.screenshots / "lesson-after-reload.png"))

    assert not page.errors, f"browser console errors: {page.errors}"
    log = jupyterlab["log"].read_text(errors="replace")
    assert "running over TCP" not in log
    assert jupyterlab["token"] not in log, "JupyterLab's log keeps no token"
    assert not list(jupyterlab["lessons"].glob("kernel-*")), "no kernel files among the lessons"
