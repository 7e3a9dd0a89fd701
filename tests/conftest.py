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


DEMO_FIXTURE = "demo_data"


@pytest.fixture(scope="session")
def demo_data(django_db_setup, django_db_blocker):
    """The demo data (``seed_demo --with-logins``) and its statistics snapshot, built once per test
    session inside a transaction that is rolled back at the end of the session; yields what
    ``seed_demo`` printed. Each test still runs in its own transaction inside that one. The tests
    that use it run after every other test (``pytest_collection_modifyitems`` below), so no other
    test sees these rows and no transactional test flushes them."""
    from django.core.management import call_command
    from django.db import transaction

    from dashboards import engine

    out = io.StringIO()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
                call_command("seed_demo", "--with-logins", stdout=out)
            engine.recompute_full()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield out.getvalue()
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the tests that use the session's demo data last (after pytest-django's own ordering), so
    the data is built once and rolled back once."""
    items.sort(key=lambda item: DEMO_FIXTURE in getattr(item, "fixturenames", ()))


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
