"""The dashboard's sections, registered as panels (core.registry.DashboardPanel) in page order: the
year-by-year trend, the breakdowns (no ranking of units or cities on one unit's page), and local
versus out-of-province contracts. Another app adds a section by registering a panel of its own."""

from django.utils.translation import gettext

from core.registry import DashboardPanel, PanelContext, register

from . import periods, views


def trend(ctx: PanelContext) -> dict:
    section = views._trend_section(ctx.series, year=ctx.year, scope=ctx.scope)
    if ctx.as_of is not None:  # the current year's point counts to date
        section["note"] = gettext("%(year)s年的数字%(period)s；同比与上年同期比较。") % {
            "year": ctx.year,
            "period": periods.label(ctx.as_of),
        }
    return section


def breakdown(spec):
    def build(ctx: PanelContext) -> dict | None:
        if spec[1] in ("unit", "region") and ctx.scope.unit:
            return None  # one unit: no ranking of units or of cities
        return views._breakdown_section(spec, year=ctx.year, scope=ctx.scope)

    return build


def local(ctx: PanelContext) -> dict:
    return views._local_section(ctx.summary, year=ctx.year, scope=ctx.scope)


register(
    DashboardPanel("trend", order=10, build=trend),
    *(
        DashboardPanel(f"breakdown_{spec[0]}", order=20 + n, build=breakdown(spec))
        for n, spec in enumerate(views.BREAKDOWNS)
    ),
    DashboardPanel("local", order=90, build=local),
)
