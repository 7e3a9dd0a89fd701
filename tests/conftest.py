import io

import factory.random
import pytest
from django.test import override_settings

from accounts.services import user_create_staff, user_create_unit_user

from .factories import UnitFactory

# Password hashing is deliberately slow; tests only need it to work.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _seeded_factories(request):
    """The factories' random values (factory_boy's and Faker's generator) depend only on the test's
    id, so a failure reproduces when the test runs alone or in another order."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in English leaves English active in the thread (the locale middleware activates
    the request's language and nothing resets it); the next test starts in the default language."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


DEMO_FIXTURE = "demo_data"


class _DemoData:
    """The session's demo data: seeded in a transaction that ``release`` rolls back (once)."""

    def __init__(self, blocker):
        self.blocker, self.atomic, self.output = blocker, None, ""

    def seed(self):
        from django.core.management import call_command
        from django.db import transaction

        from dashboards import engine

        out = io.StringIO()
        with self.blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            try:
                with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
                    call_command("seed_demo", "--with-logins", stdout=out)
                engine.recompute_if_needed()  # the reports seeder computed it already: as make run, not twice
            except BaseException:
                self.release()
                raise
        self.output = out.getvalue()

    def release(self):
        from django.db import transaction

        if self.atomic is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.atomic = None


_demo: _DemoData | None = None


@pytest.fixture(scope="session")
def demo_data(django_db_setup, django_db_blocker):
    """The demo data (``seed_demo --with-logins``) and its statistics snapshot, built once per test
    session; yields what ``seed_demo`` printed. Each test still runs in its own transaction inside
    the one that holds the data. The tests that use it run together at the end of the database
    tests, before the transactional ones (``pytest_collection_modifyitems`` below), and the data is
    rolled back right after the last of them (``pytest_runtest_teardown``): no other test sees it,
    and no transactional test flushes it or the rows of the data migrations it needs."""
    global _demo
    _demo = _DemoData(django_db_blocker)
    _demo.seed()
    try:
        yield _demo.output
    finally:
        _demo.release()


def _uses_demo(item) -> bool:
    return item is not None and DEMO_FIXTURE in getattr(item, "fixturenames", ())


def _plain_db_test(item) -> bool:
    """A test in a rolled-back transaction (pytest-django runs these first, then the transactional
    ones, which empty the tables, then the tests without a database)."""
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if marker is None and "db" not in fixtures:
        return False
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    )
    return not transactional and "transactional_db" not in fixtures and "live_server" not in fixtures


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """After pytest-django's ordering: the tests that use the session's demo data move to the end
    of the plain database tests, so that the data is built once and rolled back once."""
    demo = [item for item in items if _uses_demo(item)]
    if not demo:
        return
    rest = [item for item in items if not _uses_demo(item)]
    at = next((index for index, item in enumerate(rest) if not _plain_db_test(item)), len(rest))
    items[:] = rest[:at] + demo + rest[at:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    if _demo is not None and _uses_demo(item) and not _uses_demo(nextitem):
        _demo.release()  # the last user of the demo data: the following tests must not see it
    return result


@pytest.fixture
def unit(db):
    return UnitFactory()


@pytest.fixture
def other_unit(db):
    return UnitFactory()


@pytest.fixture
def staff_user(db):
    return user_create_staff(username="staff", password="pass-for-tests-1")


@pytest.fixture
def unit_user(db, unit):
    return user_create_unit_user(username="unituser", password="pass-for-tests-1", unit=unit)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def unit_client(client, unit_user):
    client.force_login(unit_user)
    return client


@pytest.fixture
def celery_eager():
    """Run Celery tasks in-process for this test, even when a real broker is configured."""
    from liaoning_tt.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
