import pytest

from accounts.services import user_create_staff, user_create_unit_user

from .factories import UnitFactory

# Password hashing is deliberately slow; tests only need it to work.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


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
