from rest_framework import filters


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering (``?ordering=-signed_on``; only the viewset's ``ordering_fields``) with the
    primary key as the last tie-breaker, so that pages never repeat or skip records that sort equal."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        ordering = list(ordering or queryset.query.order_by or queryset.model._meta.ordering or [])
        if not any(isinstance(term, str) and term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("pk")
        return ordering
