"""Browser tests: Playwright for Python driving Debian's chromium against pytest-django's live server.

Use the ``browser_page`` fixture (a fresh browser context per test, Chinese locale, base URL set to
the live server) and ``helpers.login``. Every test in this folder is marked ``browser`` and runs
with ``django_db(transaction=True, serialized_rollback=True)``: the live server sees only committed
data, and the serialized rollback restores what data migrations created (role groups, clusters, the
beat schedule) after an earlier transactional test flushed the tables.

No browser is downloaded: without /usr/bin/chromium (apt-get install chromium) the tests are skipped
with that reason, except under CI=true, where they fail.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from .helpers import CHROMIUM, CHROMIUM_ARGS, require_chromium

DEFAULT_TIMEOUT_MS = 15_000
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("serialized_rollback"):
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    return require_chromium(CHROMIUM, ci=os.environ.get("CI") == "true")


@pytest.fixture(scope="session")
def browser(chromium_executable, django_db_setup, django_db_blocker):
    """One headless chromium for the session. Playwright starts it with a new, empty --user-data-dir."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django's ORM would refuse to
    # run from the test body (SynchronousOnlyOperation) without this.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # The running loop also gives this thread a new context, hence new Django connection objects;
    # carry over the test database's serialized contents, which serialized rollback restores from.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    try:
        with sync_playwright() as playwright:
            for alias, contents in serialized.items():
                connections[alias]._test_serialized_contents = contents
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
            with django_db_blocker.unblock():
                connections.close_all()  # this context's connections, or the test database cannot be dropped
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_static_files(settings):
    """Unhashed static URLs: the live server serves /static/ from the finders, which know no hashed names."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def browser_page(request, browser, live_server, browser_static_files, tmp_path):
    """A page in a fresh browser context (own cookies), Chinese locale, ``base_url`` = the live server.

    On failure a full-page screenshot is saved as ``failure.png`` in the test's tmp_path.
    """
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id=settings.TIME_ZONE,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    if getattr(request.node, "browser_test_failed", False):
        page.screenshot(path=tmp_path / "failure.png", full_page=True)
        print(f"screenshot of the failed page: {tmp_path / 'failure.png'}")
    context.close()
