"""Helpers for browser tests (Playwright's sync API driving Debian's chromium)."""

from pathlib import Path

import pytest
from django.urls import reverse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium(executable: Path, *, ci: bool) -> str:
    """The browser's path; skip with the reason when it or Playwright is missing, but fail under CI."""
    problem = None
    if not executable.exists():
        problem = f"{executable} is missing: install Debian's chromium (apt-get install chromium) to run browser tests"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "Playwright for Python is missing: install the dev extra (pip install -e '.[dev]')"
    if problem:
        if ci:
            pytest.fail(f"{problem}; CI must run the browser tests", pytrace=False)
        pytest.skip(problem)
    return str(executable)


def login(page, live_server, username: str, password: str) -> None:
    """Log in through the real login page; fail with the page's error text if the login is refused."""
    page.goto(live_server.url + reverse("login"))
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    if page.url.split("?", 1)[0].endswith(reverse("login")):
        errors = page.locator(".errorlist").all_inner_texts()
        raise AssertionError(f"login as {username!r} was refused: {errors}")
