"""Property-based fuzzing of the REST API, driven by its own OpenAPI schema (schemathesis).

For a staff token and a unit user's token, every operation of the schema is called with generated
requests, valid ones (positive) and invalid ones (negative), against a registry of two units'
records: no answer may be a server error (5xx), and every answer must match the schema (documented
status code, content type and body). Generation is derandomized (the same requests on every run);
``FUZZ_EXAMPLES`` sets the examples per operation and mode (default 10, about a minute per token
on SQLite).
"""

import datetime
import io
import json
import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create, user_create_unit_user
from dashboards import engine
from notifications.models import Notification

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
D = datetime.date


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def registry(unit, other_unit):
    """Records of two units, contracts in and out of Liaoning, and a computed snapshot."""
    records = {}
    for owner in (unit, other_unit):
        achievement = AchievementFactory(unit=owner, registered_on=D(2021, 3, 1))
        AchievementFactory(unit=owner, convertible=False, funded=False, registered_on=D(2022, 7, 1))
        contract = TransformationFactory(
            achievement=achievement, signed_on=D(2023, 5, 1), amount=Decimal("120000.00")
        )
        TransformationFactory(
            achievement=achievement,
            signed_on=D(2022, 5, 1),
            transferee=TransfereeFactory(region="110108"),
            received=Decimal("1000.00"),
        )
        records[owner.pk] = {
            "achievements": achievement.pk,
            "transformations": contract.pk,
            "transferees": contract.transferee_id,
            "units": owner.pk,
        }
    engine.recompute_full()
    return records


def fuzz(openapi, user, ids: dict[str, list[int]]) -> list[str]:
    """Run every operation; return the failures (operation, request and what was wrong)."""
    schema = schemathesis.openapi.from_dict(openapi)
    schema.app = WSGIHandler()
    _, key = api_token_create(user=user, name="fuzz")
    headers = {"Authorization": f"Token {key}"}
    # the caller's own notification (the other users' answer a documented 404)
    own = Notification.objects.create(recipient=user, event="achievement_withdrawn", title="fuzz", url="/")
    ids = {**ids, "notifications": [own.pk]}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy(mode) for mode in GenerationMode]
        if "{id}" in operation.path:
            resource = operation.path.split("/")[3]
            strategies += [operation.as_strategy(path_parameters={"id": pk}) for pk in ids.get(resource, ())]

        @settings(
            max_examples=EXAMPLES * len(strategies),
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # failed checks: recorded, the fuzzing goes on
                failures.append(f"{case.operation.label}: {exc}"[:1500])

        run()
    return failures


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.STATS_API_THROTTLE_RATE = ""


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The requests go through the real WSGI handler, which closes the database connection at the
    end of each request; like Django's test client, keep the test's connection (and transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_fuzz_with_a_staff_token(openapi, staff_user, registry):
    ids = {name: [records[name] for records in registry.values()] for name in next(iter(registry.values()))}
    failures = fuzz(openapi, staff_user, ids)
    assert not failures, "\n\n".join(failures[:10])


def test_fuzz_with_a_unit_users_token(openapi, unit, registry):
    user = user_create_unit_user(username="fuzz-unit", password="pass-for-tests-1", unit=unit)
    # Their own records and another unit's (which must answer a documented 404).
    ids = {name: [records[name] for records in registry.values()] for name in next(iter(registry.values()))}
    failures = fuzz(openapi, user, ids)
    assert not failures, "\n\n".join(failures[:10])
