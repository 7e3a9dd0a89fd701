"""The browser-test harness skips without chromium on a developer's machine but fails under CI."""

from pathlib import Path

import pytest

from .browser.helpers import CHROMIUM_ARGS, require_chromium

MISSING = Path("/nonexistent/chromium")


def test_missing_chromium_skips_with_the_reason_outside_ci():
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(MISSING, ci=False)


def test_missing_chromium_fails_under_ci():
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium(MISSING, ci=True)


def test_chromium_runs_without_sandbox_and_background_network_traffic():
    assert {"--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"} <= set(
        CHROMIUM_ARGS
    )
