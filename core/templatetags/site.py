"""Template helpers of the site layout: the main navigation, drawn from the apps' registrations."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html_join

from core.registry import header_items, nav_items

register = template.Library()


@register.simple_tag(takes_context=True)
def main_nav(context) -> list[dict]:
    """The navigation links the current user may see (``core.registry.NavItem``), in order, each
    with ``current`` set when the page shown is under the link (exact for ``active="="``)."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    path = getattr(request, "path", "")
    links = []
    for item in nav_items(user):
        url = reverse(item.url_name)
        if item.active == "=":
            current = path == url
        else:
            current = path.startswith(item.active or url)
        links.append({"name": item.name, "label": item.label, "url": url, "current": current})
    return links


@register.simple_tag(takes_context=True)
def header_parts(context):
    """The header parts the apps register (``core.registry.HeaderItem``, e.g. the notifications
    bell), each drawn by its template with its ``context(request)`` as ``data``."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    parts = []
    for item in header_items(user):
        data = item.context(request)
        if data is not None:
            parts.append(render_to_string(item.template, {"data": data, "user": user}, request=request))
    return format_html_join("", "{}", ((part,) for part in parts))
