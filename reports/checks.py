"""The checks of an annual report (docs/reports.md, "Checks on submit"), written once: the pages,
the API and the services all call ``submission_errors``; the figures a unit types are parsed by
``figures.parse_figure`` at every door.

Errors are keyed by the field (``reported.transfer.amount``, ``sme_received``…) and each message
names it, so the page puts it beside the field and the API returns it under that key.

Art. 45 hook
------------
``minimum_team_share(year)`` is the legal minimum share of the net income from transfers and
licences that goes to the research team (Law on Promoting the Transformation of S&T Achievements,
Art. 45: 50 % where the unit has no rule of its own). The rate is configuration, not code: an app
that keeps it as dated data (``incentives``) installs a provider with
``set_team_share_provider(func)`` — ``func(year) -> Decimal | None`` — from its ``AppConfig.ready()``;
``None`` from the provider (no rule for that year) falls back to the statutory 50 %. ``reports``
never imports that app (it sits above ``reports``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import numbers

from . import figures

STATUTORY_TEAM_SHARE = Decimal("0.50")
EXPLANATION_MAX = 200
TEXT_MAX = 5000  # the free texts (cases, problems, the reward share's explanation), in characters
TEXT_FIELDS = ("team_share_explanation", "typical_cases", "problems")

_team_share_provider: Callable[[int], Decimal | None] | None = None


def set_team_share_provider(provider: Callable[[int], Decimal | None] | None) -> None:
    """Install (or, with ``None``, remove) the source of the minimum team share (Art. 45 hook)."""
    global _team_share_provider
    _team_share_provider = provider


def minimum_team_share(year: int) -> Decimal:
    """The minimum share (0.50 = 50 %) of the net income from transfers and licences that the
    research team receives for reports of ``year``."""
    if _team_share_provider is not None:
        value = _team_share_provider(year)
        if value is not None:
            return Decimal(value)
    return STATUTORY_TEAM_SHARE


def team_share(report) -> Decimal | None:
    """Cash rewards divided by the net income from transfers and licences (``None`` without income)."""
    if not report.net_income or report.reward_cash is None:
        return None
    return (Decimal(report.reward_cash) / Decimal(report.net_income)).quantize(Decimal("0.0001"))


def team_share_below_minimum(report, minimum: Decimal | None = None) -> bool:
    share = team_share(report)
    if share is None:
        return False
    return share < (minimum_team_share(report.year) if minimum is None else minimum)


def team_share_warning(report, minimum: Decimal | None = None) -> str | None:
    """The Art. 45 warning, or ``None``. ``minimum``: the year's minimum share when the caller has
    read it already (a list reads it once per year, not once per report)."""
    if team_share(report) is None:
        return None
    minimum = minimum_team_share(report.year) if minimum is None else minimum
    if not team_share_below_minimum(report, minimum):
        return None
    return _(
        "对个人的现金奖励占转让、许可净收入的 %(share)s，低于法定最低比例 %(minimum)s"
        "（促进科技成果转化法第四十五条，单位无自有规定时适用）；请在“奖励比例说明”中说明理由。"
    ) % {
        "share": numbers.percent(team_share(report)),
        "minimum": f"{minimum_team_share(report.year) * 100:.0f}%",
    }


def differences(report) -> list[dict]:
    """Every reported figure that differs from the registry block, with its explanation."""
    rows = []
    for part in figures.PARTS:
        for figure in figures.FIGURES:
            key = f"reported.{part}.{figure}"
            registry = (report.registry or {}).get(part, {}).get(figure)
            reported = (report.reported or {}).get(part, {}).get(figure)
            if same_figure(registry, reported, figure):
                continue
            rows.append(
                {
                    "key": key,
                    "label": figures.key_label(part, figure),
                    "registry": registry,
                    "reported": reported,
                    "explanation": (report.explanations or {}).get(key, ""),
                }
            )
    return rows


def same_figure(a, b, figure) -> bool:
    try:
        if figure == "contracts":
            return int(a or 0) == int(b or 0)
        return Decimal(a or 0) == Decimal(b or 0)
    except (ValueError, ArithmeticError, TypeError):
        return False


def _add(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def shape_errors(report) -> dict[str, list[str]]:
    """What is wrong whatever the state (checked on every save): the reported block's shape and
    types, negative figures, a received amount above its contract amount, an explanation not on
    one line, a free text longer than ``TEXT_MAX``."""
    errors: dict[str, list[str]] = {}
    try:
        figures.parse_block(report.reported or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        for part in figures.PARTS:
            values = report.reported[part]
            if Decimal(values["received"]) > Decimal(values["amount"]):
                _add(
                    errors,
                    f"reported.{part}.received",
                    _("%(label)s：到账金额不能超过合同金额（%(amount)s 元）。")
                    % {"label": figures.key_label(part, "received"), "amount": values["amount"]},
                )
    for amount, received in (("sme_amount", "sme_received"), ("service_amount", "service_received")):
        a, r = getattr(report, amount), getattr(report, received)
        if a is not None and r is not None and r > a:
            _add(errors, received, _("%(label)s：不能超过合同金额。") % {"label": _label(report, received)})
    for name in TEXT_FIELDS:
        length = len(getattr(report, name) or "")
        if length > TEXT_MAX:
            _add(errors, name, _("%(label)s：不能超过%(n)s字（现有%(length)s字）。") % {
                "label": _label(report, name), "n": TEXT_MAX, "length": length})
    valid_keys = {f"reported.{part}.{figure}" for part in figures.PARTS for figure in figures.FIGURES}
    if not isinstance(report.explanations, dict):
        _add(errors, "explanations", _("差异说明：应为按字段（如 reported.transfer.amount）分列的对象。"))
        return errors
    for key, text in report.explanations.items():
        if key not in valid_keys:
            _add(errors, "explanations", _("差异说明：没有这个字段：%(key)s") % {"key": key})
            continue
        if "\n" in str(text) or len(str(text)) > EXPLANATION_MAX:
            _add(errors, key, _("%(label)s的差异说明：请用一行（不超过%(n)s字）说明。") % {
                "label": _key_label(key), "n": EXPLANATION_MAX})
    return errors


def _label(report, name: str) -> str:
    return str(report._meta.get_field(name).verbose_name)


def _key_label(key: str) -> str:
    parts = key.split(".")
    if len(parts) == 3 and parts[1] in figures.PARTS and parts[2] in figures.FIGURES:
        return figures.key_label(parts[1], parts[2])
    return key


def submission_errors(report) -> dict[str, list[str]]:
    """Everything that stops the report from being filed (an empty dict: it may be submitted)."""
    errors = shape_errors(report)
    if any(key.startswith("reported") for key in errors):
        return errors

    # Totals equal the sum of their parts: local + out-of-province = all modes.
    modes = figures.block_total(report.reported, figures.MODES)
    places = figures.block_total(report.reported, figures.PLACES)
    for figure in figures.FIGURES:
        if modes[figure] != places[figure]:
            _add(
                errors,
                f"reported.local.{figure}",
                _("%(figure)s：省内企业（%(local)s）与省外企业（%(non_local)s）之和应等于各转化方式合计（%(total)s）。")
                % {
                    "figure": figures.FIGURE_LABELS[figure],
                    "local": report.reported["local"][figure],
                    "non_local": report.reported["non_local"][figure],
                    "total": modes[figure],
                },
            )

    # Required sections.
    optional = {"team_share_explanation", "tto_staff", "tto_managers"}
    for name in figures.SECTION_FIELDS:
        if name in optional:
            continue
        value = getattr(report, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            _add(errors, name, _("%(label)s：提交前请填写。") % {"label": _label(report, name)})
    if report.tto_exists:
        for name in ("tto_staff", "tto_managers"):
            if getattr(report, name) is None:
                _add(errors, name, _("%(label)s：设有技术转移机构时请填写。") % {"label": _label(report, name)})
    elif report.tto_exists is False:
        for name in ("tto_staff", "tto_managers"):
            if getattr(report, name):
                _add(errors, name, _("%(label)s：未设技术转移机构时应为 0。") % {"label": _label(report, name)})

    # Parts of the whole: enterprises that are SMEs are a part of all contracts.
    if report.sme_contracts is not None and report.sme_contracts > modes["contracts"]:
        _add(errors, "sme_contracts", _("%(label)s：不能超过合同总数（%(total)s）。") % {
            "label": _label(report, "sme_contracts"), "total": modes["contracts"]})
    if report.sme_amount is not None and report.sme_amount > modes["amount"]:
        _add(errors, "sme_amount", _("%(label)s：不能超过合同总金额（%(total)s 元）。") % {
            "label": _label(report, "sme_amount"), "total": modes["amount"]})
    rewarded = (report.reward_cash or 0) + (report.reward_equity or 0)
    if rewarded and report.rewarded_people == 0:
        _add(errors, "rewarded_people", _("%(label)s：有奖励金额时人数不能为 0。") % {
            "label": _label(report, "rewarded_people")})

    # Each difference from the registry needs a one-line explanation.
    for row in differences(report):
        if not str(row["explanation"]).strip():
            _add(
                errors,
                row["key"],
                _("%(label)s：填报数（%(reported)s）与成果库数据（%(registry)s）不同，请填写一行说明。")
                % row,
            )

    # Art. 45: a share below the minimum is a warning that needs an explanation, not a block.
    if team_share_below_minimum(report) and not report.team_share_explanation.strip():
        _add(errors, "team_share_explanation", team_share_warning(report))
    return errors
