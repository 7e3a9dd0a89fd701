"""The annual reports' records of the access matrix (tests/test_access_matrix.py): unit B has a
report in each state a route acts on (one per year: a unit has one current report a year); unit A
has none, so it may create its own for 2023."""

from __future__ import annotations

import datetime

from reports import services
from reports.models import AnnualReport, ReportCycle

from .reports_helpers import complete_fields

NOTE = "访问矩阵测试：请核实"


def _report(unit, year: int, steps: tuple[str, ...]) -> AnnualReport:
    cycle = ReportCycle.objects.create(year=year, deadline=datetime.date(year + 1, 5, 31))
    report = AnnualReport.objects.create(cycle=cycle, unit=unit, year=year)
    report = services.report_update(
        report=report, acting_user=None, changes=complete_fields(report), expected_version=report.version
    )
    for step in steps:
        report = services.report_transition(
            report=report, action=step, acting_user=None, expected_version=report.version,
            note=NOTE if step == "return_for_changes" else "",
        )
    return report


def build(objects: dict) -> None:
    unit_b = objects["unit_b"]
    objects.update(
        {
            "report_b_draft": _report(unit_b, 2023, ()),
            "report_b_submitted": _report(unit_b, 2022, ("submit",)),
            "report_b_returned": _report(unit_b, 2021, ("submit", "return_for_changes")),
            "report_b_accepted": _report(unit_b, 2020, ("submit", "accept")),
        }
    )
    objects["admin:reports.annualreport"] = objects["report_b_submitted"]  # read-only, superusers only


def _version(d, key: str) -> int:
    return AnnualReport.objects.get(pk=d[key].pk).version


def _form(d) -> dict:
    report = AnnualReport.objects.get(pk=d["report_b_draft"].pk)
    data = {"version": report.version}
    for part, values in report.reported.items():
        for figure, value in values.items():
            data[f"rep__{part}__{figure}"] = value
    for name, value in complete_fields(report).items():
        if name != "reported":
            data[name] = {True: "true", False: "false"}.get(value, value) if name == "tto_exists" else value
    data["companies"] = 1
    return data


PAGE_BODIES = {
    "reports:cycle_list": lambda d: {"year": "2023", "deadline": "2024-06-30"},
    "reports:report_edit": _form,
    "reports:report_refresh": lambda d: {"version": _version(d, "report_b_draft")},
    "reports:report_submit": lambda d: {"version": _version(d, "report_b_draft")},
    "reports:report_resubmit": lambda d: {"version": _version(d, "report_b_returned")},
    "reports:report_return_for_changes": lambda d: {"version": _version(d, "report_b_submitted"), "note": NOTE},
    "reports:report_accept": lambda d: {"version": _version(d, "report_b_submitted")},
    "reports:report_revise": lambda d: {"version": _version(d, "report_b_accepted")},
}

API_BODIES = {
    ("api:annualreport-list", "POST"): lambda d: {"year": 2023},
    ("api:annualreport-detail", "PATCH"): lambda d: {"version": _version(d, "report_b_draft"), "companies": 2},
    ("api:annualreport-refresh", "POST"): lambda d: {"version": _version(d, "report_b_draft")},
    ("api:annualreport-submit", "POST"): lambda d: {"version": _version(d, "report_b_draft")},
    ("api:annualreport-resubmit", "POST"): lambda d: {"version": _version(d, "report_b_returned")},
    ("api:annualreport-return-for-changes", "POST"): lambda d: {
        "version": _version(d, "report_b_submitted"), "note": NOTE,
        "comments": [{"field": "tto_staff", "text": NOTE}],
    },
    ("api:annualreport-accept", "POST"): lambda d: {"version": _version(d, "report_b_submitted")},
    ("api:annualreport-revise", "POST"): lambda d: {"version": _version(d, "report_b_accepted")},
}
