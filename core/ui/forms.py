"""Form helpers of the page machinery.

Empty choices: Django writes the empty choice of a select as ``---------`` (model fields with
choices, foreign keys, ``ModelChoiceField``). Every form of the site reads ``请选择`` ("Please
choose") there instead: forms built on ``PleaseChooseMixin`` (the registry's forms, through
``achievements.forms.LabelledErrorsMixin``) or passed to ``please_choose``. Filter forms say
``全部`` ("All") instead, as an empty filter means every record (``core.ui.filters``).
"""

from django import forms
from django.utils.translation import gettext_lazy

EMPTY_LABEL = gettext_lazy("请选择")
DASHES = "---------"


def please_choose(form) -> None:
    """Replace the dashes of every select's empty choice of ``form`` by ``请选择``."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            # None means no empty choice (required with an initial value, or multiple): keep it.
            if field.empty_label is not None:
                field.empty_label = EMPTY_LABEL
            continue
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
            choices = list(field.choices)
            if any(value in ("", None) and str(label) == DASHES for value, label in choices):
                field.choices = [
                    (value, EMPTY_LABEL if value in ("", None) and str(label) == DASHES else label)
                    for value, label in choices
                ]


class PleaseChooseMixin:
    """A form whose selects offer ``请选择`` as their empty choice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        please_choose(self)
