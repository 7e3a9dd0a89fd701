"""History that explains: demo and imported records have a creation entry, so their first edit
shows old → new; edits carry an optional reason (修改原因) from the page, the API and the admin,
kept in the history and shown on the record's page."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from achievements import services
from achievements.demo.services import DEMO_HISTORY_REASON, SYNTHETIC_MODELS
from achievements.forms import change_reason_field
from achievements.models import Achievement, Transformation, Unit
from core.api.serializers import ChangeReasonSerializerMixin
from core.history import CHANGE_REASON_MAX_LENGTH, insert_creation_history
from core.ui.history import history_entries
from exchange.services import registry_import

from .factories import AchievementFactory, TransformationFactory
from .test_exchange_import import achievement_row, contract_row, unit_row, workbook
from .test_i18n import english_catalogue_compiled  # noqa: F401  (fixture)

# --- demo data ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_data")
def test_every_demo_record_has_one_creation_entry_copying_it():
    for model in SYNTHETIC_MODELS:
        records = model.objects.filter(synthetic=True)
        history = model.history.filter(synthetic=True)
        assert history.count() == records.count() > 0, model.__name__
        assert set(history.values_list("history_type", "history_change_reason", "history_user")) == {
            ("+", DEMO_HISTORY_REASON, None)
        }
        assert not history.values("id").annotate(n=Count("history_id")).filter(n__gt=1).exists()
    # The entry is a copy of the record (spot check of every tracked column of a few records).
    for record in Achievement.objects.filter(synthetic=True).order_by("?")[:5]:
        entry = record.history.get()
        for field in Achievement.history.model._meta.concrete_fields:
            if not field.attname.startswith("history_"):
                assert getattr(entry, field.attname) == getattr(record, field.attname), field.attname


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_data")
def test_the_first_edit_of_a_demo_record_shows_old_and_new():
    staff_user = User.objects.get(username="staff")  # the demo data's staff login
    achievement = Achievement.objects.filter(synthetic=True, status="active").order_by("pk").first()
    old_trl = achievement.trl
    new_trl = 9 if old_trl != 9 else 8
    services.achievement_update(
        achievement=achievement,
        acting_user=staff_user,
        expected_version=achievement.version,
        change_reason="中试完成，成熟度提高",
        trl=new_trl,
    )
    latest, creation = history_entries(Achievement.objects.get(pk=achievement.pk))
    assert creation.reason == DEMO_HISTORY_REASON and creation.changes == []
    assert latest.reason == "修改：中试完成，成熟度提高"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        (
            "技术成熟度",
            str(dict(Achievement._meta.get_field("trl").flatchoices)[old_trl]),
            str(dict(Achievement._meta.get_field("trl").flatchoices)[new_trl]),
        ),
    ]


@pytest.mark.django_db
def test_creation_entries_are_written_once_for_records_without_one(unit):
    with_history = AchievementFactory(unit=unit)  # saved through the ORM: has its entry
    bare = AchievementFactory(unit=unit)
    bare.history.all().delete()
    low, high = sorted([with_history.pk, bare.pk])
    assert insert_creation_history(Achievement, first_id=low, last_id=high, reason="补录") == 1
    assert insert_creation_history(Achievement, first_id=low, last_id=high, reason="补录") == 0
    assert bare.history.get().history_change_reason == "补录"
    assert with_history.history.count() == 1


# --- imported records -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_edit_of_an_imported_record_shows_old_and_new(tmp_path, unit, staff_user):
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code)],
        contracts=[contract_row(unit.code)],
    )
    assert registry_import(source=path, acting_user=staff_user, reason="批量导入").valid
    contract = Transformation.objects.get(unit=unit, ref="HT-1")
    services.transformation_update(
        contract=contract,
        acting_user=staff_user,
        expected_version=contract.version,
        change_reason="补录到账",
        received=contract.amount,
    )
    latest, creation = history_entries(Transformation.objects.get(pk=contract.pk))
    assert (creation.kind, creation.reason) == ("创建", "批量导入")
    assert latest.reason == "修改：补录到账"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("到账金额（元）", "50000.00", str(contract.amount))
    ]


# --- the reason of an edit --------------------------------------------------------------------


def test_the_reason_is_optional_and_bounded(db, staff_user):
    assert services.edit_reason("") == "修改"
    assert services.edit_reason("  两个\n空格 ") == "修改：两个 空格"
    assert services.edit_reason("x", base="撤回") == "撤回：x"
    with pytest.raises(services.ValidationError) as caught:
        services.edit_reason("长" * (services.CHANGE_REASON_MAX_LENGTH + 1))
    assert "change_reason" in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("language, said", [("zh-hans", "最多 500 个字"), ("en", "at most 500 characters")])
def test_the_texts_that_tell_the_limit_say_the_services_limit(language, said, english_catalogue_compiled):  # noqa: F811
    """The form's and the API's help texts and the help pages say the limit the service applies
    (they said 90 while the service took 500)."""
    assert CHANGE_REASON_MAX_LENGTH == services.CHANGE_REASON_MAX_LENGTH == 500
    with translation.override(language):
        texts = {
            "form": str(change_reason_field().help_text),
            "api": str(ChangeReasonSerializerMixin().fields["change_reason"].help_text),
            "help": render_to_string("achievements/help.html"),
            "api help": render_to_string("core/help/api.html"),
        }
    for name, text in texts.items():
        assert said in text, name


def test_the_achievement_form_stores_the_reason_and_the_page_shows_it(staff_client):
    achievement = AchievementFactory(trl=5)
    url = reverse("achievements:achievement_edit", args=[achievement.pk])
    page = staff_client.get(url)
    assert 'name="change_reason"' in page.content.decode()
    assert (
        'name="change_reason"'
        not in staff_client.get(reverse("achievements:achievement_create")).content.decode()
    )
    data = {
        "unit": achievement.unit_id,
        "ref": achievement.ref,
        "title": achievement.title,
        "ip_type": achievement.ip_type,
        "patent_no": achievement.patent_no,
        "trl": "7",
        "registered_on": achievement.registered_on.isoformat(),
        "version": achievement.version,
        "change_reason": "专家评估后调整",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert achievement.history.first().history_change_reason == "修改：专家评估后调整"
    detail = staff_client.get(
        reverse("achievements:achievement_detail", args=[achievement.pk])
    ).content.decode()
    assert "修改：专家评估后调整" in detail


@pytest.mark.django_db
def test_a_too_long_reason_is_refused_naming_the_field(staff_client):
    achievement = AchievementFactory()
    url = reverse("achievements:achievement_edit", args=[achievement.pk])
    data = {
        "unit": achievement.unit_id,
        "ref": achievement.ref,
        "title": achievement.title,
        "ip_type": achievement.ip_type,
        "patent_no": achievement.patent_no,
        "trl": "7",
        "registered_on": achievement.registered_on.isoformat(),
        "version": achievement.version,
        "change_reason": "长" * (services.CHANGE_REASON_MAX_LENGTH + 1),
    }
    response = staff_client.post(url, data)
    assert response.status_code == 400
    assert "修改原因：" in response.content.decode()
    assert Achievement.objects.get(pk=achievement.pk).trl == achievement.trl


@pytest.mark.django_db
def test_the_contract_form_stores_the_reason(unit_client, unit):
    contract = TransformationFactory(achievement=AchievementFactory(unit=unit))
    url = reverse("achievements:transformation_edit", args=[contract.pk])
    data = {
        "ref": contract.ref,
        "mode": contract.mode,
        "transferee_code": contract.transferee.code,
        "transferee_name": contract.transferee.name,
        "transferee_region": contract.transferee.region,
        "signed_on": contract.signed_on.isoformat(),
        "amount": str(contract.amount),
        "received": "",
        "registration_no": "1234567890123456",
        "version": contract.version,
        "change_reason": "补充登记号",
    }
    response = unit_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert contract.history.first().history_change_reason == "修改：补充登记号"


@pytest.mark.django_db
def test_the_api_takes_a_change_reason(staff_user, client):
    client.force_login(staff_user)
    achievement = AchievementFactory(trl=4)
    url = reverse("api:achievement-detail", args=[achievement.pk])
    response = client.patch(
        url,
        {"version": achievement.version, "trl": 5, "change_reason": "接口修改"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert "change_reason" not in response.json()  # write-only
    assert achievement.history.first().history_change_reason == "修改：接口修改"
    too_long = client.patch(
        url, {"version": 2, "trl": 6, "change_reason": "长" * (services.CHANGE_REASON_MAX_LENGTH + 1)}, content_type="application/json"
    )
    assert too_long.status_code == 400 and "change_reason" in too_long.json()
    assert Achievement.objects.get(pk=achievement.pk).trl == 5
    contract = TransformationFactory(achievement=achievement)
    response = client.patch(
        reverse("api:transformation-detail", args=[contract.pk]),
        {"version": contract.version, "received": "0.00", "change_reason": "到账更正"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert contract.history.first().history_change_reason == "修改：到账更正"


@pytest.mark.django_db
def test_the_admin_unit_form_takes_a_change_reason(staff_client, unit):
    url = reverse("admin:achievements_unit_change", args=[unit.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="change_reason"' in page
    response = staff_client.post(
        url,
        {
            "code": unit.code,
            "name": "改名后的大学",
            "type": unit.type,
            "region": unit.region,
            "change_reason": "更名",
        },
    )
    assert response.status_code == 302
    assert Unit.objects.get(pk=unit.pk).history.first().history_change_reason == "修改：更名"


@pytest.mark.django_db
def test_long_reasons_are_kept_whole_in_the_history(staff_user):
    """The history's reason column is text: a withdrawal's 500-character reason and a 500-character
    修改原因 are stored whole (a 100-character column refused them on PostgreSQL)."""
    import datetime

    achievement = AchievementFactory(registered_on=datetime.date(2020, 5, 1))
    reason = "撤回原因" * 125  # 500 characters, the form's limit
    services.achievement_withdraw(
        achievement=achievement, acting_user=staff_user, on=datetime.date(2024, 1, 15), reason=reason
    )
    assert reason in achievement.history.latest().history_change_reason
    contract = TransformationFactory()
    edit = "更正" * 250
    services.transformation_update(
        contract=contract, acting_user=staff_user, amount=contract.amount, change_reason=edit
    )
    assert contract.history.latest().history_change_reason.endswith(edit)


# --- the history tables' indexes ----------------------------------------------------------------


def _history_models():
    return sorted(
        (
            m
            for m in apps.get_models()
            if getattr(m, "history", None) is not None and hasattr(m.history, "model")
        ),
        key=lambda m: m._meta.label,
    )


@pytest.mark.django_db
def test_history_tables_index_the_record_id_date_and_user_only():
    """A history table is read by its record's id (the record's history), ordered by date; every
    other index would be written for each history row of an import and never read."""
    tracked = {model._meta.label for model in _history_models()}
    assert {"achievements.Achievement", "achievements.Transformation", "pilots.PilotBase"} <= tracked
    allowed = {"history_id", "id", "history_date", "history_user_id"}
    with connection.cursor() as cursor:
        for model in _history_models():
            history = model.history.model
            constraints = connection.introspection.get_constraints(cursor, history._meta.db_table)
            indexed = {
                column
                for c in constraints.values()
                if c["index"] or c["unique"] or c["primary_key"]
                for column in c["columns"]
            }
            assert indexed - allowed == set(), history._meta.db_table
            assert {"history_id", "id", "history_date"} <= indexed, history._meta.db_table
