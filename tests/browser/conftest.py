"""A real JupyterLab, driven by Debian's chromium through Playwright.

These tests need /usr/bin/chromium (``.ci/run`` installs it with apt); without it they are
skipped with a message saying how to enable them. Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HBM_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


@contextmanager
def running_server(command, env, folder: Path, ready_path: str, name: str):
    """Run a server's process (logging to ``folder``) and yield its base URL once it answers.

    ``ready_path`` is fetched until it answers; a server that does not within 90 s fails the
    test and names its log. The process is stopped when the block ends.
    """
    port = next(a.split("=", 1)[1] for a in command if a.startswith("--port="))
    log_path = folder / f"{name.lower()}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 90
            while True:
                try:
                    urllib.request.urlopen(base + ready_path, timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.time() > deadline:
                        pytest.fail(f"{name} did not start; see {log_path}")
                    time.sleep(0.5)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM}: "
            "`apt-get install chromium` (as .ci/run does), or set HBM_CHROMIUM"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    """A copy of the chapters, so a browser session never changes the repository's files."""
    root = tmp_path_factory.mktemp("lab")
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    return root


@pytest.fixture(scope="session")
def lab_server(chromium_path, lab_root):
    """JupyterLab on a free localhost port, with a token, as a learner would start it."""
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={lab_root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    settings = lab_root / ".lab-settings"
    # Render every cell (no windowing), so the test can see each prompt; no news pop-up.
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": '{"windowingMode": "none"}',
        "@jupyterlab/apputils-extension/notification": '{"fetchNews": "false"}',
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(values)
    env = {
        **os.environ,
        "HBM_CHART_RENDERER": "jupyter",
        "JUPYTER_CONFIG_DIR": str(lab_root / ".jupyter"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
    }
    with running_server(command, env, lab_root, f"/api/status?token={token}", "JupyterLab") as base:
        yield {"base": base, "token": token, "root": lab_root}


@pytest.fixture(scope="session")
def browser(chromium_path):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        folder = Path(os.environ.get("HBM_BROWSER_ARTIFACTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
