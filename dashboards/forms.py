"""The dashboard's filter form: GET parameters kept in the URL, so a view can be bookmarked and shared."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from achievements.choices import UnitType
from achievements.models import Cluster, Unit
from core.validators import LIAONING_CITIES

from . import periods

YEARS_SHOWN = 15  # the year menu and the trend chart cover this many years up to the current one


def year_choices() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - YEARS_SHOWN, -1))


def year_label(year: int) -> str:
    """ "2025年"; the current year, shown to date: "2026年（截至11月30日）"."""
    text = gettext("%(year)s年") % {"year": year}
    as_of = periods.to_date(year)
    return (
        text
        if as_of is None
        else gettext("%(year)s（%(period)s）") % {"year": text, "period": periods.label(as_of)}
    )


class DashboardFilterForm(forms.Form):
    """Year and scope filters. Unit users get no unit filter: their scope is always their own unit."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False, empty_value=None)
    unit_type = forms.ChoiceField(label=_("单位类型"), required=False)
    region = forms.ChoiceField(label=_("所在城市"), required=False)
    cluster = forms.ChoiceField(label=_("产业集群"), required=False)
    unit = forms.ChoiceField(label=_("单位"), required=False)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["year"].choices = [(y, year_label(y)) for y in year_choices()]
        self.fields["unit_type"].choices = [("", _("全部类型")), *UnitType.choices]
        self.fields["region"].choices = [("", _("全省")), *LIAONING_CITIES.items()]
        self.fields["cluster"].choices = [
            ("", _("全部集群")),
            *(
                (c.code, f"{c.code} {c.name}")
                for c in Cluster.objects.filter(is_active=True).order_by("code")
            ),
        ]
        if user.is_staff:
            self.fields["unit"].choices = [
                ("", _("全部单位")),
                *Unit.objects.order_by("name").values_list("code", "name"),
            ]
        else:
            # A unit user's scope is their own unit, which fixes the unit type and city as well.
            for name in ("unit", "unit_type", "region"):
                del self.fields[name]
        self._unit_user = not user.is_staff

    def invalid_filters(self) -> list[tuple[str, str, list[str]]]:
        """(parameter, label, messages) of every invalid filter, shown on the page: an invalid
        filter is reported and ignored, never an error page. A unit user's scope filters are
        reported too (their figures are always their own unit's)."""
        if not self.is_bound:
            return []
        self.is_valid()
        invalid = [
            (name, str(self.fields[name].label), [str(m) for m in errors])
            for name, errors in self.errors.items()
            if name in self.fields
        ]
        if self._unit_user:
            for name, label in (("unit", _("单位")), ("unit_type", _("单位类型")), ("region", _("所在城市"))):
                if self.data.get(name):
                    invalid.append((name, str(label), [str(_("单位用户只能查看本单位的统计。"))]))
        if self.data.get("print") not in (None, "", "0", "1"):
            invalid.append(("print", str(_("打印版")), [str(_("应为 1 或 0。"))]))
        return invalid

    def value(self, name: str):
        """The cleaned value of a field, or None when it is empty or invalid (an invalid filter is
        reported on the form and ignored, never an error page)."""
        if not self.is_bound or name not in self.fields:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None
