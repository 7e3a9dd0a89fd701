"""Forms of the pilot pages: they shape input; the views write through ``pilots.services``."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from achievements.forms import LabelledErrorsMixin, VersionField, reason_field
from achievements.models import Achievement, Cluster, Unit
from core.params import MAX_ID
from core.ui.widgets import DateInput

from . import policies
from .choices import BaseStatus, Outcome
from .models import (
    BaseFund,
    BaseRating,
    PerformanceReport,
    PilotBase,
    PilotRequest,
    PilotService,
    Rubric,
    validate_year,
)

CONFIRM_LABEL = _("确认数值无误（场地面积超过1,000,000平方米或专职人员超过10,000人时必须勾选）")


class PilotBaseForm(LabelledErrorsMixin, forms.ModelForm):
    """Create or edit a base. The operator's form holds only the fields the operator may change."""

    version = VersionField(required=False)
    confirm_large = forms.BooleanField(label=CONFIRM_LABEL, required=False)

    class Meta:
        model = PilotBase
        fields = [
            "code",
            "name",
            "operator",
            "city",
            "clusters",
            "designated_year",
            "site_area_m2",
            "equipment_count",
            "staff_count",
            "services",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        widgets = {"clusters": forms.CheckboxSelectMultiple, "services": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not policies.can_manage_register(user):
            for name in list(self.fields):
                if name not in policies.OPERATOR_FIELDS and name not in ("version", "confirm_large"):
                    del self.fields[name]
        if "operator" in self.fields:
            self.fields["operator"].queryset = Unit.objects.order_by("name")
        if "clusters" in self.fields:
            self.fields["clusters"].queryset = Cluster.objects.filter(is_active=True).order_by("code")
        self.fields["services"].queryset = PilotService.objects.filter(is_active=True)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def _post_clean(self):
        # The service validates the whole record (with the confirmation); the form only shapes.
        pass

    def service_fields(self) -> dict:
        data = {
            name: self.cleaned_data[name] for name in self.fields if name not in ("version", "confirm_large")
        }
        data["confirmed_large"] = self.cleaned_data.get("confirm_large", False)
        return data


class BaseStatusForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = PilotBase
    version = VersionField()
    status = forms.ChoiceField(label=_("新状态"), choices=BaseStatus.choices)
    effective_on = forms.DateField(label=_("生效日期"), widget=DateInput())
    reason = reason_field(_("原因"), _("必填，将记入状态记录。"))


class FundForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = BaseFund
    year = forms.IntegerField(label=_("年度"), validators=[validate_year])
    amount = forms.DecimalField(label=_("省级资金（元）"), max_digits=14, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class RatingForm(LabelledErrorsMixin, forms.Form):
    """The department's rating of a base for a year (read by the rubric's management and
    reputation indicators)."""

    model_for_labels = BaseRating
    year = forms.IntegerField(label=_("年度"), validators=[validate_year])
    management = forms.DecimalField(label=_("运行管理评分"), min_value=0, max_value=100, decimal_places=2)
    reputation = forms.DecimalField(label=_("社会声誉评分"), min_value=0, max_value=100, decimal_places=2)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ReportForm(LabelledErrorsMixin, forms.ModelForm):
    achievements = forms.CharField(
        label=_("库中的中试成果"),
        required=False,
        help_text=_("成果在库中的编号（ID），以逗号分隔；不在库中的成果只计入数量"),
    )

    class Meta:
        model = PerformanceReport
        fields = ["year", *PerformanceReport.FIGURE_FIELDS]

    version = VersionField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["year"]
            self.fields["version"].initial = self.instance.version
            self.fields["achievements"].initial = ",".join(
                str(a.pk) for a in self.instance.achievements.all()
            )

    def _post_clean(self):
        pass

    def clean_achievements(self):
        raw = (self.cleaned_data.get("achievements") or "").replace("，", ",")
        ids = []
        for part in filter(None, (p.strip() for p in raw.split(","))):
            # ASCII digits within a database key ("²" is a digit to isdigit, and a number of more
            # than 4300 digits or above 2**63 - 1 fails in int() or in the query)
            if not (part.isascii() and part.isdigit() and len(part) <= 19 and int(part) <= MAX_ID):
                raise forms.ValidationError(_("“%(value)s”不是成果编号（ID）。") % {"value": part[:50]})
            ids.append(int(part))
        found = list(Achievement.objects.filter(pk__in=ids))
        missing = sorted(set(ids) - {a.pk for a in found})
        if missing:
            raise forms.ValidationError(
                _("库中没有这些成果：%(ids)s") % {"ids": ", ".join(map(str, missing))}
            )
        return found

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}


class RequestForm(LabelledErrorsMixin, forms.ModelForm):
    class Meta:
        model = PilotRequest
        fields = ["achievement", "service", "description", "enterprise"]
        widgets = {"achievement": forms.NumberInput, "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = Achievement.objects.for_user(user)
        self.fields["achievement"].help_text = _("成果在库中的编号（ID），见成果页面地址")
        self.fields["service"].queryset = PilotService.objects.filter(is_active=True)
        if not policies.can_manage_register(user):
            del self.fields["enterprise"]

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class DeclineForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = PilotRequest
    version = VersionField()
    reason = reason_field(_("拒绝原因"), _("必填，将通知申请方。"))


class StartForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = PilotRequest
    version = VersionField()
    started_on = forms.DateField(label=_("开始日期"), widget=DateInput(), initial=timezone.localdate)


class CompleteForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = PilotRequest
    version = VersionField()
    completed_on = forms.DateField(label=_("完成日期"), widget=DateInput(), initial=timezone.localdate)
    outcome = forms.ChoiceField(label=_("中试结果"), choices=[("", "")] + list(Outcome.choices))
    note = forms.CharField(label=_("结果说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    trl_after = forms.TypedChoiceField(
        label=_("中试后技术成熟度"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("不变"))] + [(n, str(n)) for n in range(1, 10)],
        help_text=_("中试成功或部分达到目标时，可提高成果的技术成熟度（写入成果库并记入修改记录）"),
    )


class VersionForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = PilotRequest
    version = VersionField()


class SendForm(VersionForm):
    base = forms.ModelChoiceField(label=_("中试基地"), queryset=PilotBase.objects.all())


class RubricForm(LabelledErrorsMixin, forms.ModelForm):
    version = VersionField(required=False)

    class Meta:
        model = Rubric
        fields = ["title", "reference", "top_share", "excellent_min", "good_min", "pass_min"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class BandsForm(LabelledErrorsMixin, forms.Form):
    """An indicator's range table as text: one row per line, ``下限: 得分``."""

    version = VersionField()
    weight = forms.DecimalField(label=_("分值"), max_digits=5, decimal_places=2, min_value=0)
    bands = forms.CharField(
        label=_("分档"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一档：下限（含）: 得分，例如“10: 8”；低于第一档得0分"),
    )

    def clean_bands(self):
        rows = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), start=1):
            line = line.strip().replace("：", ":")
            if not line:
                continue
            try:
                lower, points = (Decimal(part.strip()) for part in line.split(":"))
                if not (lower.is_finite() and points.is_finite()):
                    raise ValueError(line)
                rows.append((lower, points))
            except (ValueError, ArithmeticError) as exc:
                raise forms.ValidationError(
                    _("第%(n)s行应为“下限: 得分”，例如“10: 8”。") % {"n": number}
                ) from exc
        return rows


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), validators=[validate_year])


def default_year() -> int:
    return timezone.localdate().year - 1
