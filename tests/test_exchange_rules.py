"""The import applies the registry's own rules: a model rule broken in a file is reported on the
column that fills the field, with the model's own message; every problem of a file is listed in one
pass; the diff compares every declared column; new records are written with one history row each
(COPY on PostgreSQL, sent while the next chunk is read) and the file is read once, each chunk written
as it is checked and undone with the rest when a later row has a problem."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from achievements.models import Achievement, Transferee, Transformation
from exchange import format as fmt
from exchange import services, writer
from exchange.samples import credit_code
from exchange.services import registry_import

from .factories import make_patent_no
from .test_exchange_import import (
    TRANSFEREE_CODE,
    achievement_row,
    assert_problem,
    contract_row,
    unit_row,
    workbook,
)

pytestmark = pytest.mark.django_db

DATES = {"registered_on", "ip_granted_on", "withdrawn_on", "signed_on"}

# One case per rule kind of Achievement.clean() / Transformation.clean(): the row's changed cells,
# and the model field whose error it is.
ACHIEVEMENT_RULES = [
    ("patent number required", {"ip_type": "invention_patent", "patent_no": ""}, "patent_no"),
    ("patent check character", {"patent_no": "201310699744.3"}, "patent_no"),
    ("patent type digit", {"ip_type": "utility_model", "patent_no": make_patent_no(101)}, "patent_no"),
    ("withdrawn without a date", {"status": "withdrawn"}, "withdrawn_on"),
    ("active with a withdrawal date", {"withdrawn_on": "2024-01-01"}, "withdrawn_on"),
    ("withdrawn before registered", {"status": "withdrawn", "withdrawn_on": "2020-01-01"}, "withdrawn_on"),
    ("granted before the Patent Law", {"ip_granted_on": "1985-03-31"}, "ip_granted_on"),
    ("date after today", {"registered_on": "2999-01-01"}, "registered_on"),
]
CONTRACT_RULES = [
    ("received over the amount", {"received": "100000.01"}, "received"),
    ("signed before 1985", {"signed_on": "1984-06-01"}, "signed_on"),
]


def model_values(row: dict, names) -> dict:
    values = {}
    for name in names:
        value = row[name]
        if name in DATES:
            value = datetime.date.fromisoformat(value) if value else None
        elif name in {"amount", "received"}:
            value = Decimal(value) if value else None
        values[name] = value
    return values


def row_dict(sheet, cells) -> dict:
    return dict(zip(sheet.keys, cells, strict=True))


def model_messages(instance, field: str) -> str:
    with pytest.raises(ValidationError) as caught:
        instance.clean()
    return " ".join(caught.value.message_dict[field])


@pytest.mark.parametrize(
    ("case", "changes", "field"), ACHIEVEMENT_RULES, ids=[c[0] for c in ACHIEVEMENT_RULES]
)
def test_an_achievement_rule_broken_in_a_file_is_the_models_message_on_its_column(
    tmp_path, unit, case, changes, field
):
    cells = achievement_row(unit.code, "CG-2", **changes)
    row = row_dict(fmt.ACHIEVEMENTS, cells)
    names = (
        "title",
        "ip_type",
        "patent_no",
        "trl",
        "registered_on",
        "ip_granted_on",
        "status",
        "withdrawn_on",
    )
    expected = model_messages(Achievement(unit=unit, ref="CG-2", **model_values(row, names)), field)

    result = registry_import(source=workbook(tmp_path, achievements=[achievement_row(unit.code), cells]))
    column = fmt.ACHIEVEMENTS.column_of_field(field).key
    assert_problem(result, sheet="achievements", row=3, column=column, message=expected)
    assert Achievement.objects.count() == 0


@pytest.mark.parametrize(("case", "changes", "field"), CONTRACT_RULES, ids=[c[0] for c in CONTRACT_RULES])
def test_a_contract_rule_broken_in_a_file_is_the_models_message_on_its_column(
    tmp_path, unit, case, changes, field
):
    cells = contract_row(unit.code, **changes)
    row = row_dict(fmt.TRANSFORMATIONS, cells)
    instance = Transformation(unit=unit, ref="HT-1", **model_values(row, ("signed_on", "amount", "received")))
    expected = model_messages(instance, field)

    result = registry_import(
        source=workbook(tmp_path, achievements=[achievement_row(unit.code)], contracts=[cells])
    )
    column = fmt.TRANSFORMATIONS.column_of_field(field).key
    assert_problem(result, sheet="transformations", row=2, column=column, message=expected)
    assert Transformation.objects.count() == 0


def test_problems_in_every_sheet_are_reported_in_one_pass(tmp_path, unit):
    stranger = credit_code(777, "210100", "12")
    path = workbook(
        tmp_path,
        units=[unit_row(unit, region="999999")],
        achievements=[
            achievement_row(unit.code, "CG-1", status="withdrawn"),  # a model rule
            achievement_row(unit.code, "CG-1", trl=0),  # a duplicate key with a bad cell
            achievement_row(stranger, "CG-3", registered_on="2023/01/05"),  # unknown unit and a bad cell
        ],
        contracts=[contract_row(unit.code, "HT-1", achievement_ref="NOPE", amount="1,000")],
    )
    result = registry_import(source=path)
    assert_problem(result, sheet="units", row=2, column="region", message="地区代码")
    assert_problem(result, sheet="achievements", row=2, column="withdrawn_on", message="必须填写撤回日期")
    assert_problem(result, sheet="achievements", row=3, column="ref", message="文件中重复")
    assert_problem(result, sheet="achievements", row=3, column="trl", message="技术成熟度")
    assert_problem(result, sheet="achievements", row=4, column="unit_code", message="都不存在")
    assert_problem(result, sheet="achievements", row=4, column="registered_on", message="YYYY-MM-DD")
    assert_problem(result, sheet="transformations", row=2, column="amount", message="千位分隔符")
    assert_problem(result, sheet="transformations", row=2, column="achievement_ref", message="找不到")


def test_a_header_problem_does_not_hide_the_rows_problems(tmp_path, unit):
    from exchange.samples import build_workbook

    path = build_workbook(
        tmp_path / "x.xlsx",
        {
            "units": [list(fmt.UNITS.keys)],
            "achievements": [
                [*fmt.ACHIEVEMENTS.keys, "remark"],
                [*achievement_row(unit.code, trl=10), "备注"],
            ],
            "transformations": [list(fmt.TRANSFORMATIONS.keys)],
        },
    )
    result = registry_import(source=path)
    assert_problem(result, sheet="achievements", row=1, column="remark", message="未知的列")
    assert_problem(result, sheet="achievements", row=2, column="trl", message="技术成熟度")


@pytest.mark.parametrize("column", [c.key for c in fmt.ACHIEVEMENTS.compared])
def test_a_change_in_any_compared_column_is_an_update(tmp_path, unit, staff_user, column):
    other = {
        "title": "另一个名称",
        "ip_type": "utility_model",
        "patent_no": make_patent_no(102, type_digit="2"),
        "trl": 3,
        "cluster": "",
        "funded": "no",
        "registered_on": "2022-02-02",
        "ip_granted_on": "2023-03-03",
        "convertible": "no",
        "status": "withdrawn",
        "withdrawn_on": "2024-04-04",
    }
    # A few columns only change together with another (the rules hold across them).
    together = {
        "ip_type": {"patent_no": other["patent_no"]},
        "patent_no": {"ip_type": "utility_model"},
        "status": {"withdrawn_on": other["withdrawn_on"]},
        "withdrawn_on": {"status": "withdrawn"},
    }
    registry_import(
        source=workbook(tmp_path, achievements=[achievement_row(unit.code)]), acting_user=staff_user
    )
    changes = {column: other[column], **together.get(column, {})}
    path = workbook(tmp_path, achievements=[achievement_row(unit.code, **changes)], name="changed.xlsx")
    preview = registry_import(source=path, dry_run=True)
    assert preview.valid, preview.problems
    assert preview.counts["achievements"] == {"add": 0, "update": 1, "unchanged": 0}
    change = next(c for c in preview.changes if c["sheet"] == "achievements")
    label = fmt.ACHIEVEMENTS.columns[fmt.ACHIEVEMENTS.index[column]].display_label()
    assert label in [field[0] for field in change["fields"]]


def test_new_records_get_one_history_row_each_with_the_user_and_reason(tmp_path, unit, staff_user):
    """On PostgreSQL through COPY: text with tabs, line breaks, backslashes and COPY's own NULL
    marker arrives unchanged, NULLs stay NULL and the history row repeats the record."""
    title = 'a\tb\\N "q" \\ c\nd'
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[
            achievement_row(unit.code, title=title, ip_type="software", patent_no="", cluster=""),
            achievement_row(unit.code, "CG-2", status="withdrawn", withdrawn_on="2024-01-01"),
        ],
        contracts=[contract_row(unit.code, received="")],
    )
    result = registry_import(source=path, acting_user=staff_user, reason="年度批量导入")
    assert result.valid, result.problems
    achievement = Achievement.objects.get(ref="CG-1")
    assert (achievement.title, achievement.patent_no, achievement.cluster_id) == (title, "", None)
    assert achievement.version == 1 and achievement.keywords == "" and not achievement.synthetic
    assert achievement.created_at and achievement.updated_at
    contract = Transformation.objects.get()
    assert contract.received is None and contract.registration_no == ""
    assert Transferee.objects.get(code=TRANSFEREE_CODE).is_local
    for model in (Achievement, Transformation, Transferee):
        for record in model.objects.all():
            (history,) = record.history.all()
            assert history.history_type == "+"
            assert history.history_user == staff_user
            assert history.history_change_reason == "年度批量导入"
            tracked = [
                f.attname for f in model.history.model._meta.concrete_fields if f.attname in record.__dict__
            ]
            assert {name: getattr(history, name) for name in tracked} == {
                name: getattr(record, name) for name in tracked
            }
    withdrawn = Achievement.objects.get(ref="CG-2")
    assert withdrawn.withdrawn_on == datetime.date(2024, 1, 1)


def test_records_with_tabs_and_line_breaks_arrive_whole_with_their_history(tmp_path, unit, staff_user):
    """Through COPY on PostgreSQL (the rows of other engines go through ``bulk_create``): cells with
    the text format's own characters are escaped; every record and its history row arrive whole."""
    refs = [f"CG-{i}" for i in range(1, 31)]
    titles = {ref: f"成果\t{ref}\\" + ("\n第二行" if ref.endswith("7") else "") for ref in refs}
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[
            achievement_row(unit.code, ref, title=titles[ref], ip_type="software", patent_no="")
            for ref in refs
        ],
        contracts=[contract_row(unit.code)],
    )
    result = registry_import(source=path, acting_user=staff_user, reason="分段导入")
    assert result.valid, result.problems
    stored = dict(Achievement.objects.filter(unit=unit).values_list("ref", "title"))
    assert stored == titles
    histories = Achievement.history.filter(history_change_reason="分段导入")
    assert sorted(histories.values_list("ref", "title")) == sorted(stored.items())
    assert Transformation.objects.get().achievement.ref == "CG-1"


def test_a_problem_in_the_last_chunk_undoes_the_chunks_already_written(
    tmp_path, monkeypatch, unit, staff_user
):
    """The confirmed import writes each chunk as soon as it is checked; a problem found later in the
    file undoes them all: nothing is left, and the problem is reported as in the preview."""
    from exchange import validation

    monkeypatch.setattr(validation, "DIFF_CHUNK", 3)
    written = []
    real_write_plan = services.write_plan

    def spy(part, **kwargs):
        written.append(len(part.achievements_create) + len(part.transformations_create))
        real_write_plan(part, **kwargs)

    monkeypatch.setattr(services, "write_plan", spy)
    achievements = [
        achievement_row(unit.code, f"CG-{i}", ip_type="software", patent_no="") for i in range(1, 11)
    ]
    contracts = [contract_row(unit.code, f"HT-{i}", achievement_ref=f"CG-{i}") for i in range(1, 8)]
    contracts.append(contract_row(unit.code, "HT-8", achievement_ref="CG-8", amount="很多"))
    path = workbook(tmp_path, units=[unit_row(unit)], achievements=achievements, contracts=contracts)
    preview = registry_import(source=path, dry_run=True)
    result = registry_import(source=path, acting_user=staff_user)
    assert not result.valid and result.problem_count == preview.problem_count == 1
    assert result.problems == preview.problems
    assert sum(written) >= 10 + 6  # every achievement and the contracts' first chunks were written…
    assert not Achievement.objects.exists() and not Transformation.objects.exists()  # …and undone
    assert not Transferee.objects.exists()
    assert not Achievement.history.exists()


def test_the_file_s_own_patent_numbers_are_judged_as_in_the_preview(
    tmp_path, monkeypatch, unit, other_unit, staff_user
):
    """The records an import has created by an earlier chunk are rows of the file, not the
    registry's holders: two units' new rows sharing a number give the preview's warnings (none),
    and a unit's second row with its first row's number is refused with the file's message."""
    from exchange import validation

    monkeypatch.setattr(validation, "DIFF_CHUNK", 1)
    shared = make_patent_no(404)
    achievements = [
        achievement_row(unit.code, "CG-1", patent_no=shared),
        achievement_row(other_unit.code, "CG-2", patent_no=shared),
    ]
    path = workbook(tmp_path, units=[unit_row(unit), unit_row(other_unit)], achievements=achievements)
    preview = registry_import(source=path, dry_run=True)
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert result.warning_count == preview.warning_count == 0
    assert Achievement.objects.filter(patent_no=shared).count() == 2

    Achievement.objects.all().delete()
    achievements.append(achievement_row(unit.code, "CG-3", patent_no=shared))
    path = workbook(
        tmp_path, units=[unit_row(unit), unit_row(other_unit)], achievements=achievements, name="3.xlsx"
    )
    preview = registry_import(source=path, dry_run=True)
    result = registry_import(source=path, acting_user=staff_user)
    assert result.problems == preview.problems and len(result.problems) == 1
    assert "CG-1" in result.problems[0]["message"]
    assert not Achievement.objects.exists()


def test_a_record_updated_by_an_earlier_chunk_holds_its_patent_number_as_before(
    tmp_path, monkeypatch, unit, staff_user
):
    """The duplicate-patent rule sees a record that an earlier chunk of the import updated as it
    was before the import, as the preview does: withdrawing a record in one chunk does not let a
    later row of its unit take its number."""
    from exchange import validation

    number = make_patent_no(505)
    first = workbook(
        tmp_path, units=[unit_row(unit)], achievements=[achievement_row(unit.code, "CG-1", patent_no=number)]
    )
    assert registry_import(source=first, acting_user=staff_user).valid
    monkeypatch.setattr(validation, "DIFF_CHUNK", 1)
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[
            achievement_row(
                unit.code, "CG-1", patent_no=number, status="withdrawn", withdrawn_on="2024-01-01"
            ),
            achievement_row(unit.code, "CG-2", patent_no=number),
        ],
        name="second.xlsx",
    )
    preview = registry_import(source=path, dry_run=True)
    result = registry_import(source=path, acting_user=staff_user)
    assert len(preview.problems) == 1 and "CG-1" in preview.problems[0]["message"]
    assert result.problems == preview.problems
    assert Achievement.objects.get(ref="CG-1").status == "active"  # undone
    assert not Achievement.objects.filter(ref="CG-2").exists()


def test_a_unit_may_correct_its_transferee_after_an_earlier_chunk_moved_its_contract(
    tmp_path, monkeypatch, unit, staff_user
):
    """A unit may correct a transferee only its own contracts use. The file moves the unit's one
    contract with transferee T to another transferee, and a later chunk's new contract corrects T's
    name: the preview counts the moved contract as the unit's use of T (the registry before the
    import), and so does the confirmed import, although the earlier chunk is already written."""
    from exchange import validation

    other_code = credit_code(900_002, "210200", "91")
    first = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-1")],
        contracts=[contract_row(unit.code, "HT-1")],
    )
    assert registry_import(source=first, acting_user=staff_user).valid
    monkeypatch.setattr(validation, "DIFF_CHUNK", 1)
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, "CG-1")],
        contracts=[
            contract_row(unit.code, "HT-1", transferee_code=other_code, transferee_name="沈阳另一有限公司"),
            contract_row(unit.code, "HT-2", transferee_name="大连某某科技股份有限公司"),
        ],
        name="second.xlsx",
    )
    preview = registry_import(source=path, dry_run=True, unit=unit)
    assert preview.valid, preview.problems
    result = registry_import(source=path, acting_user=staff_user, unit=unit)
    assert result.valid, result.problems
    assert result.counts == preview.counts
    assert Transferee.objects.get(code=TRANSFEREE_CODE).name == "大连某某科技股份有限公司"
    assert Transformation.objects.get(ref="HT-1").transferee.code == other_code


def _fields_of(record, **changes) -> dict:
    """A record's stored values as the writer's rows give them ({attname: value}, without the id)."""
    row = {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields if not f.primary_key}
    row.update(changes)
    return row


def test_the_copy_pipe_sends_in_the_background_and_every_query_waits_for_it(unit, staff_user):
    """A query of the importing thread runs after the COPY statements queued before it, and sees
    their rows."""
    from django.db import connection, transaction

    from exchange.validation import Plan

    from .factories import AchievementFactory

    if not writer.use_copy():
        pytest.skip("COPY is PostgreSQL's: other databases write through bulk_create")
    model = _fields_of(AchievementFactory(unit=unit, ref="CG-0", ip_type="software", patent_no=""))
    rows = [{**model, "ref": f"P-{i}"} for i in range(5000)]
    with transaction.atomic():
        with writer.CopyPipe() as pipe:
            copier = writer.Writer(Plan(), acting_user=staff_user, reason="管道", pipe=pipe)
            ids = copier.copy_create(Achievement, rows)
            assert Achievement.objects.filter(unit=unit).count() == 1 + len(rows)
            assert pipe.pending == 0
            assert Achievement.history.filter(history_change_reason="管道").count() == len(rows)
        assert set(Achievement.objects.filter(ref__startswith="P-").values_list("id", flat=True)) == set(ids)
        transaction.set_rollback(True)
    assert connection.vendor == "postgresql"


def test_a_failed_copy_is_raised_in_the_importing_thread_and_keys_are_checked_at_once(unit, staff_user):
    """The foreign keys are checked as the COPY writes (not at the commit): a contract naming no
    achievement fails its COPY, and the error reaches the importing thread as Django's
    IntegrityError, at its next query or when the pass ends; nothing is written."""
    from django.db import IntegrityError, transaction

    from exchange.validation import Plan

    from .factories import TransformationFactory

    if not writer.use_copy():
        pytest.skip("COPY is PostgreSQL's: other databases write through bulk_create")
    row = _fields_of(TransformationFactory(unit=unit), ref="HT-X", achievement_id=999_999_999)
    before = Transformation.objects.count()
    for query_after in (True, False):
        with pytest.raises(IntegrityError, match="achievement"), transaction.atomic():
            with writer.CopyPipe() as pipe:
                writer.Writer(Plan(), acting_user=staff_user, reason="x", pipe=pipe).copy_create(
                    Transformation, [row]
                )
                if query_after:
                    Achievement.objects.count()
        assert Transformation.objects.count() == before


def test_copy_is_used_on_postgresql_only():
    from django.db import connection

    assert writer.use_copy() is (connection.vendor == "postgresql")


def test_the_confirmed_import_reads_the_file_once(tmp_path, unit, staff_user):
    path = workbook(tmp_path, achievements=[achievement_row(unit.code)], contracts=[contract_row(unit.code)])
    with mock.patch.object(services, "open_reader", wraps=services.open_reader) as opened:
        result = registry_import(source=path, acting_user=staff_user)
    assert result.valid and Transformation.objects.count() == 1
    assert opened.call_count == 1
