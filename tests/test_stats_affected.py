"""One affected-scope rule: every kind of write, through every door, marks the cells it changes.

Table-driven: each row performs one write (service, page, API, import, admin) on a small registry
whose snapshot is current, lets the incremental recompute run (eager tasks), and checks that the
snapshot then equals a full recompute, and that the write did change the figures (so a write that
announced nothing, or too little, fails). ``achievements.services.announce_change`` is the rule.
"""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from achievements import services
from achievements.models import Transferee
from dashboards import engine
from dashboards.models import DirtyCell
from exchange.services import registry_import

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory, cluster
from .test_exchange_import import achievement_row, contract_row, workbook
from .test_stats_tasks import snapshot_cells

D = datetime.date
REASON = "测试原因"


@pytest.fixture
def registry(db, staff_user, celery_eager):
    unit = UnitFactory(type="university", region="210100")
    other = UnitFactory(type="institute", region="210200")
    shared = TransfereeFactory(region="210200")  # a local transferee both units contract with
    old = AchievementFactory(
        unit=unit, registered_on=D(2020, 4, 1), cluster=cluster("A01"), trl=4, convertible=True
    )
    late = AchievementFactory(unit=unit, registered_on=D(2023, 2, 1), cluster=cluster("A02"))
    dup = AchievementFactory(unit=unit, registered_on=D(2022, 5, 1), cluster=cluster("B01"))
    theirs = AchievementFactory(unit=other, registered_on=D(2021, 7, 1))
    c1 = TransformationFactory(
        achievement=old, signed_on=D(2021, 12, 31), amount=Decimal("500.00"), transferee=shared
    )
    c2 = TransformationFactory(achievement=late, signed_on=D(2019, 6, 1), amount=Decimal("70.00"))
    TransformationFactory(achievement=dup, signed_on=D(2022, 8, 1), amount=Decimal("9.00"))
    c3 = TransformationFactory(
        achievement=theirs, signed_on=D(2018, 3, 1), amount=Decimal("10.00"), transferee=shared
    )
    engine.recompute_full()
    api = APIClient()
    api.force_login(staff_user)
    return {
        "unit": unit,
        "other": other,
        "shared": shared,
        "old": old,
        "late": late,
        "dup": dup,
        "theirs": theirs,
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "user": staff_user,
        "api": api,
    }


def _ok(response):
    assert response.status_code in (200, 201, 302), getattr(response, "content", b"")[:2000]


def _import(r, tmp_path):
    path = workbook(
        tmp_path,
        achievements=[achievement_row(r["unit"].code, ref="IMP-1", registered_on="2020-05-01")],
        contracts=[
            contract_row(r["unit"].code, ref="IMP-H1", achievement_ref="IMP-1", signed_on="2018-06-01")
        ],
    )
    result = registry_import(source=path, acting_user=r["user"])
    assert result.valid, result.problems


def _admin_transferee_region(r, client):
    client.force_login(r["user"])
    t = r["shared"]
    data = {"code": t.code, "name": t.name, "region": "110108"}
    _ok(client.post(f"/admin/achievements/transferee/{t.pk}/change/", data))
    assert Transferee.objects.get(pk=t.pk).region == "110108", "the admin saved the change"


def _admin_unit_type(r, client):
    client.force_login(r["user"])
    u = r["other"]
    data = {"code": u.code, "name": u.name, "type": "university", "region": u.region}
    _ok(client.post(f"/admin/achievements/unit/{u.pk}/change/", data))
    u.refresh_from_db()
    assert u.type == "university", "the admin saved the change"


WRITES = {
    # services (what every door calls)
    "service: new contract in an old year": lambda r, **_: services.transformation_create(
        acting_user=r["user"],
        achievement=r["old"],
        ref="NEW-1",
        mode="license",
        transferee=TransfereeFactory(region="110108"),
        signed_on=D(2020, 1, 1),
        amount=Decimal("42.00"),
    ),
    "service: contract cancelled": lambda r, **_: services.transformation_cancel(
        contract=r["c1"], acting_user=r["user"], reason=REASON
    ),
    "service: contract moved to another year": lambda r, **_: services.transformation_update(
        contract=r["c1"], acting_user=r["user"], signed_on=D(2024, 1, 1)
    ),
    "service: achievement withdrawn": lambda r, **_: services.achievement_withdraw(
        achievement=r["old"], acting_user=r["user"], on=D(2022, 12, 31), reason=REASON
    ),
    "service: cluster changed, contract older than registration": lambda r, **_: services.achievement_update(
        achievement=r["late"], acting_user=r["user"], cluster=cluster("B01")
    ),
    "merge: duplicate merged into an older record": lambda r, **_: services.achievement_merge(
        keep=r["old"], duplicate=r["dup"], acting_user=r["user"], reason=REASON
    ),
    "transferee: moved out of Liaoning (both units' contracts)": lambda r, **_: services.transferee_upsert(
        code=r["shared"].code, name=r["shared"].name, region="110108", acting_user=r["user"]
    ),
    "unit: moved to another city": lambda r, **_: services.unit_update(
        unit=r["unit"], acting_user=r["user"], region="210300"
    ),
    "unit: type changed": lambda r, **_: services.unit_update(
        unit=r["other"], acting_user=r["user"], type="university"
    ),
    # pages
    "page: convertible flag cleared": lambda r, client, **_: _ok(
        (
            client.force_login(r["user"]),
            client.post(f"/achievements/{r['old'].pk}/convertible/", {"version": 1, "convertible": "0"}),
        )[1]
    ),
    # API
    "API: achievement's TRL changed": lambda r, **_: _ok(
        r["api"].patch(f"/api/v1/achievements/{r['late'].pk}/", {"trl": 9, "version": 1}, format="json")
    ),
    "API: contract amount changed": lambda r, **_: _ok(
        r["api"].patch(
            f"/api/v1/transformations/{r['c3'].pk}/", {"amount": "99.00", "version": 1}, format="json"
        )
    ),
    "API: transferee moved out of Liaoning": lambda r, **_: _ok(
        r["api"].patch(f"/api/v1/transferees/{r['shared'].pk}/", {"region": "110108"}, format="json")
    ),
    "API: unit moved to another city": lambda r, **_: _ok(
        r["api"].patch(f"/api/v1/units/{r['other'].pk}/", {"region": "210300"}, format="json")
    ),
    # import
    "import: new achievement with a contract older than every figure": lambda r, tmp_path, **_: _import(
        r, tmp_path
    ),
    # admin
    "admin: transferee moved out of Liaoning": lambda r, client, **_: _admin_transferee_region(r, client),
    "admin: unit type changed": lambda r, client, **_: _admin_unit_type(r, client),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_marks_the_cells_it_changes(
    registry, write, client, tmp_path, django_capture_on_commit_callbacks
):
    before = snapshot_cells()
    with django_capture_on_commit_callbacks(execute=True):
        WRITES[write](registry, client=client, tmp_path=tmp_path)
    assert not DirtyCell.objects.exists(), "the incremental recompute ran (eager tasks)"
    incremental = snapshot_cells()
    engine.recompute_full()
    full = snapshot_cells()
    assert full != before, "the write changes the figures (otherwise this row proves nothing)"
    assert incremental == full


def test_a_transferee_change_marks_each_unit_in_the_years_of_its_contracts(
    registry, django_capture_on_commit_callbacks
):
    from unittest import mock

    from dashboards import receivers

    with mock.patch.object(receivers, "schedule_incremental"):
        with django_capture_on_commit_callbacks(execute=True):
            WRITES["transferee: moved out of Liaoning (both units' contracts)"](registry)
    assert set(DirtyCell.objects.values_list("unit_id", "year")) == {
        (registry["unit"].pk, 2021),
        (registry["other"].pk, 2018),
    }


def test_a_name_change_of_a_transferee_marks_nothing(registry, django_capture_on_commit_callbacks):
    from unittest import mock

    from dashboards import receivers

    with mock.patch.object(receivers, "schedule_incremental"):
        with django_capture_on_commit_callbacks(execute=True):
            services.transferee_upsert(
                code=registry["shared"].code,
                name="新名称有限公司",
                region="210200",
                acting_user=registry["user"],
            )
    assert not DirtyCell.objects.exists()
