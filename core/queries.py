"""Hints a selector gives the pages about how to read its queryset.

``count_from_keys(qs)``: the list's filter costs about as much for a count as for a page (it must
look at every matching row either way, e.g. the achievements with a contract in a past year read
from that year's contracts), so a list page should read the sorted keys of the whole list once,
up to its count cap, and take both its capped count and its page from them, instead of running
the filter twice (``core.ui.views.ListView``). The hint travels with the query: Django copies a
query's attributes whenever a queryset is filtered, sorted or sliced further.
"""

from django.db.models import QuerySet

_HINT = "count_from_keys"


def count_from_keys(qs: QuerySet) -> QuerySet:
    qs = qs.all()
    setattr(qs.query, _HINT, True)
    return qs


def counts_from_keys(qs) -> bool:
    return bool(getattr(getattr(qs, "query", None), _HINT, False))
