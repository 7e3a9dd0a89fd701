from django import forms
from django.utils.translation import gettext_lazy as _


class EmailPreferencesForm(forms.Form):
    """E-mails at all, and one checkbox per declared event (initial: the user's current choice)."""

    all_events = forms.BooleanField(label=_("接收通知邮件"), required=False)

    def __init__(self, data=None, *, choices: dict):
        super().__init__(data, initial={"all_events": choices["all_events"]})
        self.events = [kind for kind, _wanted in choices["events"]]
        for kind, wanted in choices["events"]:
            self.fields[self.field_name(kind.name)] = forms.BooleanField(
                label=kind.label,
                required=False,
                initial=wanted,
                help_text=_("默认发送") if kind.email else _("默认不发送"),
            )

    @staticmethod
    def field_name(code: str) -> str:
        return f"event_{code}"

    @property
    def event_fields(self):
        return [self[self.field_name(kind.name)] for kind in self.events]

    def event_choices(self) -> dict[str, bool]:
        return {kind.name: self.cleaned_data[self.field_name(kind.name)] for kind in self.events}
