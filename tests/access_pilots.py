"""The pilot bases' records of the access matrix (tests/test_access_matrix.py): unit B operates
``base_b``; its achievement ``ach_b`` has a request in every state a route acts on."""

from django.utils import timezone

from pilots import services
from pilots.models import PilotService
from reviews.choices import ReviewAction

from .pilot_factories import make_base, make_report


def build(objects: dict) -> None:
    unit_b, ach_b = objects["unit_b"], objects["ach_b"]
    base_b = make_base(unit_b, code="MATRIX-B", clusters=("A01",), services_=("pilot_test",))
    make_base(objects["unit_a"], code="MATRIX-A")
    report_b = make_report(base_b, 2023, accepted=False)  # a draft: unit B's alone
    accepted = make_report(base_b, 2022)
    other_base = make_base(unit_b, code="MATRIX-B2")
    submitted = services.report_transition(
        report=make_report(other_base, 2022, accepted=False), action=ReviewAction.SUBMIT, acting_user=None
    )
    returned = services.report_transition(
        report=make_report(other_base, 2023, accepted=False), action=ReviewAction.SUBMIT, acting_user=None
    )
    returned = services.report_transition(
        report=returned, action=ReviewAction.RETURN, acting_user=None, note="矩阵"
    )
    services.evaluate_year(year=2022, acting_user=None)
    rubric = services.rubric_for_year(year=2022, acting_user=None)
    service = PilotService.objects.get(code="pilot_test")

    def request(step: str):
        r = services.request_create(achievement=ach_b, service=service, description="矩阵", acting_user=None)
        if step == "new":
            return r
        r = services.request_send(request=r, base=base_b, acting_user=None)
        if step == "sent":
            return r
        r = services.request_answer(request=r, accept=True, acting_user=None)
        if step == "accepted":
            return r
        return services.request_start(request=r, on=timezone.localdate(), acting_user=None)

    objects.update(
        {
            "base_b": base_b,
            "pilot_report_b": report_b,
            "pilot_report_b_accepted": accepted,
            "pilot_report_b_submitted": submitted,
            "pilot_report_b_returned": returned,
            "evaluation_b": accepted.base.evaluations.get(year=2022),
            "rubric": rubric,
            "indicator": rubric.indicators.get(code="pilot_tests"),
            "req_b_new": request("new"),
            "req_b_sent": request("sent"),
            "req_b_accepted": request("accepted"),
            "req_b_started": request("started"),
            "admin:pilots.pilotservice": service,
            "admin:pilots.pilotbase": base_b,
            "admin:pilots.pilotrequest": objects.get("req_b_new"),
        }
    )
    objects["admin:pilots.pilotrequest"] = objects["req_b_new"]
    if not service.history.exists():
        service.save()
    for label in ("pilotservice", "pilotbase", "pilotrequest"):
        obj = objects[f"admin:pilots.{label}"]
        objects[f"history:pilots.{label}"] = obj.history.order_by("-history_id").first().history_id


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


PAGE_BODIES = {
    "pilots:base_edit": lambda d: {
        "version": _fresh(d["base_b"]).version,
        "code": "MATRIX-B",
        "name": "矩阵基地（改）",
        "operator": d["unit_b"].pk,
        "city": "210100",
        "clusters": [c.pk for c in d["base_b"].clusters.all()],
        "designated_year": 2022,
        "site_area_m2": "12000.00",
        "equipment_count": 101,
        "staff_count": 31,
        "services": [s.pk for s in d["base_b"].services.all()],
    },
    "pilots:base_status": lambda d: {
        "version": _fresh(d["base_b"]).version,
        "status": "suspended",
        "effective_on": "2024-06-01",
    },
    "pilots:base_fund": lambda d: {"year": 2024, "amount": "1000.00"},
    "pilots:base_rating": lambda d: {"year": 2024, "management": "80", "reputation": "75"},
    "pilots:report_create": lambda d: {
        "year": 2024,
        "pilot_tests": 1,
        "achievements_tested": 1,
        "enterprises_served": 2,
        "enterprises_local": 1,
        "revenue": "1000.00",
        "equipment_utilisation": "50",
        "staff_year_end": 3,
    },
    "pilots:report_edit": lambda d: {
        "pilot_tests": 2,
        "achievements_tested": 1,
        "enterprises_served": 2,
        "enterprises_local": 1,
        "revenue": "1000.00",
        "equipment_utilisation": "50",
        "staff_year_end": 3,
    },
    "pilots:report_submit": lambda d: {"version": _fresh(d["pilot_report_b"]).version},
    "pilots:report_resubmit": lambda d: {"version": _fresh(d["pilot_report_b_returned"]).version},
    "pilots:report_accept": lambda d: {"version": _fresh(d["pilot_report_b_submitted"]).version},
    "pilots:report_return_for_changes": lambda d: {
        "version": _fresh(d["pilot_report_b_submitted"]).version,
        "note": "矩阵退回",
    },
    "pilots:report_revise": lambda d: {"version": _fresh(d["pilot_report_b_accepted"]).version},
    "pilots:rubric_edit": lambda d: {
        "version": _fresh(d["rubric"]).version,
        "title": "矩阵方案",
        "top_share": "0.250",
        "excellent_min": "90",
        "good_min": "70",
        "pass_min": "60",
    },
    "pilots:indicator_edit": lambda d: {
        "version": _fresh(d["rubric"]).version,
        "weight": "12",
        "bands": "0: 0\n5: 6\n10: 12",
    },
    "pilots:request_create": lambda d: {
        "achievement": d["ach_b"].pk,
        "service": PilotService.objects.get(code="pilot_test").pk,
        "description": "矩阵申请",
    },
    "pilots:request_send": lambda d: {"version": _fresh(d["req_b_new"]).version, "base": d["base_b"].pk},
    "pilots:request_accept": lambda d: {"version": _fresh(d["req_b_sent"]).version},
    "pilots:request_cancel": lambda d: {"version": _fresh(d["req_b_sent"]).version},
    "pilots:request_decline": lambda d: {"version": _fresh(d["req_b_sent"]).version},
    "pilots:request_start": lambda d: {
        "version": _fresh(d["req_b_accepted"]).version,
        "started_on": timezone.localdate().isoformat(),
    },
    "pilots:request_complete": lambda d: {
        "version": _fresh(d["req_b_started"]).version,
        "completed_on": timezone.localdate().isoformat(),
        "outcome": "success",
    },
}
