"""The access matrix: every route × method × role, against a declared policy table.

The routes come from the URL resolver (pages, exchange, dashboards, accounts, admin, API, health)
and from the OpenAPI schema (paths × methods). Each route has one row in ``POLICY`` saying, per
method, what every role gets. A route (or a schema operation) without a row fails
``test_every_route_has_a_declared_policy`` ("route X has no declared policy"), so a new route
cannot be added without deciding who may use it.

Every combination is its own test. The records of two units are created once for the module (in
a transaction rolled back at the end); each test runs in a savepoint. The object routes target
unit B's records: unit A is the other unit (404 on B's records), unit B the owner. Every write
(POST, PUT, PATCH, DELETE) sends a plausible body and then checks that the rows of the unit the
caller must not touch are unchanged (achievements, contracts, their transferees, versions and
history counts), and a DELETE never removes a row.

How to add a route: add its row to ``POLICY`` (keyed by URL name, or by the route pattern for an
unnamed route), and a body in ``API_BODIES`` / ``PAGE_BODIES`` if it takes writes. See
docs/security.md, "The access matrix".
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin import site as admin_site
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import api_token_create, api_token_revoke, user_create_staff, user_create_unit_user
from achievements.models import Achievement, Transferee, Transformation, Unit

from .conftest import FAST_PASSWORD_HASHERS
from .factories import (
    AchievementFactory,
    TransfereeFactory,
    TransformationFactory,
    UnitFactory,
    cluster,
    make_credit_code,
    make_patent_no,
)

# --- roles -------------------------------------------------------------------------------------

ANON = "anon"
UNIT_A = "unit_a"  # session of a user of unit A: the other unit (object routes target unit B)
UNIT_A_TOKEN = "unit_a_token"  # API token of that user
UNIT_B = "unit_b"  # session of a user of unit B: the owner of the targeted records
RO_TOKEN_B = "ro_token_b"  # read-only token of unit B's user
RO_TOKEN_STAFF = "ro_token_staff"  # read-only token of a staff member
EXPIRED_TOKEN = "expired_token"  # expired token of unit B's user
REVOKED_TOKEN = "revoked_token"  # revoked token of unit B's user
STAFF = "staff"  # session of department staff (not a superuser)
STAFF_TOKEN = "staff_token"  # API token of that staff member

ROLES = (
    ANON,
    UNIT_A,
    UNIT_A_TOKEN,
    UNIT_B,
    RO_TOKEN_B,
    RO_TOKEN_STAFF,
    EXPIRED_TOKEN,
    REVOKED_TOKEN,
    STAFF,
    STAFF_TOKEN,
)
TOKEN_ROLES = (UNIT_A_TOKEN, RO_TOKEN_B, RO_TOKEN_STAFF, EXPIRED_TOKEN, REVOKED_TOKEN, STAFF_TOKEN)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Which unit's rows must be unchanged after a role's write ("a" = unit A, "b" = unit B).
PROTECTED_UNITS = {
    ANON: ("a", "b"),
    UNIT_A: ("b",),
    UNIT_A_TOKEN: ("b",),
    UNIT_B: ("a",),
    RO_TOKEN_B: ("a", "b"),
    RO_TOKEN_STAFF: ("a", "b"),
    EXPIRED_TOKEN: ("a", "b"),
    REVOKED_TOKEN: ("a", "b"),
    STAFF: ("a",),
    STAFF_TOKEN: ("a",),
}

# --- expected outcomes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location starts with ``to`` (a path, or ``None`` for anywhere but a login page)."""

    to: str | None = None

    def __str__(self):
        return f"302→{self.to or '(page)'}"


@dataclass(frozen=True)
class AnyOf:
    """Either status is right (e.g. a form page that checks the method after looking the record up)."""

    statuses: tuple[int, ...]

    def __str__(self):
        return " or ".join(map(str, self.statuses))


LOGIN = Redirect(resolve_url(settings.LOGIN_URL))  # pages: anonymous (and API tokens, which pages ignore)
ADMIN_LOGIN = Redirect("/admin/login/")
MOVED = Redirect(None)  # a successful form post or one-button action goes on to a page
LOGIN_PATHS = (LOGIN.to, "/admin/login/")
NOT_YOURS = AnyOf((404, 405))  # unit A on unit B's record, a method the page does not take

Expect = int | Redirect | AnyOf
RoleExpect = dict[str, Expect]


def everyone(status: Expect) -> RoleExpect:
    return dict.fromkeys(ROLES, status)


def page(*, own: Expect, other: Expect | None = None, staff: Expect, anon: Expect = LOGIN) -> RoleExpect:
    """A server-rendered page. API tokens are not credentials there: token roles get what the
    anonymous get. ``other`` is unit A on unit B's record (defaults to ``own`` on pages with no
    record)."""
    result = dict.fromkeys((ANON, *TOKEN_ROLES), anon)
    result.update({UNIT_A: own if other is None else other, UNIT_B: own, STAFF: staff})
    return result


def record_page(*, own: Expect, staff: Expect, other: Expect = 404) -> RoleExpect:
    """A page on one of unit B's records: unit A gets 404, as if the record did not exist."""
    return page(own=own, other=other, staff=staff)


def api(*, own: Expect, staff: Expect, other: Expect | None = None, write: bool) -> RoleExpect:
    """An API operation. No or bad credentials: 401. A read-only token writing: 403 (before any
    record is looked up). ``other`` is unit A (session or token) on unit B's record."""
    other = own if other is None else other
    return {
        ANON: 401,
        EXPIRED_TOKEN: 401,
        REVOKED_TOKEN: 401,
        UNIT_A: other,
        UNIT_A_TOKEN: other,
        UNIT_B: own,
        RO_TOKEN_B: 403 if write else own,
        RO_TOKEN_STAFF: 403 if write else staff,
        STAFF: staff,
        STAFF_TOKEN: staff,
    }


def api_public(status: Expect) -> RoleExpect:
    """Open API documents: anyone, but a bad token is still refused."""
    return {**everyone(status), EXPIRED_TOKEN: 401, REVOKED_TOKEN: 401}


def admin(staff: Expect) -> RoleExpect:
    """The admin: only staff sessions get in; everybody else is sent to the admin login."""
    result = dict.fromkeys(ROLES, ADMIN_LOGIN)
    result[STAFF] = staff
    return result


@dataclass
class Row:
    """The policy of one route: the object it is exercised on and, per method, what each role gets.
    ``other`` covers the methods not named: a per-role dict, or a function of the method."""

    target: str | None  # a key of the fixture's ``objects`` (fills the route's one argument)
    methods: dict[str, RoleExpect]
    other: RoleExpect | Callable[[str], RoleExpect] | None = None
    args: Callable[[Any], list] | None = None  # routes with other arguments
    path: str | None = None  # unnamed catch-all routes: the path requested
    query: str = ""  # required query parameters

    def expect(self, method: str) -> RoleExpect | None:
        if method in self.methods:
            return self.methods[method]
        return self.other(method) if callable(self.other) else self.other


# --- the policy table --------------------------------------------------------------------------


def api_missing(method: str) -> RoleExpect:
    """An API method a route does not have: 405 (a read-only token writing: 403 first)."""
    return api(own=405, staff=405, write=method != "GET")


def api_staff_writes(method: str) -> RoleExpect:
    """Shared records (units, transferees): any write by a unit user is 403 before the method is
    looked at; staff get 405 for a method the route does not have."""
    return api(own=403 if method != "GET" else 405, staff=405, write=method != "GET")


SIGNED_IN_405 = page(own=405, staff=405)  # a method a page does not take (checked before the record)
EVERYONE_405 = everyone(405)
FORM_OTHER_METHODS = record_page(own=405, staff=405, other=NOT_YOURS)
FORM_FRAMEWORK_PUT = page(own=200, staff=200)  # Django's FormView answers PUT like POST (empty form)

POLICY: dict[str, Row] = {
    # --- site --------------------------------------------------------------------------------
    "home": Row(None, {"GET": everyone(200)}, EVERYONE_405),
    "healthz": Row(None, {"GET": everyone(200)}, EVERYONE_405),
    # Django's LoginView / PasswordResetView are FormViews: PUT is handled like POST (an empty form,
    # shown again), PATCH and DELETE are 405. The login body signs in unit B's user.
    "login": Row(None, {"GET": everyone(200), "POST": everyone(MOVED), "PUT": everyone(200)}, EVERYONE_405),
    "logout": Row(None, {"POST": everyone(MOVED)}, EVERYONE_405),
    # Django's set_language redirects whatever the method; only POST changes the language
    "set_language": Row(None, {}, everyone(MOVED)),
    # password change (signed-in users) and reset by e-mail (anyone)
    "password_change": Row(
        None,
        {"GET": page(own=200, staff=200), "POST": page(own=MOVED, staff=MOVED), "PUT": FORM_FRAMEWORK_PUT},
        SIGNED_IN_405,
    ),
    "password_change_done": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "password_reset": Row(
        None, {"GET": everyone(200), "POST": everyone(MOVED), "PUT": everyone(200)}, EVERYONE_405
    ),
    "admin_password_reset": Row(
        None, {"GET": everyone(200), "POST": everyone(MOVED), "PUT": everyone(200)}, EVERYONE_405
    ),
    "password_reset_done": Row(None, {"GET": everyone(200)}, EVERYONE_405),
    # a link with a wrong token is the "invalid link" page whatever the method; nothing changes
    "password_reset_confirm": Row(None, {}, everyone(200), args=lambda d: ["MQ", "wrong-token"]),
    "password_reset_complete": Row(None, {"GET": everyone(200)}, EVERYONE_405),
    # --- registry pages (records of unit B) ---------------------------------------------------
    "achievements:achievement_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "achievements:achievement_create": Row(
        None,
        # the body names unit B: a unit user's form has no unit field, so each creates in their own unit
        {"GET": page(own=200, staff=200), "POST": page(own=MOVED, staff=MOVED)},
        SIGNED_IN_405,
    ),
    "achievements:achievement_detail": Row("ach_b", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
    "achievements:achievement_edit": Row(
        "ach_b",
        {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
        FORM_OTHER_METHODS,
    ),
    # destructive acts: a confirmation page (GET) with a reason, then the act (POST)
    "achievements:achievement_withdraw": Row(
        "ach_b",
        {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
        FORM_OTHER_METHODS,
    ),
    # staff-only acts: refused (403) before the record is looked up
    "achievements:achievement_restore": Row(
        "ach_b_withdrawn", {"POST": page(own=403, staff=MOVED)}, page(own=403, staff=405)
    ),
    "achievements:achievement_convertible": Row(
        "ach_b", {"POST": page(own=403, staff=MOVED)}, page(own=403, staff=405)
    ),
    "achievements:achievement_merge": Row(
        "ach_b",
        {"GET": page(own=403, staff=200), "POST": page(own=403, staff=MOVED)},
        page(own=403, staff=405),
    ),
    "achievements:transformation_create": Row(
        "ach_b",
        {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
        FORM_OTHER_METHODS,
    ),
    "achievements:transformation_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    # pickers: the transferee autocomplete (a unit user's answer holds their own unit's transferees
    # only) and the region search (the division list, no records), both for every signed-in user
    "achievements:transferee_search": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "core:region_search": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    # the list's exports (the list's filters; a unit user's rows only)
    "achievements:transformation_export_xlsx": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "achievements:transformation_export_csv": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "achievements:transformation_detail": Row(
        "contract_b", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405
    ),
    "achievements:transformation_edit": Row(
        "contract_b",
        {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
        FORM_OTHER_METHODS,
    ),
    "achievements:transformation_cancel": Row(
        "contract_b",
        {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
        FORM_OTHER_METHODS,
    ),
    # --- dashboards ---------------------------------------------------------------------------
    "dashboards:dashboard": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    # --- exchange (the import job was uploaded by unit B's user) ------------------------------
    "exchange:import_upload": Row(
        None, {"GET": page(own=200, staff=200), "POST": page(own=MOVED, staff=MOVED)}, SIGNED_IN_405
    ),
    "exchange:import_job": Row("job_b", {"GET": record_page(own=200, staff=200)}, FORM_OTHER_METHODS),
    "exchange:import_job_status": Row("job_b", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
    # only the uploader confirms; staff see the job but do not confirm someone else's import
    "exchange:import_job_confirm": Row("job_b", {"POST": record_page(own=MOVED, staff=403)}, SIGNED_IN_405),
    "exchange:template": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405, args=lambda d: ["zh"]),
    "exchange:export_xlsx": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "exchange:export_csv": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    # --- notifications (notification_b is unit B's user's own: everybody else gets 404) ------------
    "notifications:list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
    "notifications:read": Row("notification_b", {"POST": record_page(own=MOVED, staff=404)}, SIGNED_IN_405),
    "notifications:read_all": Row(None, {"POST": page(own=MOVED, staff=MOVED)}, SIGNED_IN_405),
    "notifications:preferences": Row(
        None, {"GET": page(own=200, staff=200), "POST": page(own=MOVED, staff=MOVED)}, SIGNED_IN_405
    ),
    # --- API ----------------------------------------------------------------------------------
    # unrouted API paths: a JSON 404 for everybody, whatever the method
    "^api/": Row(None, {}, everyone(404), path="/api/v1/no-such-endpoint/"),
    "api:root": Row(None, {"GET": api_public(200)}, api_public(405)),
    "api:schema": Row(None, {"GET": api_public(200)}, api_public(405)),
    "api:docs": Row(None, {"GET": api_public(200)}, api_public(405)),
    "api:redoc": Row(None, {"GET": api_public(200)}, api_public(405)),
    # units and transferees are shared records: staff write them, unit users read (their own)
    "api:unit-list": Row(
        None,
        {"GET": api(own=200, staff=200, write=False), "POST": api(own=403, staff=201, write=True)},
        api_staff_writes,
    ),
    "api:unit-detail": Row(
        "unit_b",
        {
            "GET": api(own=200, other=404, staff=200, write=False),
            "PUT": api(own=403, staff=200, write=True),
            "PATCH": api(own=403, staff=200, write=True),
        },
        api_staff_writes,
    ),
    "api:transferee-list": Row(
        None,
        {"GET": api(own=200, staff=200, write=False), "POST": api(own=403, staff=201, write=True)},
        api_staff_writes,
    ),
    "api:transferee-detail": Row(
        "transferee_b",
        {
            "GET": api(own=200, other=404, staff=200, write=False),
            "PUT": api(own=403, staff=200, write=True),
            "PATCH": api(own=403, staff=200, write=True),
        },
        api_staff_writes,
    ),
    "api:achievement-list": Row(
        None,
        # the body names unit B: unit A may not create in another unit (400 on unit_code)
        {"GET": api(own=200, staff=200, write=False), "POST": api(own=201, other=400, staff=201, write=True)},
        api_missing,
    ),
    "api:achievement-detail": Row(
        "ach_b",
        {
            "GET": api(own=200, other=404, staff=200, write=False),
            "PUT": api(own=200, other=404, staff=200, write=True),
            "PATCH": api(own=200, other=404, staff=200, write=True),
        },
        api_missing,
    ),
    "api:achievement-withdraw": Row(
        "ach_b", {"POST": api(own=200, other=404, staff=200, write=True)}, api_missing
    ),
    "api:transformation-list": Row(
        None,
        {"GET": api(own=200, staff=200, write=False), "POST": api(own=201, other=400, staff=201, write=True)},
        api_missing,
    ),
    "api:transformation-detail": Row(
        "contract_b",
        {
            "GET": api(own=200, other=404, staff=200, write=False),
            "PUT": api(own=200, other=404, staff=200, write=True),
            "PATCH": api(own=200, other=404, staff=200, write=True),
        },
        api_missing,
    ),
    "api:transformation-cancel": Row(
        "contract_b", {"POST": api(own=200, other=404, staff=200, write=True)}, api_missing
    ),
    # a user's own notifications only: another user's (staff included) is 404
    "api:notification-list": Row(None, {"GET": api(own=200, staff=200, write=False)}, api_missing),
    "api:notification-detail": Row(
        "notification_b", {"GET": api(own=200, other=404, staff=404, write=False)}, api_missing
    ),
    "api:notification-read": Row(
        "notification_b", {"POST": api(own=200, other=404, staff=404, write=True)}, api_missing
    ),
    "api:notification-read-all": Row(None, {"POST": api(own=200, staff=200, write=True)}, api_missing),
    # statistics are province-wide figures: every signed-in user and valid token may read them
    "api:stats-root": Row(None, {"GET": api(own=200, staff=200, write=False)}, api_missing),
    "api:stats-summary": Row(
        None, {"GET": api(own=200, staff=200, write=False)}, api_missing, query="?year=2024"
    ),
    "api:stats-breakdown": Row(
        None, {"GET": api(own=200, staff=200, write=False)}, api_missing, query="?year=2024&by=unit"
    ),
    "api:stats-timeseries": Row(
        None, {"GET": api(own=200, staff=200, write=False)}, api_missing, query="?from=2020&to=2024"
    ),
}

# Known deviations from the table: the current answer differs from the declared policy. Each is
# an expected failure (strict: once fixed, the entry must go) and is listed in docs/security.md.
SESSIONS = (UNIT_A, UNIT_B, STAFF)
KNOWN_DEVIATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    # route: (methods, roles, what happens)
    # (none at present)
}

# Django's own routes whose answer is the framework's (docs viewers, schema): errors need not be JSON.
NOT_JSON_ERRORS = {"api:schema", "api:docs", "api:redoc"}

# --- the admin ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminModel:
    """What the department staff role may do with a model in the admin. Registry records are never
    deleted; the only delete is unlocking a login (removing a failure counter)."""

    view: bool
    add: bool = False
    change: bool = False
    delete: bool = False
    history: str = "admin"  # "admin" (Django's log) or "simple" (simple_history: old versions, no revert)


ADMIN_MODELS = {
    # not for department staff (superusers only)
    "auth.group": AdminModel(view=False),
    "exchange.importjob": AdminModel(view=False),
    "core.workerheartbeat": AdminModel(view=False),
    "django_celery_beat.periodictask": AdminModel(view=False),
    "django_celery_beat.intervalschedule": AdminModel(view=False),
    "django_celery_beat.crontabschedule": AdminModel(view=False),
    "django_celery_beat.solarschedule": AdminModel(view=False),
    "django_celery_beat.clockedschedule": AdminModel(view=False),
    # accounts
    "accounts.user": AdminModel(view=True, add=True, change=True),
    "accounts.apitoken": AdminModel(view=True, add=True, change=True),
    "accounts.loginattempt": AdminModel(view=True, delete=True),  # unlock = delete the counter
    "accounts.loginrecord": AdminModel(view=True),
    # the registry: versioned records are read-only (curated on the pages); master data through services
    "achievements.achievement": AdminModel(view=True, history="simple"),
    "achievements.transformation": AdminModel(view=True, history="simple"),
    "achievements.unit": AdminModel(view=True, add=True, change=True, history="simple"),
    "achievements.transferee": AdminModel(view=True, add=True, change=True, history="simple"),
    "achievements.cluster": AdminModel(view=True, add=True, change=True, history="simple"),
}


ADMIN_SITE_ROWS = {
    "admin:index": Row(None, {}, admin(200)),
    "admin:login": Row(
        None,
        {
            "GET": {**everyone(200), STAFF: MOVED},
            "POST": everyone(200),  # unit B's user is not staff: the form again
            "PUT": everyone(200),
        },
        everyone(405),
    ),
    # non-staff are sent to the admin index (then its login); staff log out with POST
    "admin:logout": Row(None, {"POST": everyone(MOVED)}, {**everyone(MOVED), STAFF: 405}),
    # a FormView: PUT is handled like POST (the empty form again), PATCH and DELETE are 405
    "admin:password_change": Row(
        None, {"GET": admin(200), "POST": admin(200), "PUT": admin(200)}, admin(405)
    ),
    "admin:password_change_done": Row(None, {"GET": admin(200)}, admin(405)),
    "admin:autocomplete": Row(None, {"GET": admin(403)}, admin(405)),  # no field named: refused
    "admin:jsi18n": Row(None, {"GET": admin(200)}, admin(405)),
    "admin:view_on_site": Row(None, {}, admin(MOVED), args=lambda d: [d["ct_achievement"], d["ach_b"].pk]),
    "admin:app_list": Row(None, {}, admin(200), args=lambda d: ["achievements"]),
    "admin/(?P<url>.*)$": Row(None, {}, admin(404), path="/admin/no-such-page/"),
    "admin:auth_user_password_change": Row("user_b", {}, admin(200)),
}


def _admin_rows() -> dict[str, Row]:
    """Rows for every admin model URL, from ``ADMIN_MODELS`` (a model registered in the admin but
    missing there has no policy). Django's admin views answer PUT, PATCH and DELETE like GET."""
    rows = dict(ADMIN_SITE_ROWS)
    for label, perms in ADMIN_MODELS.items():
        app, model = label.split(".")
        prefix = f"admin:{app}_{model}"
        target = f"admin:{label}"
        see = 200 if perms.view or perms.change else 403
        rows[f"{prefix}_changelist"] = Row(None, {}, admin(see))
        add = 200 if perms.add else 403  # an incomplete add form is shown again
        rows[f"{prefix}_add"] = Row(None, {}, admin(add))
        rows[f"{prefix}_change"] = Row(target, {"POST": admin(200 if perms.change else 403)}, admin(see))
        rows[f"{prefix}_history"] = Row(target, {}, admin(see))
        delete = 200 if perms.delete else 403
        rows[f"{prefix}_delete"] = Row(target, {"POST": admin(MOVED if perms.delete else 403)}, admin(delete))
        # admin/<app>/<model>/<id>/ redirects to the change page
        rows[f"admin/{app}/{model}/<path:object_id>/"] = Row(target, {}, admin(MOVED))
        if perms.history == "simple":
            rows[f"{prefix}_simple_history"] = Row(
                None,
                {"POST": admin(403)},  # an old version is shown, never reverted
                admin(see),
                args=lambda d, label=label: [d[f"admin:{label}"].pk, d[f"history:{label}"]],
            )
    return rows


POLICY.update(_admin_rows())

# --- help pages (docs/help.md): no records, every signed-in user -------------------------------
POLICY.update(
    {
        "core:help_index": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "core:help_topic": Row(
            None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405, args=lambda d: ["registry"]
        ),
    }
)
# --- /help pages ---------------------------------------------------------------------------------

# --- incentives (records: tests/access_incentives.py) ------------------------------------------
STAFF_ACT = page(own=403, staff=MOVED)  # staff-only acts: refused (403) before anything is looked up
STAFF_OTHER = page(own=403, staff=405)
POLICY.update(
    {
        "incentives:rule_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:rule_detail": Row("incentive_rule", {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        # an empty form is shown again with its messages
        "incentives:rule_create": Row(
            None, {"GET": page(own=403, staff=200), "POST": page(own=403, staff=400)}, STAFF_OTHER
        ),
        "incentives:rule_status": Row("incentive_rule", {"POST": STAFF_ACT}, STAFF_OTHER),
        "incentives:rule_preview": Row("incentive_rule", {"GET": page(own=403, staff=200)}, STAFF_OTHER),
        "incentives:parameter_add": Row("incentive_rule", {"POST": STAFF_ACT}, STAFF_OTHER),
        "incentives:rule_evaluate": Row("incentive_rule", {"POST": STAFF_ACT}, STAFF_OTHER),
        "incentives:evaluate": Row(None, {"POST": STAFF_ACT}, STAFF_OTHER),
        "incentives:award_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:award_export_xlsx": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:award_export_csv": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:award_decide": Row(None, {"POST": STAFF_ACT}, STAFF_OTHER),
        # an empty upload is shown again with its message
        "incentives:paid_import": Row(
            None, {"GET": page(own=403, staff=200), "POST": page(own=403, staff=400)}, STAFF_OTHER
        ),
        "incentives:award_detail": Row("award_b", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:award_paid": Row("award_b", {"POST": STAFF_ACT}, STAFF_OTHER),
        "incentives:beneficiary": Row(
            None,
            {"GET": record_page(own=200, staff=200)},
            SIGNED_IN_405,
            args=lambda d: ["transferee", d["award_b"].beneficiary_code],
        ),
        "incentives:listing_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:listing_export_xlsx": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:listing_detail": Row("listing_b", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "incentives:listing_justify": Row("listing_b", {"POST": record_page(own=MOVED, staff=MOVED)}, SIGNED_IN_405),
        "incentives:listing_decide": Row("listing_b", {"POST": STAFF_ACT}, STAFF_OTHER),
        # the published list: anyone, without login (pages ignore API tokens)
        "incentives:public_list": Row(None, {"GET": everyone(200)}, EVERYONE_405),
        "incentives:public_export_xlsx": Row(None, {"GET": everyone(200)}, EVERYONE_405),
        "incentives:public_export_csv": Row(None, {"GET": everyone(200)}, EVERYONE_405),
        "api:incentive-award-list": Row(None, {"GET": api(own=200, staff=200, write=False)}, api_missing),
        "api:incentive-award-detail": Row(
            "award_b", {"GET": api(own=200, staff=200, other=404, write=False)}, api_missing
        ),
        "api:use-before-transfer-list": Row(None, {"GET": api_public(200)}, api_public(405)),
    }
)
# --- /incentives ---------------------------------------------------------------------------------


# --- pilots (records: tests/access_pilots.py) ------------------------------------------------------
P_STAFF_ONLY = page(own=403, staff=200)
POLICY.update(
    {
        "pilots:base_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:base_export_xlsx": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:base_export_csv": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:base_create": Row(None, {"GET": P_STAFF_ONLY, "POST": page(own=403, staff=400)}, STAFF_OTHER),
        # the register is public to every signed-in user; its operator (unit B) and staff edit it
        "pilots:base_detail": Row("base_b", {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:base_edit": Row(
            "base_b", {"GET": page(own=200, other=403, staff=200), "POST": page(own=MOVED, other=403, staff=MOVED)},
            SIGNED_IN_405,
        ),
        "pilots:base_status": Row("base_b", {"GET": P_STAFF_ONLY, "POST": STAFF_ACT}, STAFF_OTHER),
        "pilots:base_fund": Row("base_b", {"GET": P_STAFF_ONLY, "POST": STAFF_ACT}, STAFF_OTHER),
        "pilots:base_rating": Row("base_b", {"GET": P_STAFF_ONLY, "POST": STAFF_ACT}, STAFF_OTHER),
        # the operator files (staff review; they do not file for a base)
        "pilots:report_create": Row(
            "base_b", {"GET": page(own=200, other=403, staff=403), "POST": page(own=MOVED, other=403, staff=403)},
            page(own=405, other=403, staff=403),
        ),
        "pilots:report_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        # reviews: a draft is unit B's alone (staff 404); the operator files, staff review
        "pilots:report_detail": Row("pilot_report_b", {"GET": record_page(own=200, staff=404)}, SIGNED_IN_405),
        "pilots:report_edit": Row(
            "pilot_report_b", {"GET": record_page(own=200, staff=404), "POST": record_page(own=MOVED, staff=404)},
            FORM_OTHER_METHODS,
        ),
        "pilots:report_submit": Row(
            "pilot_report_b", {"GET": record_page(own=200, staff=404), "POST": record_page(own=MOVED, staff=404)},
            FORM_OTHER_METHODS,
        ),
        "pilots:report_resubmit": Row(
            "pilot_report_b_returned", {"GET": record_page(own=200, staff=403), "POST": record_page(own=MOVED, staff=403)},
            FORM_OTHER_METHODS,
        ),
        "pilots:report_accept": Row(
            "pilot_report_b_submitted", {"GET": record_page(own=403, staff=200), "POST": record_page(own=403, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "pilots:report_return_for_changes": Row(
            "pilot_report_b_submitted", {"GET": record_page(own=403, staff=200), "POST": record_page(own=403, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "pilots:report_revise": Row(
            "pilot_report_b_accepted", {"GET": record_page(own=200, staff=403), "POST": record_page(own=MOVED, staff=403)},
            FORM_OTHER_METHODS,
        ),
        "pilots:report_revisions": Row("pilot_report_b_accepted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:report_diff": Row("pilot_report_b_accepted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:evaluation_list": Row(
            None, {"GET": page(own=200, staff=200), "POST": page(own=403, staff=MOVED)}, SIGNED_IN_405
        ),
        "pilots:evaluation_detail": Row("evaluation_b", {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:rubric_for_year": Row(None, {"POST": STAFF_ACT}, STAFF_OTHER),
        "pilots:rubric_detail": Row("rubric", {"GET": P_STAFF_ONLY}, STAFF_OTHER),
        "pilots:rubric_edit": Row("rubric", {"GET": P_STAFF_ONLY, "POST": STAFF_ACT}, STAFF_OTHER),
        "pilots:indicator_edit": Row("indicator", {"GET": P_STAFF_ONLY, "POST": STAFF_ACT}, STAFF_OTHER),
        "pilots:request_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:request_queue": Row(None, {"GET": P_STAFF_ONLY}, STAFF_OTHER),
        # unit A cannot name unit B's achievement: the form again (400)
        "pilots:request_create": Row(
            None, {"GET": page(own=200, staff=200), "POST": page(own=MOVED, other=400, staff=MOVED)}, SIGNED_IN_405
        ),
        "pilots:request_detail": Row("req_b_new", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "pilots:request_send": Row("req_b_new", {"POST": record_page(own=MOVED, staff=MOVED)}, SIGNED_IN_405),
        "pilots:request_accept": Row("req_b_sent", {"POST": record_page(own=MOVED, staff=MOVED)}, SIGNED_IN_405),
        "pilots:request_cancel": Row("req_b_sent", {"POST": record_page(own=MOVED, staff=MOVED)}, SIGNED_IN_405),
        "pilots:request_decline": Row(
            "req_b_sent", {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "pilots:request_start": Row(
            "req_b_accepted", {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "pilots:request_complete": Row(
            "req_b_started", {"GET": record_page(own=200, staff=200), "POST": record_page(own=MOVED, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "api:pilotbase-list": Row(None, {"GET": api(own=200, staff=200, write=False)}, api_missing),
        "api:pilotbase-detail": Row("base_b", {"GET": api(own=200, staff=200, write=False)}, api_missing),
        "api:stats-pilots": Row(None, {"GET": api(own=200, staff=200, write=False)}, api_missing, query="?year=2024"),
    }
)
ADMIN_MODELS.update(
    {
        "pilots.pilotservice": AdminModel(view=True, add=True, change=True, history="simple"),
        "pilots.pilotbase": AdminModel(view=True, history="simple"),
        "pilots.pilotrequest": AdminModel(view=True, history="simple"),
    }
)
POLICY.update({k: v for k, v in _admin_rows().items() if k.startswith(("admin:pilots_", "admin/pilots/"))})
from .access_pilots import PAGE_BODIES as PILOT_PAGE_BODIES  # noqa: E402

# --- /pilots ---------------------------------------------------------------------------------------


# --- route discovery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # URL name (namespaced), or the pattern for an unnamed route
    pattern: str
    params: int


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield pattern, name, entry


def resolver_routes() -> list[Route]:
    """Every route of the site, once: format-suffix duplicates (``.json``/``.csv`` …) and static
    files are left out."""
    routes, seen = [], set()
    for pattern, name, entry in _walk(get_resolver().url_patterns):
        if "drf_format_suffix" in pattern or pattern.startswith(str(settings.STATIC_URL).lstrip("/")):
            continue
        key = name or pattern
        if key in seen:
            continue
        seen.add(key)
        params = entry.pattern.regex.groups
        routes.append(Route(key, pattern, params))
    return routes


def schema_operations() -> list[tuple[str, str, str]]:
    """(route key, method, schema path) of every operation in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        if "{format}" in path:
            continue
        sample = re.sub(r"\{[^}]+\}", "1", path)
        match = resolve(sample)
        key = match.view_name
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                operations.append((key, method.upper(), path))
    return operations


ROUTES = resolver_routes()
SCHEMA_OPERATIONS = schema_operations()


def test_every_route_has_a_declared_policy():
    missing = [f"route {r.key} ({r.pattern}) has no declared policy" for r in ROUTES if r.key not in POLICY]
    for key, method, path in SCHEMA_OPERATIONS:
        row = POLICY.get(key)
        if row is None or method not in row.methods:
            missing.append(f"route {key} ({method} {path}, OpenAPI schema) has no declared policy")
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin_site._registry}
    missing += [
        f"admin model {label} has no declared policy" for label in sorted(registered - set(ADMIN_MODELS))
    ]
    assert not missing, "\n".join(missing)


def test_policy_table_has_no_stale_rows():
    """A row whose route is gone is a policy nobody checks any more."""
    keys = {r.key for r in ROUTES}
    assert sorted(set(POLICY) - keys) == []


def test_unit_b_data_is_really_exercised(matrix, db):
    """The matrix is only meaningful if the fixture holds what the rows target."""
    d = matrix.objects
    assert d["ach_b"].unit_id == d["unit_b"].pk != d["ach_a"].unit_id
    assert d["ach_b_withdrawn"].status == "withdrawn"
    assert d["contract_b"].unit_id == d["unit_b"].pk
    assert (
        Transformation.objects.filter(transferee=d["transferee_shared"]).values("unit").distinct().count()
        == 2
    )


# --- fixture -----------------------------------------------------------------------------------

PASSWORD = "pass-for-tests-1"
REASON = "访问矩阵测试：核对权限"


@dataclass
class Matrix:
    objects: dict[str, Any]
    sessions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)


def _template_upload() -> bytes:
    from exchange import export

    handle = io.BytesIO()
    export.write_template(handle, export.ZH)
    return handle.getvalue()


def _build() -> Matrix:
    from django.contrib.contenttypes.models import ContentType
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from core.models import WorkerHeartbeat
    from exchange.models import ImportJob, ImportStatus

    unit_a = UnitFactory(name="甲大学（矩阵）")
    unit_b = UnitFactory(name="乙研究院（矩阵）")
    user_a = user_create_unit_user(username="matrix_a", password=PASSWORD, unit=unit_a)
    user_b = user_create_unit_user(
        username="matrix_b", password=PASSWORD, unit=unit_b, email="matrix_b@example.cn"
    )
    staff = user_create_staff(username="matrix_staff", password=PASSWORD)

    shared = TransfereeFactory(name="共用受让方（矩阵）")
    ach_a = AchievementFactory(unit=unit_a)
    contract_a = TransformationFactory(achievement=ach_a, transferee=shared)
    ach_b = AchievementFactory(unit=unit_b, convertible=False)
    ach_b_dup = AchievementFactory(unit=unit_b)
    ach_b_withdrawn = AchievementFactory(
        unit=unit_b, status="withdrawn", withdrawn_on=datetime.date(2024, 1, 15)
    )
    transferee_b = TransfereeFactory(name="乙单位受让方（矩阵）")
    contract_b = TransformationFactory(achievement=ach_b, transferee=transferee_b)
    contract_b_shared = TransformationFactory(achievement=ach_b, transferee=shared)
    job_b = ImportJob.objects.create(
        file="imports/matrix.xlsx",
        original_name="matrix.xlsx",
        user=user_b,
        unit=unit_b,
        status=ImportStatus.FAILED,
        message="matrix",
    )
    from axes.models import AccessAttempt, AccessLog

    attempt = AccessAttempt.objects.create(
        username="matrix_b",
        ip_address="10.0.0.9",
        failures_since_start=1,
        user_agent="matrix",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    access_log = AccessLog.objects.create(
        username="matrix_b",
        ip_address="10.0.0.9",
        user_agent="matrix",
        http_accept="",
        path_info="/accounts/login/",
    )
    from notifications.models import Notification

    notification_b = Notification.objects.create(
        recipient=user_b, event="achievement_withdrawn", title="矩阵通知", url=ach_b.get_absolute_url()
    )
    heartbeat = WorkerHeartbeat.objects.create(hostname="matrix-host", seen_at=timezone.now(), beats=1)
    interval = IntervalSchedule.objects.create(every=7, period=IntervalSchedule.MINUTES)
    objects = {
        "unit_a": unit_a,
        "unit_b": unit_b,
        "user_a": user_a,
        "user_b": user_b,
        "staff": staff,
        "ach_a": ach_a,
        "ach_b": ach_b,
        "ach_b_dup": ach_b_dup,
        "ach_b_withdrawn": ach_b_withdrawn,
        "contract_a": contract_a,
        "contract_b": contract_b,
        "contract_b_shared": contract_b_shared,
        "transferee_b": transferee_b,
        "transferee_shared": shared,
        "job_b": job_b,
        "notification_b": notification_b,
        "ct_achievement": ContentType.objects.get_for_model(Achievement).pk,
        "upload": _template_upload(),
    }
    from .access_incentives import build as build_incentives

    build_incentives(objects)
    from .access_pilots import build as build_pilots

    build_pilots(objects)
    build_reports(objects)  # annual reports (tests/access_reports.py)
    from django.contrib.auth.models import Group

    tokens = {
        UNIT_A_TOKEN: api_token_create(user=user_a, name="matrix a")[1],
        RO_TOKEN_B: api_token_create(user=user_b, name="matrix b ro", read_only=True)[1],
        RO_TOKEN_STAFF: api_token_create(user=staff, name="matrix staff ro", read_only=True)[1],
        EXPIRED_TOKEN: api_token_create(
            user=user_b, name="matrix b expired", expires_at=timezone.now() - datetime.timedelta(days=1)
        )[1],
        STAFF_TOKEN: api_token_create(user=staff, name="matrix staff")[1],
    }
    revoked, tokens[REVOKED_TOKEN] = api_token_create(user=user_b, name="matrix b revoked")
    api_token_revoke(token=revoked)
    admin_targets = {
        "auth.group": Group.objects.order_by("pk").first(),
        "accounts.user": user_b,
        "accounts.apitoken": revoked,
        "accounts.loginattempt": attempt,
        "accounts.loginrecord": access_log,
        "achievements.unit": unit_b,
        "achievements.cluster": cluster("A01"),
        "achievements.achievement": ach_b,
        "achievements.transferee": transferee_b,
        "achievements.transformation": contract_b,
        "exchange.importjob": job_b,
        "core.workerheartbeat": heartbeat,
        "django_celery_beat.periodictask": PeriodicTask.objects.create(
            name="matrix task", task="core.tasks.worker_heartbeat_task", interval=interval
        ),
        "django_celery_beat.intervalschedule": interval,
        "django_celery_beat.crontabschedule": CrontabSchedule.objects.create(minute="7"),
        "django_celery_beat.solarschedule": SolarSchedule.objects.create(
            event="sunrise", latitude=41.8, longitude=123.4
        ),
        "django_celery_beat.clockedschedule": ClockedSchedule.objects.create(clocked_time=timezone.now()),
    }
    for label, obj in admin_targets.items():
        objects[f"admin:{label}"] = obj
        history = getattr(type(obj), "history", None)
        if history is not None and hasattr(history, "model"):
            if not obj.history.exists():
                obj.save()  # e.g. a cluster created by a migration: give it a first version
            objects[f"history:{label}"] = obj.history.order_by("-history_id").first().history_id
    sessions = {}
    for role, user in ((UNIT_A, user_a), (UNIT_B, user_b), (STAFF, staff)):
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # One client per role for the whole module: a client's handler loads the middleware once
    # (WhiteNoise indexes the static files when it starts, which is slow).
    clients = {}
    for role in ROLES:
        headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
        clients[role] = Client(headers=headers)
    return Matrix(objects=objects, sessions=sessions, tokens=tokens, clients=clients)


@pytest.fixture
def db(matrix):
    """Each test of this module runs in a savepoint of the module's transaction, rolled back after
    it (in place of pytest-django's ``db``, whose per-test set-up would cost more than most of these
    requests; the name keeps pytest-django creating the test database for this module)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """The records of both units, created once for the module and rolled back at its end."""
    with django_db_blocker.unblock():
        from django.db import connection

        # pytest-django only sets up the test database for tests that use it: make sure it is that one
        name = str(connection.settings_dict["NAME"])
        assert "memory" in name or name.startswith("test_"), f"not a test database: {name}"
        with transaction.atomic():
            # users get the fast hasher the tests verify passwords with (tests/conftest.py)
            with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
                data = _build()
            yield data
            transaction.set_rollback(True)


# --- bodies ------------------------------------------------------------------------------------


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _achievement_json(d, *, title_suffix="（改）") -> dict:
    a = _fresh(d["ach_b"])
    return {
        "ref": a.ref,
        "unit_code": d["unit_b"].code,
        "title": a.title + title_suffix,
        "keywords": a.keywords,
        "ip_type": a.ip_type,
        "patent_no": a.patent_no,
        "trl": a.trl,
        "cluster": a.cluster.code if a.cluster_id else None,
        "funded": a.funded,
        "convertible": a.convertible,
        "registered_on": a.registered_on.isoformat(),
        "version": a.version,
    }


def _contract_json(d) -> dict:
    c = _fresh(d["contract_b"])
    t = c.transferee
    return {
        "ref": c.ref,
        "unit_code": d["unit_b"].code,
        "achievement": c.achievement_id,
        "mode": c.mode,
        "transferee": {"code": t.code, "name": t.name, "region": t.region},
        "signed_on": c.signed_on.isoformat(),
        "amount": str(c.amount),
        "received": "1000.00",
        "registration_no": c.registration_no,
        "version": c.version,
    }


NEW_TRANSFEREE = {
    "code": make_credit_code(900_001, "210200", "91"),
    "name": "矩阵新受让方",
    "region": "210200",
}

API_BODIES: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("api:unit-list", "POST"): lambda d: {
        "code": make_credit_code(900_002, "210100", "12"),
        "name": "矩阵新单位",
        "type": "university",
        "region": "210100",
    },
    ("api:unit-detail", "PUT"): lambda d: {
        "code": d["unit_b"].code,
        "name": "乙研究院（矩阵改）",
        "type": d["unit_b"].type,
        "region": d["unit_b"].region,
    },
    ("api:unit-detail", "PATCH"): lambda d: {"name": "乙研究院（矩阵改）"},
    ("api:transferee-list", "POST"): lambda d: dict(NEW_TRANSFEREE),
    ("api:transferee-detail", "PUT"): lambda d: {
        "code": d["transferee_b"].code,
        "name": "乙单位受让方（改）",
        "region": "110000",
    },
    ("api:transferee-detail", "PATCH"): lambda d: {"name": "乙单位受让方（改）"},
    ("api:achievement-list", "POST"): lambda d: {
        "ref": "MATRIX-NEW-1",
        "unit_code": d["unit_b"].code,
        "title": "矩阵新成果",
        "ip_type": "invention_patent",
        "patent_no": make_patent_no(909_090),
        "trl": 5,
        "cluster": "A01",
        "funded": False,
        "registered_on": "2023-01-10",
    },
    ("api:achievement-detail", "PUT"): _achievement_json,
    ("api:achievement-detail", "PATCH"): lambda d: {
        "version": _fresh(d["ach_b"]).version,
        "title": "矩阵改名",
    },
    ("api:achievement-withdraw", "POST"): lambda d: {
        "withdrawn_on": "2024-06-30",
        "version": _fresh(d["ach_b"]).version,
        "reason": REASON,
    },
    ("api:transformation-list", "POST"): lambda d: {
        "ref": "MATRIX-HT-1",
        "unit_code": d["unit_b"].code,
        "achievement_ref": d["ach_b"].ref,
        "mode": "license",
        "signed_on": "2024-02-01",
        "amount": "20000.00",
        "transferee": dict(NEW_TRANSFEREE),
    },
    ("api:transformation-detail", "PUT"): _contract_json,
    ("api:transformation-detail", "PATCH"): lambda d: {
        "version": _fresh(d["contract_b"]).version,
        "received": "500.00",
    },
    ("api:transformation-cancel", "POST"): lambda d: {
        "version": _fresh(d["contract_b"]).version,
        "reason": REASON,
    },
}


def _achievement_form(d) -> dict:
    a = _fresh(d["ach_b"])
    return {
        "unit": d["unit_b"].pk,
        "ref": a.ref,
        "title": a.title + "（改）",
        "keywords": a.keywords,
        "ip_type": a.ip_type,
        "patent_no": a.patent_no,
        "trl": a.trl,
        "cluster": a.cluster_id or "",
        "funded": "on" if a.funded else "",
        "registered_on": a.registered_on.isoformat(),
        "ip_granted_on": a.ip_granted_on.isoformat() if a.ip_granted_on else "",
        "version": a.version,
    }


def _contract_form(d, *, new: bool = False) -> dict:
    c = _fresh(d["contract_b"])
    transferee = (
        NEW_TRANSFEREE
        if new
        else {"code": c.transferee.code, "name": c.transferee.name, "region": c.transferee.region}
    )
    return {
        "ref": "MATRIX-HT-2" if new else c.ref,
        "mode": c.mode,
        "transferee_code": transferee["code"],
        "transferee_name": transferee["name"],
        "transferee_region": transferee["region"],
        "signed_on": c.signed_on.isoformat(),
        "amount": str(c.amount),
        "received": "1000.00",
        "registration_no": c.registration_no,
        "version": c.version,
    }


PAGE_BODIES: dict[str, Callable[[dict], dict]] = {
    "login": lambda d: {"username": "matrix_b", "password": PASSWORD},
    "password_change": lambda d: {
        "old_password": PASSWORD,
        "new_password1": "Matrix-new-pass-2024",
        "new_password2": "Matrix-new-pass-2024",
    },
    "password_reset": lambda d: {"email": "matrix_b@example.cn"},
    "admin_password_reset": lambda d: {"email": "matrix_b@example.cn"},
    "admin:login": lambda d: {"username": "matrix_b", "password": PASSWORD},
    "set_language": lambda d: {"language": "zh-hans", "next": "/"},
    "achievements:achievement_create": lambda d: {
        **_achievement_form(d),
        "ref": "MATRIX-NEW-2",
        "patent_no": make_patent_no(909_091),
    },
    "achievements:achievement_edit": _achievement_form,
    "achievements:achievement_withdraw": lambda d: {
        "withdrawn_on": "2024-06-30",
        "version": _fresh(d["ach_b"]).version,
    },
    "achievements:achievement_restore": lambda d: {"version": _fresh(d["ach_b_withdrawn"]).version},
    "achievements:achievement_convertible": lambda d: {
        "convertible": "1",
        "version": _fresh(d["ach_b"]).version,
    },
    "achievements:achievement_merge": lambda d: {"duplicate": d["ach_b_dup"].pk},
    "achievements:transformation_create": lambda d: _contract_form(d, new=True),
    "achievements:transformation_edit": _contract_form,
    "achievements:transformation_cancel": lambda d: {"version": _fresh(d["contract_b"]).version},
    "exchange:import_upload": lambda d: {"file": _upload(d)},
}


def _upload(d):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "matrix.xlsx",
        d["upload"],
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _page_body(key: str, d) -> dict:
    bodies = {**PAGE_BODIES, **PILOT_PAGE_BODIES}
    body = bodies[key](d) if key in bodies else {}
    # the confirmation step of destructive acts asks for a reason; other forms ignore it
    body.setdefault("reason", REASON)
    body.setdefault("confirm", "1")
    return body


# --- annual reports (records and bodies: tests/access_reports.py) ---------------------------------
# Unit B has a draft (2023), a submitted (2022), a returned (2021) and an accepted (2020) report.
# A draft is its unit's alone: staff get 404 on it like another unit. Staff review (return,
# accept: 403 for the unit); the unit files (submit, resubmit, revise: 403 for staff).
from .access_reports import API_BODIES as REPORT_API_BODIES  # noqa: E402
from .access_reports import PAGE_BODIES as REPORT_PAGE_BODIES  # noqa: E402
from .access_reports import build as build_reports  # noqa: E402

PAGE_BODIES.update(REPORT_PAGE_BODIES)
API_BODIES.update(REPORT_API_BODIES)
_R_STAFF_PAGE = page(own=403, staff=200)
_R_YEAR = {"args": lambda d: [2023]}
_R_DRAFT_ACT = page(own=MOVED, other=404, staff=404)
_R_DRAFT_PAGE = page(own=200, other=404, staff=404)
POLICY.update(
    {
        "reports:report_list": Row(None, {"GET": page(own=200, staff=200)}, SIGNED_IN_405),
        "reports:cycle_list": Row(None, {"GET": _R_STAFF_PAGE, "POST": page(own=403, staff=MOVED)}, STAFF_OTHER),
        "reports:cycle_detail": Row(None, {"GET": _R_STAFF_PAGE}, STAFF_OTHER, **_R_YEAR),
        "reports:cycle_remind": Row(None, {"POST": page(own=403, staff=MOVED)}, STAFF_OTHER, **_R_YEAR),
        "reports:cycle_export": Row(None, {"GET": _R_STAFF_PAGE}, STAFF_OTHER, **_R_YEAR),
        "reports:report_detail": Row("report_b_submitted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "reports:report_print": Row("report_b_submitted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "reports:report_xlsx": Row("report_b_submitted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "reports:report_revisions": Row("report_b_submitted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "reports:report_diff": Row("report_b_submitted", {"GET": record_page(own=200, staff=200)}, SIGNED_IN_405),
        "reports:report_edit": Row("report_b_draft", {"GET": _R_DRAFT_PAGE, "POST": _R_DRAFT_ACT}, FORM_OTHER_METHODS),
        "reports:report_refresh": Row("report_b_draft", {"POST": _R_DRAFT_ACT}, SIGNED_IN_405),
        "reports:report_submit": Row("report_b_draft", {"GET": _R_DRAFT_PAGE, "POST": _R_DRAFT_ACT}, FORM_OTHER_METHODS),
        "reports:report_resubmit": Row(
            "report_b_returned",
            {"GET": record_page(own=200, staff=403), "POST": record_page(own=MOVED, staff=403)},
            FORM_OTHER_METHODS,
        ),
        "reports:report_return_for_changes": Row(
            "report_b_submitted",
            {"GET": record_page(own=403, staff=200), "POST": record_page(own=403, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "reports:report_accept": Row(
            "report_b_submitted",
            {"GET": record_page(own=403, staff=200), "POST": record_page(own=403, staff=MOVED)},
            FORM_OTHER_METHODS,
        ),
        "reports:report_revise": Row(
            "report_b_accepted",
            {"GET": record_page(own=200, staff=403), "POST": record_page(own=MOVED, staff=403)},
            FORM_OTHER_METHODS,
        ),
        # unit B has its 2023 report (400: no second one), unit A creates its own, staff file nothing
        "api:annualreport-list": Row(
            None,
            {"GET": api(own=200, staff=200, write=False), "POST": api(own=400, other=201, staff=403, write=True)},
            api_missing,
        ),
        "api:annualreport-detail": Row(
            "report_b_draft",
            {"GET": api(own=200, other=404, staff=404, write=False), "PATCH": api(own=200, other=404, staff=404, write=True)},
            api_missing,
        ),
        "api:annualreport-refresh": Row(
            "report_b_draft", {"POST": api(own=200, other=404, staff=404, write=True)}, api_missing
        ),
        "api:annualreport-submit": Row(
            "report_b_draft", {"POST": api(own=200, other=404, staff=404, write=True)}, api_missing
        ),
        "api:annualreport-resubmit": Row(
            "report_b_returned", {"POST": api(own=200, other=404, staff=403, write=True)}, api_missing
        ),
        "api:annualreport-return-for-changes": Row(
            "report_b_submitted", {"POST": api(own=403, other=404, staff=200, write=True)}, api_missing
        ),
        "api:annualreport-accept": Row(
            "report_b_submitted", {"POST": api(own=403, other=404, staff=200, write=True)}, api_missing
        ),
        "api:annualreport-revise": Row(
            "report_b_accepted", {"POST": api(own=201, other=404, staff=403, write=True)}, api_missing
        ),
    }
)
ADMIN_MODELS["reports.annualreport"] = AdminModel(view=False)  # read-only, for superusers only
POLICY.update({k: v for k, v in _admin_rows().items() if k.startswith(("admin:reports_", "admin/reports/"))})
# --- /annual reports ------------------------------------------------------------------------------


# --- snapshots ---------------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _select(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def unit_snapshot(unit_id: int) -> dict:
    """Everything of one unit that another caller's write must leave alone: the unit, its
    achievements and contracts (every column, so versions and statuses too), the transferees of its
    contracts, its users (but the time of their last login) and the history rows of all of these.
    Plain SQL: this runs twice for each of thousands of writes."""
    a, c, t, u = (_table(m) for m in (Achievement, Transformation, Transferee, Unit))
    ha, hc, ht = (_table(m.history.model) for m in (Achievement, Transformation, Transferee))
    users = _table(User)
    transferees = f"SELECT transferee_id FROM {c} WHERE unit_id = %s"
    return {
        "unit": _select(f"SELECT * FROM {u} WHERE id = %s", [unit_id]),
        "achievements": _select(f"SELECT * FROM {a} WHERE unit_id = %s ORDER BY id", [unit_id]),
        "contracts": _select(f"SELECT * FROM {c} WHERE unit_id = %s ORDER BY id", [unit_id]),
        "transferees": _select(f"SELECT * FROM {t} WHERE id IN ({transferees}) ORDER BY id", [unit_id]),
        "users": _select(
            f"SELECT id, username, password, is_active, is_staff, unit_id, email FROM {users} "
            "WHERE unit_id = %s ORDER BY id",
            [unit_id],
        ),
        "history": _select(
            f"SELECT (SELECT COUNT(*) FROM {ha} WHERE unit_id = %s), (SELECT COUNT(*) FROM {hc} WHERE unit_id = %s), "
            f"(SELECT COUNT(*) FROM {ht} WHERE id IN ({transferees}))",
            [unit_id, unit_id, unit_id],
        ),
    }


COUNTED = (Unit, Achievement, Transferee, Transformation, User, ApiToken)


def row_counts() -> dict[str, int]:
    """Rows of every registry table and of the accounts, in one query."""
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {_table(m)})" for m in COUNTED)
    return dict(zip((m.__name__ for m in COUNTED), _select(sql)[0], strict=True))


# --- the matrix --------------------------------------------------------------------------------


def _cases():
    for route in ROUTES:
        row = POLICY.get(route.key)
        if row is None:
            continue  # reported by test_every_route_has_a_declared_policy
        for method in METHODS:
            expect = row.expect(method)
            if expect is None:
                continue
            known = KNOWN_DEVIATIONS.get(route.key)
            for role in ROLES:
                marks = ()
                if known and method in known[0] and role in known[1]:
                    marks = pytest.mark.xfail(reason=f"known deviation: {known[2]}", strict=True)
                yield pytest.param(route.key, method, role, id=f"{route.key}|{method}|{role}", marks=marks)


def _url(route_key: str, row: Row, d: dict) -> str:
    if row.path is not None:
        return row.path
    if row.args is not None:
        args = row.args(d)
    elif row.target is not None:
        args = [d[row.target].pk]
    else:
        args = []
    if "/" not in route_key:  # a URL name
        return reverse(route_key, args=args)
    # an unnamed route: fill its converters in order
    path = "/" + route_key
    for value in args:
        path = re.sub(r"<[^>]+>", str(value), path, count=1)
    return path


def _request(client: Client, method: str, url: str, route_key: str, d: dict, *, api_route: bool):
    if method == "GET":
        return client.get(url)
    if api_route:
        body = API_BODIES.get((route_key, method))
        payload = body(d) if body else {}
        return client.generic(method, url, data=_json(payload), content_type="application/json")
    payload = _page_body(route_key, d)
    if method == "POST":
        return client.post(url, data=payload)
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return client.generic(
        method, url, data=encode_multipart(BOUNDARY, payload), content_type=MULTIPART_CONTENT
    )


def _json(payload) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False)


def _client(matrix: Matrix, role: str) -> Client:
    """The role's client with fresh cookies: only its session, nothing left from an earlier test."""
    client = matrix.clients[role]
    client.cookies.clear()
    if role in matrix.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions[role]
    return client


def _outcome(response) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code}→{response.headers.get('Location', '')}"
    return str(response.status_code)


def _matches(response, expect: Expect) -> bool:
    if isinstance(expect, AnyOf):
        return response.status_code in expect.statuses
    if isinstance(expect, Redirect):
        if response.status_code != 302:
            return False
        location = response.headers.get("Location", "")
        if expect.to is None:
            return not location.startswith(LOGIN_PATHS)
        return location.startswith(expect.to)
    return response.status_code == expect


@pytest.mark.parametrize(("route_key", "method", "role"), list(_cases()))
def test_access(db, matrix, route_key, method, role):
    row = POLICY[route_key]
    expect = row.expect(method)[role]
    d = matrix.objects
    api_route = route_key.startswith("api:") or route_key == "^api/"
    url = _url(route_key, row, d) + row.query
    write = method in WRITE_METHODS
    if write:
        protected = {name: unit_snapshot(d[f"unit_{name}"].pk) for name in PROTECTED_UNITS[role]}
        counts = row_counts()
    response = _request(_client(matrix, role), method, url, route_key, d, api_route=api_route)
    assert _matches(response, expect), (
        f"{method} {url} as {role}: expected {expect}, got {_outcome(response)}"
    )
    assert response.status_code < 500
    if url.startswith("/api/") and response.status_code >= 400 and route_key not in NOT_JSON_ERRORS:
        assert response.headers.get("Content-Type", "").startswith("application/json"), (
            f"{method} {url} as {role}: an API error must be JSON, got {response.headers.get('Content-Type')}"
        )
    if write:
        for name, before in protected.items():
            assert unit_snapshot(d[f"unit_{name}"].pk) == before, (
                f"{method} {url} as {role} changed unit {name.upper()}'s rows"
            )
        after = row_counts()
        assert all(after[model] >= count for model, count in counts.items()), (
            f"{method} {url} as {role} deleted rows: {counts} → {after}"
        )
        if method == "DELETE":
            assert after == counts, f"DELETE {url} as {role} changed the row counts"
