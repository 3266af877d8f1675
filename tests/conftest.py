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
