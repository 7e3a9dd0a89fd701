"""The import applies the registry's own rules: a model rule broken in a file is reported on the
column that fills the field, with the model's own message; every problem of a file is listed in one
pass; the diff compares every declared column; new records are written with one history row each
(COPY on PostgreSQL) and the file is read once."""

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


def test_copy_lines_are_made_as_they_are_read():
    """The file a ``COPY`` reads: each read makes only the next lines, about the size asked for, and
    the reads together are the lines in order, each ending with a line break."""
    made = []

    def lines():
        for i in range(100):
            made.append(i)
            yield f"{i}\trow {i}"

    source = writer._Lines(lines())
    first = source.read(50)
    assert len(first) >= 50 and first.endswith("\n")
    assert 0 < len(made) < 100  # the rest are not made yet
    parts = [first]
    while part := source.read(50):
        parts.append(part)
    assert "".join(parts) == "".join(f"{i}\trow {i}\n" for i in range(100))
    assert len(parts) > 10 and source.read(50) == ""


def test_a_copy_sent_in_many_reads_writes_every_record_and_its_history(tmp_path, unit, staff_user):
    """Through COPY on PostgreSQL (the rows of other engines go through ``bulk_create``): with reads
    of a few characters, every read is one line; all the records and their history arrive whole."""
    from django.db import connection

    reads = []
    real_read = writer._Lines.read

    def counted_read(self, size=writer._Lines.SIZE):
        text = real_read(self, size)
        reads.append(text)
        return text

    refs = [f"CG-{i}" for i in range(1, 31)]
    path = workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[
            achievement_row(unit.code, ref, title=f"成果\t{ref}", ip_type="software", patent_no="")
            for ref in refs
        ],
        contracts=[contract_row(unit.code)],
    )
    with mock.patch.object(writer._Lines, "SIZE", 7), mock.patch.object(writer._Lines, "read", counted_read):
        result = registry_import(source=path, acting_user=staff_user, reason="分段导入")
    assert result.valid, result.problems
    if connection.vendor == "postgresql":
        # one read per record line and one per history line, for 30 achievements, 1 contract and 1
        # transferee (its unit is in the registry), and an empty read to end each of the six COPYs
        assert len([text for text in reads if text]) == 2 * (30 + 1 + 1)
        assert all(text.count("\n") == 1 for text in reads if text)
    stored = dict(Achievement.objects.filter(unit=unit).values_list("ref", "title"))
    assert stored == {ref: f"成果\t{ref}" for ref in refs}
    histories = Achievement.history.filter(history_change_reason="分段导入")
    assert sorted(histories.values_list("ref", "title")) == sorted(stored.items())
    assert Transformation.objects.get().achievement.ref == "CG-1"


def test_a_failure_while_making_copy_lines_is_raised_as_itself(unit):
    """A line that cannot be made cancels the COPY (nothing written, the transaction is undone by
    its caller) and the error is the one that happened, not the driver's cancellation."""
    from django.db import connection, transaction

    if not writer.use_copy():
        pytest.skip("COPY is PostgreSQL's: other databases write through bulk_create")

    def lines():
        yield f"{unit.pk}\tx"
        raise LookupError("no such transferee")

    fields = [Achievement._meta.get_field(name) for name in ("unit", "ref")]
    with pytest.raises(LookupError, match="no such transferee"), transaction.atomic():
        writer.Writer._copy(Achievement._meta.db_table, fields, lines())
    assert not Achievement.objects.exists()
    assert connection.vendor == "postgresql"


def test_copy_is_used_on_postgresql_only():
    from django.db import connection

    assert writer.use_copy() is (connection.vendor == "postgresql")


def test_the_confirmed_import_reads_the_file_once(tmp_path, unit, staff_user):
    path = workbook(tmp_path, achievements=[achievement_row(unit.code)], contracts=[contract_row(unit.code)])
    with mock.patch.object(services, "open_reader", wraps=services.open_reader) as opened:
        result = registry_import(source=path, acting_user=staff_user)
    assert result.valid and Transformation.objects.count() == 1
    assert opened.call_count == 1
