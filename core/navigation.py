"""The base app's registrations (core.registry): the help page of the API, whose foundations
(token authentication, errors, schema) the base app holds."""

from django.utils.translation import gettext_lazy as _

from core.registry import HelpTopic, register

register(HelpTopic("api", _("数据接口（API）"), "core/help/api.html", paths=("/api/",), order=40))
