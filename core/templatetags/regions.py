"""Division codes shown by name: ``{% region code %}`` → ``<span class="region" title="210213">
辽宁省大连市金州区</span>`` (the code on hover); ``{{ code|region_label }}`` → the name as text.
A code not in the division list is shown as the code itself."""

from django import template
from django.utils.html import format_html

from core import regions

register = template.Library()


@register.simple_tag
def region(code):
    code = (code or "").strip()
    if not code:
        return "—"
    if not regions.is_known(code):
        return format_html('<span class="region mono" title="{}">{}</span>', code, code)
    return format_html('<span class="region" title="{}">{}</span>', code, regions.label(code))


@register.filter
def region_label(code) -> str:
    return regions.label(code)
