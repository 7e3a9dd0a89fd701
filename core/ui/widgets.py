"""Widgets of the page machinery.

``FastSelect`` renders its options in Python instead of one template per option: a filter form
with a hundred units and a few dozen clusters spent most of a list request in Django's option
templates. The HTML is the same as Django's ``Select``.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class DateInput(forms.DateInput):
    """A browser date picker, ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class FastSelect(forms.Select):
    """``forms.Select`` without per-option templates (single choice; option groups flattened)."""

    def _options(self):
        for value, label in self.choices:
            if isinstance(label, (list, tuple)):  # an option group: (group label, [(value, label)…])
                yield from label
            else:
                yield value, label

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        found = False
        options = []
        for option_value, label in self._options():
            text = "" if option_value is None else str(option_value)
            mark = not found and text in selected
            found = found or mark
            options.append((text, " selected" if mark else "", label))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            format_html_join("", '<option value="{}"{}>{}</option>', options),
        )
