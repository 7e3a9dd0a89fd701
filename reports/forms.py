"""Forms of the report pages: they shape input only (figures parsed by ``figures.parse_figure``,
the same parser the API uses); ``services`` and ``checks`` decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from achievements.forms import LabelledErrorsMixin, VersionField
from core.ui.widgets import DateInput

from . import checks, figures
from .models import AnnualReport, ReportCycle

INTEGER_FIELDS = {
    "sme_contracts", "service_contracts", "fiscal_transformed", "companies", "venture_staff",
    "rewarded_people", "tto_staff", "tto_managers",
}
AMOUNT_FIELDS = {
    "sme_amount", "sme_received", "service_amount", "service_received", "net_income", "reward_cash",
    "reward_equity",
}
TEXT_FIELDS = {"team_share_explanation", "typical_cases", "problems"}


def figure_name(part: str, figure: str) -> str:
    return f"rep__{part}__{figure}"


def explanation_name(part: str, figure: str) -> str:
    return f"exp__{part}__{figure}"


def key_to_field(key: str) -> str:
    """``reported.transfer.amount`` → the form field; other keys are field names already."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "reported":
        return figure_name(parts[1], parts[2])
    return key


class ReportForm(LabelledErrorsMixin, forms.Form):
    """The unit's report: the reported figures beside the registry's (one explanation per
    difference), then the sections. Figures are typed as text and parsed with a message naming
    the field (``1,2`` or ``五万`` is an error, never a crash)."""

    model_for_labels = AnnualReport
    version = VersionField()

    def __init__(self, data=None, *, instance: AnnualReport, user=None, **kwargs):
        self.instance = instance
        initial = {"version": instance.version}
        super().__init__(data, initial=initial, **kwargs)
        for part in figures.PARTS:
            for figure in figures.FIGURES:
                name = figure_name(part, figure)
                self.fields[name] = forms.CharField(
                    label=figures.key_label(part, figure), required=False, max_length=20,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "num"}),
                )
                self.initial[name] = (instance.reported or {}).get(part, {}).get(figure)
                exp = explanation_name(part, figure)
                self.fields[exp] = forms.CharField(
                    label=_("%(label)s的差异说明") % {"label": figures.key_label(part, figure)},
                    required=False, max_length=checks.EXPLANATION_MAX,
                )
                self.initial[exp] = (instance.explanations or {}).get(f"reported.{part}.{figure}", "")
        for name in figures.SECTION_FIELDS:
            model_field = AnnualReport._meta.get_field(name)
            label, help_text = model_field.verbose_name, model_field.help_text
            if name in TEXT_FIELDS:
                field = forms.CharField(label=label, required=False, help_text=help_text,
                                        widget=forms.Textarea(attrs={"rows": 3}))
            elif name == "tto_exists":
                field = forms.NullBooleanField(label=label, required=False, widget=forms.NullBooleanSelect)
            else:
                field = forms.CharField(label=label, required=False, max_length=20, help_text=help_text,
                                        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "num"}))
            self.fields[name] = field
            self.initial[name] = getattr(instance, name)

    def clean(self):
        data = super().clean()
        for name in list(self.fields):
            if name.startswith("rep__"):
                _prefix, part, figure = name.split("__")
                self._parse(name, data, integer=figure == "contracts", blank_ok=False)
            elif name in INTEGER_FIELDS:
                self._parse(name, data, integer=True)
            elif name in AMOUNT_FIELDS:
                self._parse(name, data, integer=False)
        return data

    def _parse(self, name, data, *, integer: bool, blank_ok: bool = True):
        raw = self.data.get(self.add_prefix(name)) if self.is_bound else None
        try:
            data[name] = figures.parse_figure(raw, self.fields[name].label, integer=integer, allow_blank=blank_ok)
        except ValidationError as exc:
            label = str(self.fields[name].label) + "："
            self.add_error(name, [m.removeprefix(label) for m in exc.messages])

    def changes(self) -> dict:
        data = self.cleaned_data
        reported, explanations = {}, {}
        for part in figures.PARTS:
            reported[part] = {}
            for figure in figures.FIGURES:
                value = data[figure_name(part, figure)]
                reported[part][figure] = value if figure == "contracts" else figures.money(value)
                text = (data.get(explanation_name(part, figure)) or "").strip()
                if text:
                    explanations[f"reported.{part}.{figure}"] = text
        changes = {"reported": reported, "explanations": explanations}
        for name in figures.SECTION_FIELDS:
            value = data.get(name)
            changes[name] = value if value is not None or name not in TEXT_FIELDS else ""
        return changes

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            exc = ValidationError({key_to_field(k): v for k, v in exc.error_dict.items()})
        super().add_service_error(exc)

    # --- for the template ---------------------------------------------------------------------

    def figure_rows(self):
        """(label, registry value, reported field, explanation field, differs) per part and figure."""
        rows = []
        for part in figures.PARTS:
            for figure in figures.FIGURES:
                registry = (self.instance.registry or {}).get(part, {}).get(figure)
                field = self[figure_name(part, figure)]
                differs = not checks.same_figure(registry, field.value(), figure)
                rows.append((figures.key_label(part, figure), registry, field,
                             self[explanation_name(part, figure)], differs))
        return rows

    def sections(self):
        return [(title, [self[name] for name in names]) for _key, title, names in figures.SECTIONS]


class CycleOpenForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = ReportCycle
    year = forms.IntegerField(label=_("报告年度"), min_value=1985)
    deadline = forms.DateField(label=_("报送截止日期"), required=False, widget=DateInput(),
                               help_text=_("不填则为次年5月31日"))


class ConfirmForm(LabelledErrorsMixin, forms.Form):
    """A one-button act on a report (refresh from the registry): the version read."""

    version = VersionField()
