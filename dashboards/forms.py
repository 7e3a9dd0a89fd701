"""The dashboard's filter form: GET parameters kept in the URL, so a view can be bookmarked and shared."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from achievements.choices import UnitType
from achievements.models import Cluster, Unit
from core.validators import LIAONING_CITIES

YEARS_SHOWN = 15  # the year menu and the trend chart cover this many years up to the current one


def year_choices() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - YEARS_SHOWN, -1))


class DashboardFilterForm(forms.Form):
    """Year and scope filters. Unit users get no unit filter: their scope is always their own unit."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False, empty_value=None)
    unit_type = forms.ChoiceField(label=_("单位类型"), required=False)
    region = forms.ChoiceField(label=_("所在城市"), required=False)
    cluster = forms.ChoiceField(label=_("产业集群"), required=False)
    unit = forms.ChoiceField(label=_("单位"), required=False)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["year"].choices = [(y, _("%(year)s年") % {"year": y}) for y in year_choices()]
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

    def value(self, name: str):
        """The cleaned value of a field, or None when it is empty or invalid (an invalid filter is
        reported on the form and ignored, never an error page)."""
        if not self.is_bound or name not in self.fields:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None
