"""Widgets of the page machinery.

``FastSelect`` renders its options in Python instead of one template per option: a filter form
with a hundred units and a few dozen clusters spent most of a list request in Django's option
templates. The HTML is the same as Django's ``Select``.

``RegionPicker`` and ``LookupInput`` are the searchable pickers (docs/registry-pages.md, "Pickers"):
plain inputs that work without JavaScript, which ``static/js/pickers.js`` turns into a search box
with a list of options answered by a search endpoint (htmx partial). They are rendered in Python
too (no widget template), and need htmx and ``js/pickers.js`` on the page (``Media``).
"""

import json

from django import forms
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core import regions

PICKER_MEDIA = forms.Media(
    js=["django_htmx/htmx-2.min.js", "js/pickers.js"], css={"all": ["css/pickers.css"]}
)


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
        # One escape() per value and label and one join (no format_html per option): the unit
        # filter alone has a hundred options on every list request.
        selected = {str(v) for v in self.format_value(value)}
        found = False
        options = []
        for option_value, label in self._options():
            text = "" if option_value is None else str(option_value)
            mark = not found and text in selected
            found = found or mark
            options.append(f'<option value="{escape(text)}"{" selected" if mark else ""}>{escape(label)}</option>')
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(options)),  # noqa: S308 (every part escaped above)
        )


class RegionPicker(forms.TextInput):
    """A division code (GB/T 2260), chosen by name.

    Without JavaScript: a text input of the 6-digit code, the current division's name beside it
    (code on hover). With ``js/pickers.js``: the code input is hidden and a search box shows the
    division's full name; typing asks ``core:region_search`` (``?q=大连``) for options, and picking
    one puts its code in the hidden input, which the form sends as before. The search box has no
    ``name``, so it is never sent with the form (nor added to a filter's URL).
    """

    media = PICKER_MEDIA
    search_url_name = "core:region_search"

    def __init__(self, attrs=None, *, placeholder=None):
        defaults = {"maxlength": "6", "inputmode": "numeric", "autocomplete": "off", "class": "picker-code"}
        super().__init__(attrs={**defaults, **(attrs or {})})
        self.placeholder = placeholder or _("输入地区名称或代码，如 大连")

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        input_id = final.get("id") or f"id_{name}"
        final["id"] = input_id
        code = self.format_value(value) or ""
        known = regions.is_known(code)
        shown = regions.label(code)
        list_id = f"{input_id}_options"
        return format_html(
            '<div class="picker" data-picker="region">'
            '<input type="text" name="{}" value="{}"{}>'
            '<input type="search" id="{}_search" class="picker-search" hidden autocomplete="off"'
            ' role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="{}"'
            ' placeholder="{}" value="{}" data-picker-search data-min-chars="1"'
            ' hx-get="{}" hx-trigger="input changed delay:200ms" hx-target="#{}" hx-sync="this:replace">'
            '<span class="picker-current"{}>{}</span>'
            '<ul class="picker-options" id="{}" role="listbox" hidden></ul>'
            "</div>",
            name,
            code,
            flatatt({k: v for k, v in final.items() if k not in ("name", "value", "type")}),
            input_id,
            list_id,
            self.placeholder,
            shown,
            reverse(self.search_url_name),
            list_id,
            flatatt({"title": code}) if known else "",
            shown if known else "",
            list_id,
        )


class LookupInput(forms.TextInput):
    """A text input that offers existing records as the user types (e.g. the contract form's
    transferee by name or credit code). Without JavaScript it is the plain input; with
    ``js/pickers.js``, from ``min_chars`` characters on, the text is sent as ``q`` to ``url_name``,
    whose options carry ``data-fill`` (form field → value) to fill the form with the record
    picked. Typing on without picking keeps what was typed (a new record)."""

    media = PICKER_MEDIA

    def __init__(self, url_name: str, *, min_chars: int = 2, attrs=None):
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})
        self.url_name = url_name
        self.min_chars = min_chars

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        input_id = final.get("id") or f"id_{name}"
        final["id"] = input_id
        list_id = f"{input_id}_options"
        extra = {
            "role": "combobox",
            "aria-autocomplete": "list",
            "aria-expanded": "false",
            "aria-controls": list_id,
            "data-picker-search": "",
            "data-min-chars": str(self.min_chars),
            "hx-get": reverse(self.url_name),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": f"#{list_id}",
            "hx-sync": "this:replace",
        }
        attributes = {k: v for k, v in final.items() if k not in ("name", "value", "type")}
        return format_html(
            '<div class="picker" data-picker="lookup">'
            '<input type="text" name="{}" value="{}"{}>'
            '<ul class="picker-options" id="{}" role="listbox" hidden></ul>'
            "</div>",
            name,
            self.format_value(value) or "",
            flatatt({**attributes, **extra}),
            list_id,
        )


def fill_attributes(fill: dict, labels: dict | None = None) -> str:
    """The ``data-fill`` (and ``data-fill-labels``: the names of picked region codes) attributes of
    an option of a ``LookupInput``."""
    attrs = {"data-fill": json.dumps(fill, ensure_ascii=False)}
    if labels:
        attrs["data-fill-labels"] = json.dumps(labels, ensure_ascii=False)
    return flatatt(attrs)
