"""``{% help_link %}``: the page header's link to the help of the current page's area.
``{% change_reason_max_length as limit %}``: the longest reason of an edit, for the help pages that
tell it (``core.history.CHANGE_REASON_MAX_LENGTH``)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core import registry
from core.history import CHANGE_REASON_MAX_LENGTH

register = template.Library()


@register.simple_tag(takes_context=True)
def help_link(context):
    request = context.get("request")
    if request is None:
        return ""
    topic = registry.help_topic_for(request.path)
    if topic is not None and topic.visible(request.user):
        url = reverse("core:help_topic", args=[topic.name])
        title = _("帮助：%(topic)s") % {"topic": topic.title}
    else:
        url, title = reverse("core:help_index"), _("帮助")
    return format_html(
        '<a class="help-link" href="{}" title="{}" data-testid="help-link">{}</a>', url, title, _("帮助")
    )


@register.simple_tag
def change_reason_max_length() -> int:
    return CHANGE_REASON_MAX_LENGTH
