"""Forms only shape input; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from achievements.forms import DATE_HELP, LabelledErrorsMixin
from core import params
from core.params import last_year

from .choices import RuleStatus
from .models import Rule
from .parameters import PARAMETERS


class ServiceMessagesMixin:
    """The form of a one-button act (``core.ui.views.ButtonActionView``): the service's refusal
    comes back as messages worded as the service words them, not prefixed with a form field's label
    (the invalid input itself is still named by its field)."""

    def add_service_error(self, exc) -> None:
        self.add_error(None, exc.messages)


def _parameter_choices():
    return [(key, f"{key} · {spec.label}") for key, spec in PARAMETERS.items()]


class ParameterChangeForm(LabelledErrorsMixin, forms.Form):
    """A proposed dated value: previewed (GET) or saved (POST)."""

    key = forms.ChoiceField(label=_("参数"), choices=_parameter_choices)
    value = forms.CharField(
        label=_("新取值"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=_("金额如 2000000.00；比例如 0.05；列表如 [\"transfer\", \"license\"]；"
                    "公式如 {\"kind\": \"percent\", \"base\": \"received\", \"rate\": \"0.05\"}；留空表示取消该条件或上限。"),
    )
    valid_from = forms.DateField(label=_("起始日期"), help_text=_("新取值从这一天起适用；原有取值保留不变。"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class ParameterAddForm(ServiceMessagesMixin, ParameterChangeForm):
    """A dated value saved (POST) from the rule's page."""


class PreviewForm(ParameterChangeForm):
    year = params.YearField(label=_("评审年度"), initial=last_year)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("key", "valid_from"):
            self.fields[name].required = False


class EvaluateForm(LabelledErrorsMixin, forms.Form):
    year = params.YearField(label=_("评审年度"))


class DecideForm(ServiceMessagesMixin, LabelledErrorsMixin, forms.Form):
    award = forms.TypedMultipleChoiceField(label=_("奖补"), coerce=int, choices=())
    decision = forms.ChoiceField(label=_("审批"), choices=[("approve", _("批准")), ("reject", _("不批准"))])
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("award") if hasattr(self.data, "getlist") else []
        self.fields["award"].choices = [(i, i) for i in ids]


class PaidForm(ServiceMessagesMixin, LabelledErrorsMixin, forms.Form):
    paid_on = forms.DateField(label=_("支付日期"), help_text=DATE_HELP)


class PaidImportForm(LabelledErrorsMixin, forms.Form):
    file = forms.FileField(label=_("已支付清单（.xlsx）"), help_text=_("财务导出的表格，填写“支付日期”列后上传。"))


class JustifyForm(ServiceMessagesMixin, LabelledErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    justification = forms.CharField(label=_("未转化理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class ListingDecideForm(ServiceMessagesMixin, LabelledErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("审核"), choices=[("accept", _("接受理由")), ("reject", _("不接受"))])
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(LabelledErrorsMixin, forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["code", "name", "policy", "article", "kind", "subject", "beneficiary_kind", "valid_from",
                  "valid_to", "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class RuleStatusForm(ServiceMessagesMixin, LabelledErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("状态"), choices=RuleStatus.choices)
