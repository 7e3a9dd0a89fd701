"""The region picker's search endpoint: ``GET /regions/search/?q=大连`` → the options partial.

Signed-in users only (anonymous: the login page); GET and HEAD. The division list is in memory
(``core.regions``), so an answer reads no table beyond the session's own look-ups. ``q`` is a name
(any part of the full name, ``大连``, ``金州``) or the first digits of a code (``2102``); at most
``regions.SEARCH_LIMIT`` options, Liaoning's first. ``within`` (a province or city code) narrows
the search to one division.
"""

from django.shortcuts import render
from django.utils.cache import patch_cache_control

from core import regions

from .views import PageView

MAX_WITHIN = 6


class RegionSearchView(PageView):
    http_method_names = ["get", "head"]
    template_name = "core/ui/_region_options.html"

    def get(self, request):
        query = request.GET.get("q", "")
        within = request.GET.get("within", "")[:MAX_WITHIN]
        if within and not (within.isdigit() and len(within) == MAX_WITHIN):
            within = ""  # not a division code: ignored (the picker never sends one)
        found = regions.search(query, within=within or None)
        response = render(
            request,
            self.template_name,
            {"options": found, "query": query.strip(), "limit": regions.SEARCH_LIMIT},
        )
        # The list changes only with a new release of the package: the browser may keep answers.
        patch_cache_control(response, private=True, max_age=600)
        return response
