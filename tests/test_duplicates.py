"""Duplicate patent numbers: refused within a unit at every door (page, API, import, services),
confirmed on the page and reported as a warning by the API and the import across units; the
merge page lists likely duplicates; the demo data holds no same-unit duplicate."""

import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse

from achievements import duplicates, services
from achievements.duplicates import likely_duplicates, normalise_title
from achievements.models import DUPLICATE_PATENT, Achievement
from exchange.services import registry_import

from .factories import AchievementFactory, make_patent_no
from .test_exchange_import import achievement_row, unit_row, workbook
from .test_pages_achievements import form_data

pytestmark = pytest.mark.django_db

NUMBER = make_patent_no(777_001, year=2021)


def new_fields(unit, **changes):
    fields = dict(
        unit=unit,
        ref="CG-DUP-2",
        title="一种新的制备方法",
        ip_type="invention_patent",
        patent_no=NUMBER,
        trl=5,
        registered_on=AchievementFactory.registered_on,
    )
    fields.update(changes)
    return fields


# --- the rule, through the services --------------------------------------------------------------


def test_the_same_number_twice_in_a_unit_is_refused_in_any_spelling(unit, staff_user):
    first = AchievementFactory(unit=unit, patent_no=NUMBER)
    spelled = "ZL " + NUMBER.replace(".", "")
    with pytest.raises(ValidationError) as caught:
        services.achievement_create(acting_user=staff_user, **new_fields(unit, patent_no=spelled))
    (error,) = caught.value.error_dict["patent_no"]
    assert error.code == DUPLICATE_PATENT and error.params["pk"] == first.pk
    message = caught.value.message_dict["patent_no"][0]
    assert first.ref in message and first.get_absolute_url() in message
    assert Achievement.objects.filter(unit=unit).count() == 1


def test_an_edit_to_another_records_number_is_refused(unit, staff_user):
    AchievementFactory(unit=unit, patent_no=NUMBER)
    second = AchievementFactory(unit=unit)
    with pytest.raises(ValidationError):
        services.achievement_update(
            achievement=second, acting_user=staff_user, expected_version=second.version, patent_no=NUMBER
        )
    # Editing the holder itself, keeping its number, is no clash.
    holder = Achievement.objects.get(patent_no=NUMBER)
    services.achievement_update(
        achievement=holder, acting_user=staff_user, expected_version=holder.version, trl=7
    )


def test_withdrawn_records_do_not_count_and_other_units_may_hold_it(unit, other_unit, staff_user):
    withdrawn = AchievementFactory(unit=unit, patent_no=NUMBER)
    services.achievement_withdraw(
        achievement=withdrawn, acting_user=staff_user, on=withdrawn.registered_on, reason="重复"
    )
    services.achievement_create(acting_user=staff_user, **new_fields(unit))
    services.achievement_create(acting_user=staff_user, **new_fields(other_unit))  # co-owned
    assert Achievement.objects.filter(patent_no=NUMBER).count() == 3
    # Restoring the withdrawn one would make two active holders in the unit: refused.
    withdrawn.refresh_from_db()
    with pytest.raises(ValidationError):
        services.achievement_restore(
            achievement=withdrawn, acting_user=staff_user, expected_version=withdrawn.version
        )


def legacy_pair(unit):
    """Two active records of one unit sharing a number: data from before the rule."""
    first = AchievementFactory(unit=unit, patent_no=NUMBER, title="一种旧数据中的成果")
    second = AchievementFactory(unit=unit, title="同一成果的第二次登记")
    Achievement.objects.filter(pk=second.pk).update(patent_no=NUMBER)
    return first, Achievement.objects.get(pk=second.pk)


def test_a_legacy_duplicate_can_still_be_edited_where_the_number_is_not_concerned(unit, staff_user):
    """The rule applies when a record is created or its number, status or unit changes; an unrelated
    edit of a pair already in the registry is allowed (the merge page lists the pair)."""
    first, second = legacy_pair(unit)
    edited = services.achievement_update(
        achievement=second, acting_user=staff_user, expected_version=second.version, title="更正后的名称"
    )
    assert edited.title == "更正后的名称" and edited.patent_no == NUMBER
    services.achievement_set_convertible(
        achievement=edited, acting_user=staff_user, expected_version=edited.version, convertible=True
    )
    assert Achievement.objects.get(pk=second.pk).convertible
    assert second.pk in [c.achievement.pk for c in likely_duplicates(first)]


def test_a_legacy_duplicate_is_refused_when_its_number_status_or_unit_changes(unit, other_unit, staff_user):
    first, second = legacy_pair(unit)
    # The same number, spelled differently, is not a change of number.
    spelled = "ZL" + NUMBER.replace(".", "")
    services.achievement_update(
        achievement=second, acting_user=staff_user, expected_version=second.version, patent_no=spelled, trl=8
    )
    second.refresh_from_db()
    services.achievement_withdraw(achievement=second, acting_user=staff_user, on=second.registered_on, reason="x")
    second.refresh_from_db()
    with pytest.raises(ValidationError) as caught:  # restoring it to active
        services.achievement_restore(achievement=second, acting_user=staff_user, expected_version=second.version)
    assert caught.value.error_dict["patent_no"][0].params["pk"] == first.pk
    # Moving a record into a unit where its number is held.
    AchievementFactory(unit=other_unit, patent_no=NUMBER)
    moving = AchievementFactory(unit=other_unit)
    Achievement.objects.filter(pk=moving.pk).update(patent_no=NUMBER)  # a legacy pair in other_unit
    moving.refresh_from_db()
    with pytest.raises(ValidationError):
        services.achievement_update(
            achievement=moving, acting_user=staff_user, expected_version=moving.version, unit=unit
        )


def test_the_page_edits_a_legacy_duplicate(staff_client, unit):
    _first, second = legacy_pair(unit)
    data = form_data(
        unit=unit.pk,
        ref=second.ref,
        title="页面改名",
        patent_no=NUMBER,
        version=second.version,
        registered_on=second.registered_on.isoformat(),
    )
    response = staff_client.post(reverse("achievements:achievement_edit", args=[second.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Achievement.objects.get(pk=second.pk).title == "页面改名"


# --- the page ------------------------------------------------------------------------------------


def test_the_form_refuses_a_same_unit_duplicate_with_a_link(unit_client, unit):
    first = AchievementFactory(unit=unit, patent_no=NUMBER)
    response = unit_client.post(reverse("achievements:achievement_create"), form_data(patent_no=NUMBER))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="{first.get_absolute_url()}"' in page and 'data-testid="duplicate-of"' in page
    assert "专利号：本单位已登记相同专利号的成果" in page
    assert Achievement.objects.filter(unit=unit).count() == 1


def test_another_units_number_needs_a_confirmation_on_the_page(staff_client, unit, other_unit):
    theirs = AchievementFactory(unit=other_unit, patent_no=NUMBER)
    url = reverse("achievements:achievement_create")
    data = form_data(unit=unit.pk, patent_no=NUMBER)
    first = staff_client.post(url, data)
    assert first.status_code == 400
    page = first.content.decode()
    assert 'type="checkbox" name="confirm_duplicate"' in page
    assert theirs.ref in page and f'href="{theirs.get_absolute_url()}"' in page  # staff see which
    assert not Achievement.objects.filter(unit=unit).exists()
    second = staff_client.post(url, {**data, "confirm_duplicate": "on"})
    assert second.status_code == 302
    assert Achievement.objects.get(unit=unit).patent_no == NUMBER


def test_a_unit_user_is_told_how_many_other_records_not_which(unit_client, unit, other_unit):
    theirs = AchievementFactory(unit=other_unit, patent_no=NUMBER, title="别的单位的保密名称")
    response = unit_client.post(reverse("achievements:achievement_create"), form_data(patent_no=NUMBER))
    assert response.status_code == 400
    page = response.content.decode()
    assert "（1 条）" in page and theirs.title not in page and theirs.ref not in page
    assert 'name="confirm_duplicate"' in page


def test_editing_without_changing_a_co_owned_number_asks_nothing(staff_client, unit, other_unit):
    AchievementFactory(unit=other_unit, patent_no=NUMBER)
    mine = AchievementFactory(unit=unit, patent_no=NUMBER)
    data = form_data(
        unit=unit.pk,
        ref=mine.ref,
        title="改名",
        patent_no=NUMBER,
        version=mine.version,
        registered_on=mine.registered_on.isoformat(),
    )
    response = staff_client.post(reverse("achievements:achievement_edit", args=[mine.pk]), data)
    assert response.status_code == 302
    assert Achievement.objects.get(pk=mine.pk).title == "改名"


# --- the API -------------------------------------------------------------------------------------


def api_payload(unit, **changes):
    payload = {
        "ref": "CG-API-1",
        "unit_code": unit.code,
        "title": "一种接口登记的成果",
        "ip_type": "invention_patent",
        "patent_no": NUMBER,
        "trl": 5,
        "registered_on": "2023-05-12",
    }
    payload.update(changes)
    return payload


def test_the_api_refuses_a_same_unit_duplicate(client, staff_user, unit):
    first = AchievementFactory(unit=unit, patent_no=NUMBER)
    client.force_login(staff_user)
    response = client.post(
        reverse("api:achievement-list"), api_payload(unit), content_type="application/json"
    )
    assert response.status_code == 400
    (message,) = response.json()["patent_no"]
    assert first.ref in message and first.get_absolute_url() in message


def test_the_api_accepts_another_units_number_with_a_warning(client, staff_user, unit, other_unit):
    theirs = AchievementFactory(unit=other_unit, patent_no=NUMBER)
    client.force_login(staff_user)
    response = client.post(
        reverse("api:achievement-list"), api_payload(unit), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    (warning,) = response.json()["warnings"]
    assert theirs.ref in warning
    created = response.json()["id"]
    # Reading it again, or listing, carries no warning.
    assert client.get(reverse("api:achievement-detail", args=[created])).json()["warnings"] == []


def test_a_unit_users_api_warning_names_no_other_record(client, unit_user, unit, other_unit):
    theirs = AchievementFactory(unit=other_unit, patent_no=NUMBER)
    client.force_login(unit_user)
    response = client.post(
        reverse("api:achievement-list"), api_payload(unit), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    (warning,) = response.json()["warnings"]
    assert "1 条" in warning and theirs.ref not in warning


# --- the import ------------------------------------------------------------------------------------


def test_the_import_refuses_a_number_the_unit_already_holds(tmp_path, unit, staff_user):
    first = AchievementFactory(unit=unit, patent_no=NUMBER)
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-NEW", patent_no=NUMBER)],
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert not result.valid
    (problem,) = result.problems
    assert (problem["sheet"], problem["row"], problem["value"]) == ("achievements", 2, NUMBER)
    assert first.ref in problem["message"] and first.get_absolute_url() in problem["message"]
    assert not Achievement.objects.filter(ref="CG-NEW").exists()
    # The registry's own message, with its hint to merge on the record's page.
    with pytest.raises(ValidationError) as caught:
        services.achievement_create(acting_user=staff_user, **new_fields(unit, ref="CG-NEW"))
    assert problem["message"] == caught.value.message_dict["patent_no"][0]
    assert "合并" in problem["message"]


def test_the_import_refuses_the_same_number_twice_in_a_unit_within_the_file(tmp_path, unit, staff_user):
    rows = [
        achievement_row(unit.code, "CG-A", patent_no=NUMBER),
        achievement_row(unit.code, "CG-B", patent_no=NUMBER),
    ]
    result = registry_import(
        source=workbook(tmp_path, units=[unit_row(unit)], achievements=rows), acting_user=staff_user
    )
    assert not result.valid
    (problem,) = result.problems
    assert problem["row"] == 3 and "第 2 行" in problem["message"] and "CG-A" in problem["message"]
    assert not Achievement.objects.filter(unit=unit).exists()


def test_reimporting_a_record_with_its_own_number_is_no_clash(tmp_path, unit, staff_user):
    path = workbook(
        tmp_path, units=[unit_row(unit)], achievements=[achievement_row(unit.code, "CG-A", patent_no=NUMBER)]
    )
    assert registry_import(source=path, acting_user=staff_user).valid
    again = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-A", patent_no=NUMBER, trl=8)],
        name="again.xlsx",
    )
    result = registry_import(source=again, acting_user=staff_user)
    assert result.valid, result.problems
    assert result.counts["achievements"]["update"] == 1 and result.warning_count == 0


def test_an_unchanged_export_holding_a_legacy_pair_imports_again(tmp_path, unit, other_unit, staff_user):
    """Only rows that add a record or change its number, status or unit are checked: the unchanged
    pair, and an edit of another column of it, import; a new row with the number is refused."""
    first, second = legacy_pair(unit)
    AchievementFactory(unit=other_unit, patent_no=NUMBER)  # co-owned: no warning for numbers not new
    folder = tmp_path / "export"
    folder.mkdir()
    call_command("export_registry", str(folder), "--unit", unit.code, stdout=io.StringIO())
    again = registry_import(source=folder, acting_user=staff_user, dry_run=True)
    assert again.valid, again.problems
    assert again.counts["achievements"]["unchanged"] == 2 and again.warning_count == 0
    rows = [
        achievement_row(unit.code, first.ref, patent_no=NUMBER, title="导入改名"),
        achievement_row(unit.code, "CG-THIRD", patent_no=NUMBER),
    ]
    result = registry_import(
        source=workbook(tmp_path, units=[unit_row(unit)], achievements=rows), acting_user=staff_user
    )
    (problem,) = result.problems
    assert problem["row"] == 3 and (first.ref in problem["message"] or second.ref in problem["message"])
    result = registry_import(
        source=workbook(tmp_path, units=[unit_row(unit)], achievements=rows[:1], name="title.xlsx"),
        acting_user=staff_user,
    )
    assert result.valid, result.problems
    assert Achievement.objects.get(pk=first.pk).title == "导入改名"


def test_the_import_accepts_another_units_number_with_a_warning_in_the_preview(
    tmp_path, unit, other_unit, staff_client, staff_user
):
    theirs = AchievementFactory(unit=other_unit, patent_no=NUMBER)
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-NEW", patent_no=NUMBER)],
    )
    with open(path, "rb") as handle:
        response = staff_client.post(reverse("exchange:import_upload"), {"file": handle})
    assert response.status_code == 302, response.content.decode()[:1000]
    job_page = staff_client.get(response["Location"]).content.decode()
    assert 'data-testid="import-warnings"' in job_page and theirs.ref in job_page
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid and result.warning_count == 1
    assert Achievement.objects.get(unit=unit, ref="CG-NEW").patent_no == NUMBER


# --- likely duplicates on the merge page ---------------------------------------------------------


def test_titles_are_compared_without_case_spaces_or_punctuation():
    assert normalise_title(" 一种 Al-合金，制备方法。") == normalise_title("一种al合金制备方法")


def test_the_merge_page_lists_likely_duplicates_of_the_same_unit(staff_client, unit, other_unit):
    keep = AchievementFactory(unit=unit, title="一种用于铜合金生产的熔铸装置", patent_no=NUMBER)
    same_number = AchievementFactory(unit=unit, title="完全不同的名称的一项成果记录")
    Achievement.objects.filter(pk=same_number.pk).update(patent_no=NUMBER)  # older data, before the rule
    similar = AchievementFactory(unit=unit, title="一种用于铜合金生产的熔铸系统")
    equal = AchievementFactory(unit=unit, title="一种用于铜合金生产的 熔铸装置。")
    AchievementFactory(unit=unit, title="一种海水淡化膜材料的制备工艺")  # not alike
    AchievementFactory(unit=other_unit, title="一种用于铜合金生产的熔铸装置")  # another unit
    found = likely_duplicates(keep)
    assert [c.achievement.pk for c in found] == [same_number.pk, equal.pk, similar.pk]
    assert found[0].same_patent and found[1].similarity == 1.0 and 0.85 <= found[2].similarity < 1
    assert [c.similar_title for c in found] == [False, True, True]  # the page says why each is listed
    page = staff_client.get(reverse("achievements:achievement_merge", args=[keep.pk])).content.decode()
    section = page[page.index('data-testid="likely-duplicates"') :]
    for record in (same_number, similar, equal):
        assert f'href="{record.get_absolute_url()}"' in section
    assert "专利号相同" in section and section.count("名称相似") == 2


def test_the_length_window_is_about_1_35_times_on_normalised_titles(unit, monkeypatch):
    """Titles are compared once normalised, so the length window is too: a similar title padded
    with punctuation (stored 40 characters for the kept title's 14) is found, and titles whose
    normalised length is more than ~1.35× apart are never handed to difflib."""
    compared = []

    class Spy(duplicates.difflib.SequenceMatcher):
        def set_seq1(self, a):
            if a:
                compared.append(a)
            super().set_seq1(a)

    monkeypatch.setattr(duplicates.difflib, "SequenceMatcher", Spy)
    assert duplicates.length_window(14) == (11, 18)
    keep = AchievementFactory(unit=unit, title="一种用于铜合金生产的熔铸装置")
    padded = AchievementFactory(unit=unit, title="，，".join("一种用于铜合金生产的熔铸系统"))
    AchievementFactory(unit=unit, title="一种铜合金熔铸装置")  # 9 < 14 / 1.35: not even loaded
    AchievementFactory(unit=unit, title="一种用于铜合金生产的熔铸装置及其控制方法")  # 20 > 14 × 1.35
    AchievementFactory(unit=unit, title="一种用于铜合金生产的熔铸设备")  # 14: compared, and alike
    found = likely_duplicates(keep)
    assert padded.pk in [c.achievement.pk for c in found]
    assert sorted(compared) == sorted(["一种用于铜合金生产的熔铸系统", "一种用于铜合金生产的熔铸设备"])


# --- the demo data -------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo_data")
def test_the_demo_data_has_no_same_unit_duplicate_number():
    clashes = (
        Achievement.objects.filter(status="active")
        .exclude(patent_no="")
        .values("unit_id", "patent_no")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not clashes.exists()


def test_a_units_import_warning_names_no_other_record(tmp_path, unit, other_unit, unit_user):
    theirs = AchievementFactory(unit=other_unit, patent_no=NUMBER, ref="CG-THEIRS")
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-NEW", patent_no=NUMBER, convertible="否")],
    )
    result = registry_import(source=path, acting_user=unit_user, unit=unit)
    assert result.valid, result.problems
    (warning,) = result.warnings
    assert (warning["row"], warning["key"]) == (2, "CG-NEW")
    assert "（1 条）" in warning["message"] and theirs.ref not in warning["message"]


def test_the_import_command_prints_the_warnings(tmp_path, unit, other_unit):
    AchievementFactory(unit=other_unit, patent_no=NUMBER)
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-CMD", patent_no=NUMBER)],
    )
    out = io.StringIO()
    call_command("import_registry", str(path), "--dry-run", stdout=out)
    assert f"warning\tachievements\t2\tCG-CMD\t专利号 {NUMBER} 已由其他单位登记" in out.getvalue()


def test_the_import_warning_count_is_written_with_a_thousands_separator():
    job = SimpleNamespace(status="valid", counts={"warnings": {"count": 1234, "rows": []}})
    html = render_to_string("exchange/_warnings.html", {"job": job})
    assert "1,234 条成果" in html
