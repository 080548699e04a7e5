"""End-to-end fixtures: the test app served on a free local port, driven by Debian's
Chromium through Playwright.

The browser is the system's own (apt-get install chromium), started by its executable
path; Playwright never downloads one. JIYUN_CHROMIUM names another executable.
"""

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("JIYUN_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium phones home at start, and on a closed
# network those connections are refused (and slow everything down).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TIMEOUT_MS = 15_000


def _chromium_executable():
    path = shutil.which(CHROMIUM) if not os.path.isabs(CHROMIUM) else CHROMIUM
    if not path or not os.access(path, os.X_OK):
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's browser with "
            "'apt-get install chromium fonts-noto-cjk', or set JIYUN_CHROMIUM to its path"
        )
    return path


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (a fresh context per test isolates them)."""
    executable = _chromium_executable()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="e2e-server", daemon=True
        )

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def is_own(self, url):
        """Whether a URL the browser asked for is served by this server."""
        ours, theirs = urlsplit(self.url), urlsplit(url)
        return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


@pytest.fixture
def live_server(app):
    """The test `app` (bound to this test's fresh database), served in a background thread."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


class BrowserLog:
    """What the pages of one context asked for and complained about."""

    def __init__(self):
        self.requests = []
        self.server_errors = []
        self.console_errors = []
        self.page_errors = []

    def attach(self, context):
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("response", self._response)
        context.on("page", self._page)

    def _response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def _page(self, page):
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def page(browser, live_server, browser_log):
    """A page in a fresh browser context, as a Beijing civil servant's browser: Chinese
    first, Beijing time. Stops the test if the page breaks or reaches another host."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    browser_log.attach(context)
    opened = context.new_page()
    yield opened
    context.close()
    foreign = [url for url in browser_log.requests if not live_server.is_own(url)]
    assert not foreign, f"the pages reached beyond the portal: {foreign}"
    assert not browser_log.server_errors, f"server errors: {browser_log.server_errors}"
    assert not browser_log.page_errors, f"script errors: {browser_log.page_errors}"


@pytest.fixture
def screenshot():
    """Save a full-page screenshot to test-artifacts/e2e/<name>.png (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
