"""The pilot sheets of the exchange format (``pilot_bases``, ``pilot_funds``), declared to the
exchange app through ``core.registry.ExchangeSheet``: their columns, their export rows, and their
import, which writes through ``pilots.services`` (so every rule is the services'), all rows or none.
docs/exchange-format.md lists the columns."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from achievements.models import Cluster, Unit
from core.params import MAX_ID
from core.registry import SheetLoad
from core.validators import LIAONING_CITIES

from . import policies, services
from .choices import BaseStatus
from .models import BaseFund, PilotBase, PilotService

BASE_COLUMNS = (
    ("code", gettext_lazy("基地编号")),
    ("name", gettext_lazy("基地名称")),
    ("operator", gettext_lazy("运营单位代码")),
    ("city", gettext_lazy("所在城市代码")),
    ("clusters", gettext_lazy("服务产业集群")),
    ("designated_year", gettext_lazy("认定年份")),
    ("status", gettext_lazy("状态")),
    ("site_area_m2", gettext_lazy("场地面积（平方米）")),
    ("equipment_count", gettext_lazy("仪器设备（台套）")),
    ("staff_count", gettext_lazy("专职服务人员（人）")),
    ("services", gettext_lazy("服务内容")),
    ("contact_name", gettext_lazy("联系人")),
    ("contact_phone", gettext_lazy("联系电话")),
    ("contact_email", gettext_lazy("联系邮箱")),
    ("confirm_large", gettext_lazy("确认数值无误")),
)
FUND_COLUMNS = (
    ("base_code", gettext_lazy("基地编号")),
    ("year", gettext_lazy("年度")),
    ("amount", gettext_lazy("省级资金（元）")),
    ("note", gettext_lazy("说明")),
)
YES = {"yes", "是", "true", "1", "y"}

# What each column holds (the note on its header in a workbook; docs/exchange-format.md).
BASE_NOTES = {
    "code": gettext_lazy("必填；基地自己的编号，大写字母、数字和连字符，例如 LNZS-001；已有编号为修改。"),
    "name": gettext_lazy("必填；基地名称。"),
    "operator": gettext_lazy("必填；运营单位的统一社会信用代码，单位须已在库中或在本文件的“单位”表中。"),
    "city": gettext_lazy("必填；所在城市的 6 位行政区划代码（辽宁省 14 个市之一）。"),
    "clusters": gettext_lazy("选填；产业集群代码，多个以空格分隔。"),
    "designated_year": gettext_lazy("必填；认定年份，1985 年至今年。"),
    "status": gettext_lazy(
        "active 运行、suspended 暂停或 revoked 撤销；新基地默认运行。已有基地的状态请在基地页面变更。"
    ),
    "site_area_m2": gettext_lazy(
        "必填；平方米，最多两位小数，不能为负；超过 1,000,000 须在“确认数值无误”填“是”。"
    ),
    "equipment_count": gettext_lazy("必填；台套，非负整数。"),
    "staff_count": gettext_lazy("必填；人，非负整数；超过 10,000 须在“确认数值无误”填“是”。"),
    "services": gettext_lazy("选填；服务内容代码，多个以空格分隔，例如 pilot_test testing。"),
    "contact_email": gettext_lazy("选填；电子邮箱。"),
    "confirm_large": gettext_lazy("选填；面积或人员超过上限时填“是”。"),
}
FUND_NOTES = {
    "base_code": gettext_lazy("必填；基地编号，基地须已在名录中或在本文件的“中试基地”表中。"),
    "year": gettext_lazy("必填；年度，1985 年至今年。"),
    "amount": gettext_lazy("必填；元，最多两位小数，不能为负；同一基地同一年度为修改。"),
}


def base_lists() -> dict[str, list[str]]:
    """The dropdowns of ``pilot_bases``: city codes, statuses, the confirmation."""
    return {
        "city": sorted(LIAONING_CITIES),
        "status": [value for value, _label in BaseStatus.choices],
        "confirm_large": ["是", "否"],
    }


def base_rows(user=None):
    """The register's rows that ``user`` may read (``policies.can_read_register``: the register is a
    shared record, the same as its pages and API)."""
    readable = PilotBase.objects.for_user(user)
    bases = readable.select_related("operator").prefetch_related("clusters", "services").order_by("code")
    for b in bases:
        yield [
            b.code,
            b.name,
            b.operator.code,
            b.city,
            " ".join(sorted(c.code for c in b.clusters.all())),
            b.designated_year,
            b.status,
            b.site_area_m2,
            b.equipment_count,
            b.staff_count,
            " ".join(sorted(s.code for s in b.services.all())),
            b.contact_name,
            b.contact_phone,
            b.contact_email,
            None,
        ]


def fund_rows(user=None):
    """The funds per base and year, for whoever may read them (``policies.can_read_funds``, the
    same rule as the base's page and the API's ``provincial_funds``)."""
    if not policies.can_read_funds(user):
        return
    readable = PilotBase.objects.for_user(user)
    funds = BaseFund.objects.filter(base__in=readable).select_related("base").order_by("base__code", "year")
    for f in funds:
        yield [f.base.code, f.year, f.amount, f.note]


def _codes(value) -> list[str]:
    return [part for part in str(value or "").replace(",", " ").replace("，", " ").split() if part]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _integer(record, key, problems):
    value = record.get(key)
    if _text(value) == "":
        problems.append((key, _("必填项不能为空。")))
        return None
    try:
        number = Decimal(str(value).strip())
        # finite, whole, and what a 64-bit column holds (``1e100000000`` would otherwise become a
        # hundred-million-digit int before any check; SQLite cannot bind above 2**63 - 1)
        if not number.is_finite() or not -MAX_ID <= number <= MAX_ID or number != number.to_integral_value():
            raise InvalidOperation
        return int(number)
    except (ArithmeticError, ValueError, TypeError):  # InvalidOperation, Overflow…
        problems.append((key, _("应为整数。")))
        return None


def _decimal(record, key, problems):
    value = record.get(key)
    if _text(value) == "":
        problems.append((key, _("必填项不能为空。")))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
        if not number.is_finite():
            raise InvalidOperation
        return number
    except (InvalidOperation, ValueError, TypeError):
        problems.append((key, _("应为数字。")))
        return None


def _problems(exc: ValidationError, record: dict, columns) -> list[tuple[str, str]]:
    """(column key, message) of a service's refusal; a field that is no column goes on the first."""
    keys = {key for key, _label in columns}
    first = columns[0][0]
    if hasattr(exc, "error_dict"):
        return [(k if k in keys else first, m) for k, ms in exc.message_dict.items() for m in ms]
    return [(first, m) for m in exc.messages]


PREVIEW_ROWS = 200  # changed rows sampled for the preview


def _loader(parse_and_write, columns):
    def load(records, acting_user, dry_run: bool = False) -> SheetLoad:
        result = SheetLoad()
        with transaction.atomic():
            for number, record in records:
                row_problems: list[tuple[str, str]] = []
                try:
                    with transaction.atomic():
                        outcome = parse_and_write(record, acting_user, row_problems)
                        if row_problems:
                            raise ValidationError("")
                except ValidationError as exc:
                    found = row_problems or _problems(exc, record, columns)
                    result.problems += [
                        {"row": number, "column": key, "value": _text(record.get(key)), "message": str(m)}
                        for key, m in found
                    ]
                    continue
                except PermissionDenied as exc:
                    result.problems.append(
                        {
                            "row": number,
                            "column": columns[0][0],
                            "value": _text(record.get(columns[0][0])),
                            "message": str(exc),
                        }
                    )
                    continue
                action, key, title = outcome
                result.counts[action] += 1
                if action != "unchanged" and len(result.changes) < PREVIEW_ROWS:
                    result.changes.append({"row": number, "action": action, "key": key, "title": title})
            if result.problems or dry_run:
                transaction.set_rollback(True)
        return result

    return load


def _write_base(record, acting_user, problems):
    """Check one row of ``pilot_bases`` and write it through the services; returns (action, key,
    title). A row equal to the register is left alone (and needs no right to change it)."""
    code = _text(record.get("code")).upper()
    if not code:
        problems.append(("code", _("必填项不能为空。")))
    operator = Unit.objects.filter(code=_text(record.get("operator")).upper()).first()
    if operator is None:
        problems.append(("operator", _("库中没有该单位。")))
    wanted = _codes(record.get("clusters"))
    clusters = list(Cluster.objects.filter(code__in=wanted))
    missing = set(wanted) - {c.code for c in clusters}
    if missing:
        problems.append(("clusters", _("未知的集群代码 %(codes)s。") % {"codes": " ".join(sorted(missing))}))
    wanted = _codes(record.get("services"))
    services_ = list(PilotService.objects.filter(code__in=wanted))
    missing = set(wanted) - {s.code for s in services_}
    if missing:
        problems.append(("services", _("未知的服务代码 %(codes)s。") % {"codes": " ".join(sorted(missing))}))
    fields = {
        "name": _text(record.get("name")),
        "operator": operator,
        "city": _text(record.get("city")),
        "designated_year": _integer(record, "designated_year", problems),
        "site_area_m2": _decimal(record, "site_area_m2", problems),
        "equipment_count": _integer(record, "equipment_count", problems),
        "staff_count": _integer(record, "staff_count", problems),
        "contact_name": _text(record.get("contact_name")),
        "contact_phone": _text(record.get("contact_phone")),
        "contact_email": _text(record.get("contact_email")),
    }
    status = _text(record.get("status")) or "active"
    if problems:
        return None
    confirmed = _text(record.get("confirm_large")).lower() in YES
    existing = PilotBase.objects.filter(code=code).prefetch_related("clusters", "services").first()
    if existing is None:
        services.base_create(
            acting_user=acting_user,
            code=code,
            status=status,
            confirmed_large=confirmed,
            clusters=clusters,
            services=services_,
            **fields,
        )
        return "add", code, fields["name"]
    if status != existing.status:
        problems.append(("status", _("状态请在基地页面变更（需生效日期和原因）。")))
        return None
    same = (
        all(getattr(existing, name) == value for name, value in fields.items())
        and {c.pk for c in existing.clusters.all()} == {c.pk for c in clusters}
        and {s.pk for s in existing.services.all()} == {s.pk for s in services_}
    )
    if same:
        return "unchanged", code, existing.name
    services.base_update(
        base=existing,
        acting_user=acting_user,
        confirmed_large=confirmed,
        reason=_("导入"),
        clusters=clusters,
        services=services_,
        **fields,
    )
    return "update", code, fields["name"]


def _write_fund(record, acting_user, problems):
    code = _text(record.get("base_code")).upper()
    base = PilotBase.objects.filter(code=code).first()
    if base is None:
        problems.append(("base_code", _("没有该基地（基地须已在名录中，或在本文件的“中试基地”表中）。")))
    year = _integer(record, "year", problems)
    amount = _decimal(record, "amount", problems)
    note = _text(record.get("note"))
    if problems:
        return None
    title = f"{base.name} {year}"
    existing = BaseFund.objects.filter(base=base, year=year).first()
    if existing is not None and existing.amount == amount and existing.note == note:
        return "unchanged", f"{code} / {year}", title
    services.fund_record(base=base, year=year, amount=amount, note=note, acting_user=acting_user)
    return ("add" if existing is None else "update"), f"{code} / {year}", title


load_bases = _loader(_write_base, BASE_COLUMNS)
load_funds = _loader(_write_fund, FUND_COLUMNS)
