from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

ALLOWED_SUFFIXES = (".xlsx", ".zip")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("导入文件"),
        help_text=_(
            "交换格式 v1：.xlsx 工作簿，或包含 units.csv、achievements.csv、transformations.csv 的 .zip 压缩包。"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件过大（%(size)s），上限为 %(limit)s。"),
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(
                _("不支持的文件类型：请上传 .xlsx 工作簿，或包含三个 CSV 文件的 .zip 压缩包。"),
                code="file_type",
            )
        return upload
