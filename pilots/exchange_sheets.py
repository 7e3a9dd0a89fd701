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

from . import services
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


def base_rows():
    bases = (
        PilotBase.objects.select_related("operator").prefetch_related("clusters", "services").order_by("code")
    )
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
            " ".join(s.code for s in b.services.all()),
            b.contact_name,
            b.contact_phone,
            b.contact_email,
            None,
        ]


def fund_rows():
    for f in BaseFund.objects.select_related("base").order_by("base__code", "year"):
        yield [f.base.code, f.year, f.amount, f.note]


def _codes(value) -> list[str]:
    return [part for part in str(value or "").replace(",", " ").replace("，", " ").split() if part]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _integer(value, label, problems):
    try:
        return int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError, TypeError):
        problems.append(_("%(label)s应为整数") % {"label": label})
        return None


def _messages(exc: ValidationError, labels: dict) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{labels.get(k, k)}：{m}" for k, ms in exc.message_dict.items() for m in ms]
    return exc.messages


def _loader(parse_and_write, columns):
    labels = {key: str(label) for key, label in columns}

    def load(records: list[dict], acting_user, dry_run: bool = False) -> list[str]:
        problems = []
        with transaction.atomic():
            for number, record in enumerate(records, start=2):
                row_problems: list[str] = []
                try:
                    with transaction.atomic():
                        parse_and_write(record, acting_user, row_problems, labels)
                        if row_problems:
                            raise ValidationError(row_problems)
                except ValidationError as exc:
                    problems += [
                        _("第%(n)s行：%(m)s") % {"n": number, "m": m} for m in _messages(exc, labels)
                    ]
                except PermissionDenied as exc:
                    problems.append(_("第%(n)s行：%(m)s") % {"n": number, "m": exc})
            if problems or dry_run:
                transaction.set_rollback(True)
        return problems

    return load


def _write_base(record, acting_user, problems, labels):
    code = _text(record.get("code"))
    operator = Unit.objects.filter(code=_text(record.get("operator")).upper()).first()
    if operator is None:
        problems.append(_("%(label)s：库中没有该单位") % {"label": labels["operator"]})
    clusters = list(Cluster.objects.filter(code__in=_codes(record.get("clusters"))))
    missing = set(_codes(record.get("clusters"))) - {c.code for c in clusters}
    if missing:
        problems.append(
            _("%(label)s：未知的集群代码 %(codes)s")
            % {"label": labels["clusters"], "codes": " ".join(sorted(missing))}
        )
    services_ = list(PilotService.objects.filter(code__in=_codes(record.get("services"))))
    missing = set(_codes(record.get("services"))) - {s.code for s in services_}
    if missing:
        problems.append(
            _("%(label)s：未知的服务代码 %(codes)s")
            % {"label": labels["services"], "codes": " ".join(sorted(missing))}
        )
    fields = {
        "name": _text(record.get("name")),
        "operator": operator,
        "city": _text(record.get("city")),
        "designated_year": _integer(record.get("designated_year"), labels["designated_year"], problems),
        "site_area_m2": record.get("site_area_m2"),
        "equipment_count": _integer(record.get("equipment_count"), labels["equipment_count"], problems),
        "staff_count": _integer(record.get("staff_count"), labels["staff_count"], problems),
        "contact_name": _text(record.get("contact_name")),
        "contact_phone": _text(record.get("contact_phone")),
        "contact_email": _text(record.get("contact_email")),
        "clusters": clusters,
        "services": services_,
    }
    try:
        fields["site_area_m2"] = Decimal(str(fields["site_area_m2"]).strip())
    except InvalidOperation:
        problems.append(_("%(label)s应为数字") % {"label": labels["site_area_m2"]})
    if problems:
        return
    confirmed = _text(record.get("confirm_large")).lower() in YES
    status = _text(record.get("status")) or "active"
    existing = PilotBase.objects.filter(code=code).first()
    if existing is None:
        services.base_create(
            acting_user=acting_user, code=code, status=status, confirmed_large=confirmed, **fields
        )
        return
    if status != existing.status:
        problems.append(
            _("%(label)s：状态请在基地页面变更（需生效日期和原因）") % {"label": labels["status"]}
        )
        return
    services.base_update(
        base=existing, acting_user=acting_user, confirmed_large=confirmed, reason=_("导入"), **fields
    )


def _write_fund(record, acting_user, problems, labels):
    base = PilotBase.objects.filter(code=_text(record.get("base_code"))).first()
    if base is None:
        problems.append(_("%(label)s：没有该基地") % {"label": labels["base_code"]})
        return
    year = _integer(record.get("year"), labels["year"], problems)
    try:
        amount = Decimal(str(record.get("amount")).strip())
    except InvalidOperation:
        problems.append(_("%(label)s应为数字") % {"label": labels["amount"]})
        return
    if problems:
        return
    services.fund_record(
        base=base, year=year, amount=amount, note=_text(record.get("note")), acting_user=acting_user
    )


load_bases = _loader(_write_base, BASE_COLUMNS)
load_funds = _loader(_write_fund, FUND_COLUMNS)
