"""Content negotiation: an unknown ``?format=`` is a 400 naming the parameter (DRF answers 404)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            param = self.settings.URL_FORMAT_OVERRIDE
            if format_suffix or not param or not request.query_params.get(param):
                raise
            formats = ", ".join(dict.fromkeys(r.format for r in renderers if r.format != "api"))
            raise exceptions.ValidationError(
                {param: [_("导出格式应为以下之一：%(formats)s。") % {"formats": formats}]}
            ) from None
