"""Shared pytest configuration: hypothesis profiles (fast default, thorough `ci`), notation."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _default_notation() -> Iterator[None]:
    """Every test starts and ends in Nielsen's notation, whatever a test or page chose."""
    import nn.notation

    nn.notation.use("nielsen")
    yield
    nn.notation.use("nielsen")


@pytest.fixture(scope="session")
def torch() -> Any:
    """The torch module, or a skip with the one install hint (a failure where CI requires it)."""
    if os.environ.get("DELTAGRAD_REQUIRE_TORCH") == "1":
        import torch as required

        return required
    return pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a module's page tests, or a skip with the reason (a failure
    in CI). Every page test takes this one (two sync Playwrights cannot run at once), and it
    ends with the module: while it runs, its event loop is this thread's, so asyncio.run()
    in a later test would fail."""
    from tests.test_stepper_browser import CHROMIUM_ARGS, REQUIRE_BROWSER, _browser_missing

    missing = _browser_missing()
    if missing is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"DELTAGRAD_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


# ------------------------------------------------------------------------- the browser site
REQUIRE_SITE = os.environ.get("DELTAGRAD_REQUIRE_SITE") == "1"


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The site (viz.site.build) built once for the session, or a skip when it cannot be built
    here, such as without npm (a failure where CI requires it: DELTAGRAD_REQUIRE_SITE=1)."""
    from viz.site import SiteError, build

    out = tmp_path_factory.mktemp("site") / "site"
    try:
        build(out, log=lambda line: None)
    except SiteError as e:
        if REQUIRE_SITE:
            pytest.fail(f"DELTAGRAD_REQUIRE_SITE=1 but the site cannot be built: {e}")
        pytest.skip(f"the site cannot be built here: {e}")
    return out


@pytest.fixture(scope="session")
def site_url(site_dir: Any) -> Iterator[str]:
    """The built site served over HTTP on the loopback interface (workers need http://)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site_dir))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class SitePage:
    """A page of the site in Chromium: every request to another host is refused and counted
    (off_host); console errors, uncaught exceptions and HTTP errors are collected (errors).
    The fixture fails a test that leaves either non-empty."""

    def __init__(self, page: Any, url: str) -> None:
        self.page, self.url = page, url
        self.off_host: list[str] = []
        self.errors: list[str] = []

    def open(self, name: str, ready: bool = True, timeout: float = 60.0) -> Any:
        """Open the site's page `name` (such as 'lab.html'); with ready, wait until its Python
        has started (the status line says which deltagrad runs)."""
        self.page.goto(self.url + name)
        if ready:
            self.page.wait_for_function(
                "document.body.dataset.python === 'ready' || "
                "document.body.dataset.python === 'failed'",
                timeout=timeout * 1000,
            )
            state = self.page.evaluate("document.body.dataset.python")
            assert state == "ready", self.page.inner_text("#status")
        return self.page


@pytest.fixture
def site_page(browser: Any, site_url: str) -> Iterator[SitePage]:
    """A fresh browser context at 1400×900 on the served site (see SitePage)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    site = SitePage(page, site_url)

    def route(r: Any) -> None:
        if r.request.url.startswith(site_url):
            r.continue_()
        else:
            site.off_host.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: site.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: site.errors.append(str(e)))
    # a missing file (a favicon.ico the page did not name, say) is an error too
    page.on(
        "response",
        lambda r: site.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield site
    context.close()
    assert site.off_host == [], f"requests to other hosts: {site.off_host}"
    assert site.errors == [], f"console errors: {site.errors}"
