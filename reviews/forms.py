"""Forms of the review pages: they shape input only; ``reviews.services`` decides."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOTE_MAX = 2000


class ReviewFormMixin:
    """What the generic action pages ask of a form: service errors routed to fields, and every
    error as one line naming its field."""

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, errors)

    @property
    def labelled_error_list(self) -> list[str]:
        messages = list(self.non_field_errors())
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                messages.append(f"{field.label}：{message}")
        return messages


class TransitionForm(ReviewFormMixin, forms.Form):
    """Submit, resubmit, accept: the version read and an optional note."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, label=_("版本"))
    note = forms.CharField(
        label=_("说明"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data=None, *, document=None, **kwargs):
        super().__init__(data, **kwargs)
        self.document = document


class ReturnForm(TransitionForm):
    """A return: a comment box per reviewed field (all optional) and the note; at least one."""

    COMMENT_PREFIX = "comment__"

    def __init__(self, data=None, *, document=None, **kwargs):
        super().__init__(data, document=document, **kwargs)
        self.fields["note"].label = _("退回说明")
        for key, label in document.review_fields():
            self.fields[self.COMMENT_PREFIX + key] = forms.CharField(
                label=label, required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 1})
            )

    def comment_fields(self):
        """(bound field, the document's current value) for each reviewed field."""
        document = self.document
        return [
            (self[name], document.review_value(name.removeprefix(self.COMMENT_PREFIX)))
            for name in self.fields
            if name.startswith(self.COMMENT_PREFIX)
        ]

    def comments(self) -> list[tuple[str, str]]:
        return [
            (name.removeprefix(self.COMMENT_PREFIX), value)
            for name, value in self.cleaned_data.items()
            if name.startswith(self.COMMENT_PREFIX) and value
        ]

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "comments" in exc.error_dict:
            self.add_error(None, exc.error_dict.pop("comments"))
        super().add_service_error(exc)
