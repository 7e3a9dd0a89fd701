"""Forms of the registry pages. They validate input; the views write through ``services``.

Every error a user sees names its field in Chinese (``成果名称：这个字段是必填项。``): the
``LabelledErrorsMixin`` prefixes each field error with the field's label, and errors raised by a
service (``ValidationError`` keyed by model field) are attached to the form field, or named with the
model field's label when the form has no such field.
"""

import datetime

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _

from core.history import with_change_reason_limit
from core.ui.forms import PleaseChooseMixin
from core.ui.widgets import DateInput, LookupInput, RegionPicker
from core.validators import (
    normalize_credit_code,
    normalize_patent_no,
    validate_credit_code,
    validate_region_code,
)

from .models import (
    DUPLICATE_PATENT,
    Achievement,
    Cluster,
    Transferee,
    Transformation,
    Unit,
    patent_clashes,
    patent_holders,
)
from .services import CHANGE_REASON_MAX_LENGTH

LABEL_SEPARATOR = "："

# Help texts of the fields that have a format (dates, amounts, codes, numbers): one wording per
# format, used by every form of the registry and the admin (docs/help.md).
DATE_HELP = _("格式：年-月-日，例如 2024-05-12；应在1985-01-01至今天之间。")
AMOUNT_HELP = _("单位：元（不是万元），最多两位小数，例如 1500000.00 表示150万元。")
CREDIT_CODE_HELP = _("18位统一社会信用代码（数字和大写字母），例如 91210200MA0QC1XX3G；空格和小写字母会自动整理。")
REGION_HELP = _("按名称或6位行政区划代码（GB/T 2260）查找，例如 210200 大连市。")
FORMAT_HELP_TEXTS = {
    "ref": _("本单位内唯一的成果编号，例如 CG20230158。"),
    "contract_ref": _("本单位内唯一的合同编号，例如 HT20230012。"),
    "patent_no": _(
        "专利类成果必填：12位数字加“.”和1位校验位，例如 201310699744.2（2003年以前为8位）；"
        "可带 ZL/CN 前缀，保存时自动去掉。同一单位内不能重复。"
    ),
    "trl": _("技术成熟度等级1—9：1 基本原理，4 实验室验证，6 相关环境中的样机验证，9 实际应用。"),
    "registered_on": DATE_HELP,
    "ip_granted_on": _("格式：年-月-日；不能早于1985年4月1日（专利法施行日），不能晚于今天。"),
    "withdrawn_on": DATE_HELP,
    "signed_on": DATE_HELP,
    "amount": AMOUNT_HELP,
    "received": _("单位：元，最多两位小数；不能大于合同金额。尚未到账可留空。"),
    "registration_no": _("技术合同认定登记的16位数字登记号；尚未登记可留空。"),
    "code": CREDIT_CODE_HELP,
    "region": REGION_HELP,
    "keywords": _("以逗号或空格分隔，例如 铝合金, 热处理"),
}


def other_units_message(others, *, detailed: bool) -> str:
    """The warning for a patent number other units hold (pages; the API and the import say the
    same in their own words)."""
    if detailed:
        records = "；".join(f"{h.ref}“{h.title}”" for h in others[:5])
        return _("其他单位已登记相同专利号的成果（%(records)s）。如为共有专利，请勾选下方的确认后再保存。") % {
            "records": records
        }
    return _("其他单位已登记相同专利号的成果（%(n)d 条）。如为共有专利，请勾选下方的确认后再保存。") % {
        "n": len(others)
    }


def change_reason_field():
    """The optional reason of an edit (修改原因), kept in the record's history after 修改."""
    return forms.CharField(
        label=_("修改原因"),
        required=False,
        max_length=CHANGE_REASON_MAX_LENGTH,
        strip=True,
        help_text=with_change_reason_limit(
            _(
                "选填，最多 %(limit)s 个字，例如“更正专利号录入错误”；记入修改记录，显示在记录页面的修改记录中。"
            )
        ),
    )


def _named(label, message) -> str:
    label, message = str(label), str(message)
    return message if message.startswith(label + LABEL_SEPARATOR) else f"{label}{LABEL_SEPARATOR}{message}"


class LabelledErrorsMixin(PleaseChooseMixin):
    """Prefix every field error with the field's label, and route service errors to fields.
    (Selects offer ``请选择`` as their empty choice: ``core.ui.forms``.)"""

    model_for_labels = None

    def full_clean(self):
        super().full_clean()
        self._label_errors()

    def add_error(self, field, error):
        super().add_error(field, error)
        if hasattr(self, "cleaned_data"):
            self._label_errors()

    def _label_errors(self):
        for name, errors in list(self._errors.items()):
            if name == forms.forms.NON_FIELD_ERRORS or name not in self.fields:
                continue
            label = self.fields[name].label or name
            self._errors[name] = self.error_class(
                [_named(label, message) for message in errors], renderer=self.renderer
            )

    def _model_label(self, name):
        model = self.model_for_labels or getattr(getattr(self, "_meta", None), "model", None)
        if model is not None:
            try:
                return model._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                pass
        return None

    def _update_errors(self, errors):
        """Model validation may name fields the form does not have (e.g. ``withdrawn_on``): keep
        those as form-wide errors that name the field, instead of failing."""
        if hasattr(errors, "error_dict"):
            remapped = {}
            for name, messages in errors.error_dict.items():
                if name == forms.forms.NON_FIELD_ERRORS or name in self.fields:
                    remapped.setdefault(name, []).extend(messages)
                    continue
                label = self._model_label(name)
                for message in ValidationError(messages).messages:
                    remapped.setdefault(forms.forms.NON_FIELD_ERRORS, []).append(
                        ValidationError(_named(label, message) if label else message)
                    )
            errors = ValidationError(remapped)
        super()._update_errors(errors)

    def add_service_error(self, exc: ValidationError) -> None:
        """Attach a ``ValidationError`` raised by a service to the matching fields."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.message_dict.items():
            if name in self.fields:
                self.add_error(name, errors)
                continue
            label = self._model_label(name) if name != forms.forms.NON_FIELD_ERRORS else None
            for message in errors:
                self.add_error(None, _named(label, message) if label else message)

    @property
    def labelled_error_list(self) -> list[str]:
        """All errors, each naming its field, for the summary at the top of a form."""
        messages = list(self.non_field_errors())
        for name in self.fields:
            if name in self._errors:
                messages.extend(self._errors[name])
        return messages


class VersionField(forms.IntegerField):
    """The version of the record the user read (optimistic locking)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, label=_("版本"), **kwargs)


class AchievementForm(LabelledErrorsMixin, forms.ModelForm):
    """Create or edit an achievement. Unit users get no unit field (their own unit is fixed) and
    no "convertible" field (the department keeps that list).

    Duplicate patent numbers (``models.patent_clashes``): the same number in the unit is the
    model's error, and the form keeps the record it names (``duplicate_of``) for a link; a number
    other units have registered (a co-owned patent) is accepted once the user ticks
    ``confirm_duplicate``, which the form shows with the records (``other_holders``) only then."""

    version = VersionField(required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("确认登记：该专利为共有专利，其他单位已登记的是同一专利"),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Achievement
        fields = [
            "unit",
            "ref",
            "title",
            "keywords",
            "ip_type",
            "patent_no",
            "trl",
            "cluster",
            "funded",
            "registered_on",
            "ip_granted_on",
            "convertible",
        ]
        widgets = {"registered_on": DateInput(), "ip_granted_on": DateInput()}
        help_texts = {
            name: text
            for name, text in FORMAT_HELP_TEXTS.items()
            if name in ("ref", "patent_no", "trl", "registered_on", "ip_granted_on", "keywords")
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.is_edit = self.instance.pk is not None
        self.duplicate_of = None  # the same unit's record with this patent number (model error)
        self.other_holders = []  # other units' records with it (confirmation asked)
        if self.is_edit:
            self.fields["change_reason"] = change_reason_field()
        if not user.is_staff:
            del self.fields["unit"]
            del self.fields["convertible"]
            self.instance.unit_id = user.unit_id
        else:
            self.fields["unit"].queryset = Unit.objects.order_by("name")
        self.fields["cluster"].queryset = Cluster.objects.filter(is_active=True).order_by("code")
        if self.is_edit:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def clean(self):
        cleaned = super().clean()
        unit = cleaned.get("unit") if "unit" in self.fields else self.user.unit
        ref = cleaned.get("ref")
        if unit is not None and ref:
            clash = Achievement.objects.filter(unit=unit, ref=ref).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("ref", _("本单位已有相同成果编号的成果。"))
        self._check_other_units(unit, cleaned)
        return cleaned

    def _check_other_units(self, unit, cleaned) -> None:
        """Ask for confirmation when the patent number is new to this record and other units
        already hold it (the same unit's clash is the model's error)."""
        number = normalize_patent_no(cleaned.get("patent_no") or "")
        if unit is None or not number or "patent_no" in self._errors:
            return
        if self.is_edit and number == self.instance.patent_no:
            return
        same, others = patent_clashes(
            pk=self.instance.pk,
            unit_id=unit.pk,
            patent_no=number,
            status=self.instance.status,
            holders=patent_holders([number]),
        )
        self.other_holders = others
        if same or not others or cleaned.get("confirm_duplicate"):
            return
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
        # A unit user may not see other units' records: they learn how many, staff which ones.
        self.add_error(None, other_units_message(others, detailed=self.user.is_staff))

    def _update_errors(self, errors):
        for error in getattr(errors, "error_dict", {}).get("patent_no", []):
            if getattr(error, "code", None) == DUPLICATE_PATENT:
                self.duplicate_of = error.params
        super()._update_errors(errors)

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}
        if "unit" not in self.fields:
            data["unit"] = self.user.unit
        return data


def reason_field(label, help_text):
    """A required reason, kept in the record's history (withdraw, cancel, merge)."""
    return forms.CharField(
        label=label,
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class WithdrawForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = Achievement
    withdrawn_on = forms.DateField(label=_("撤回日期"), widget=DateInput(), help_text=DATE_HELP)
    reason = reason_field(_("撤回原因"), _("必填，将记入修改记录并显示在成果页面上。"))
    version = VersionField()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("withdrawn_on", datetime.date.today())
        super().__init__(*args, **kwargs)


class VersionOnlyForm(LabelledErrorsMixin, forms.Form):
    model_for_labels = Achievement
    version = VersionField()


class CancelForm(VersionOnlyForm):
    model_for_labels = Transformation
    reason = reason_field(_("解除原因"), _("必填，将记入修改记录并显示在合同页面上。"))


class ConvertibleForm(VersionOnlyForm):
    convertible = forms.TypedChoiceField(
        label=_("可转化"),
        choices=[("1", _("是")), ("0", _("否"))],
        coerce=lambda value: value == "1",
    )


class MergeForm(LabelledErrorsMixin, forms.Form):
    """Merge a duplicate of the same unit into the record kept (the one whose page this is)."""

    model_for_labels = Achievement
    duplicate = forms.ModelChoiceField(
        label=_("重复记录"),
        queryset=Achievement.objects.none(),
        help_text=_("同一单位的另一条成果；其转化合同将转到本成果，重复记录本身被撤回并标明合并至本成果。"),
    )
    reason = reason_field(_("合并原因"), _("必填，将记入两条记录的修改记录。"))

    def __init__(self, *args, keep: Achievement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = (
            Achievement.objects.active().filter(unit_id=keep.unit_id).exclude(pk=keep.pk).order_by("ref")
        )
        self.fields["duplicate"].label_from_instance = lambda a: f"{a.ref} · {a.title}"


class TransformationForm(LabelledErrorsMixin, forms.ModelForm):
    """Create or edit a contract of one achievement. The transferee is given by credit code, name
    and region: linked, created or brought up to date (``transferee_upsert``, which applies the
    shared-master-data rule). Name and region may be left blank to link a transferee already in
    the registry as it is.

    Pickers (docs/registry-pages.md): typing two characters of a name or credit code offers the
    existing transferees the user may see (``transferee_search``); picking one fills the three
    fields. The region is chosen by name (``RegionPicker``)."""

    transferee_code = forms.CharField(
        label=_("受让方统一社会信用代码"),
        max_length=40,
        validators=[validate_credit_code],
        widget=LookupInput("achievements:transferee_search"),
        help_text=_(
            "18位统一社会信用代码，例如 91210200MA0QC1XX3G；输入至少2位可从库中已有的受让方中选择。"
        ),
    )
    transferee_name = forms.CharField(
        label=_("受让方名称"),
        max_length=200,
        required=False,
        widget=LookupInput("achievements:transferee_search"),
        help_text=_(
            "输入至少2个字可从库中已有的受让方中选择；库中没有时请填写名称、信用代码和地区，保存时新建。"
            "受让方已在库中时可留空（沿用库中登记的名称）。"
        ),
    )
    transferee_region = forms.CharField(
        label=_("受让方地区"),
        max_length=6,
        required=False,
        validators=[validate_region_code],
        widget=RegionPicker(),
        help_text=_(
            "按名称或6位行政区划代码（GB/T 2260）查找；辽宁省内即为本地转化。受让方已在库中时可留空。"
        ),
    )
    version = VersionField(required=False)

    class Meta:
        model = Transformation
        fields = ["ref", "mode", "signed_on", "amount", "received", "registration_no"]
        widgets = {"signed_on": DateInput()}
        help_texts = {
            "ref": FORMAT_HELP_TEXTS["contract_ref"],
            **{name: FORMAT_HELP_TEXTS[name] for name in ("signed_on", "amount", "received", "registration_no")},
        }

    field_order = [
        "ref",
        "mode",
        "transferee_code",
        "transferee_name",
        "transferee_region",
        "signed_on",
        "amount",
        "received",
        "registration_no",
    ]

    def __init__(self, *args, achievement: Achievement, **kwargs):
        super().__init__(*args, **kwargs)
        self.achievement = achievement
        self.instance.achievement = achievement
        self.instance.unit_id = achievement.unit_id
        self.is_edit = self.instance.pk is not None
        if self.is_edit:
            transferee = self.instance.transferee
            self.initial.setdefault("transferee_code", transferee.code)
            self.initial.setdefault("transferee_name", transferee.name)
            self.initial.setdefault("transferee_region", transferee.region)
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
            self.fields["change_reason"] = change_reason_field()
        else:
            del self.fields["version"]

    def clean_transferee_code(self):
        return normalize_credit_code(self.cleaned_data["transferee_code"])

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("transferee_code")
        if code is None or not Transferee.objects.filter(code=code).exists():
            # A new transferee needs its name and region; an existing one may be linked by code alone.
            for name in ("transferee_name", "transferee_region"):
                if name not in self._errors and not (cleaned.get(name) or "").strip():
                    self.add_error(name, self.fields[name].error_messages["required"])
        ref = cleaned.get("ref")
        if ref:
            clash = Transformation.objects.filter(unit_id=self.achievement.unit_id, ref=ref).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                self.add_error("ref", _("本单位已有相同合同编号的转化合同。"))
        return cleaned

    def transferee_fields(self) -> dict:
        return {
            "code": self.cleaned_data["transferee_code"],
            "name": self.cleaned_data["transferee_name"].strip(),
            "region": self.cleaned_data["transferee_region"],
        }

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
