"""Template helpers of the site layout: the main navigation, drawn from the apps' registrations."""

from django import template
from django.urls import reverse

from core.registry import nav_items

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
