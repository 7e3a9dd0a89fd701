from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, filters


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering (``?ordering=-signed_on``; only the viewset's ``ordering_fields``) with the
    primary key as the last tie-breaker, so that pages never repeat or skip records that sort equal.

    An unknown field is a 400 naming ``ordering`` (DRF would silently drop it)."""

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw:
            valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
            terms = [term.strip() for term in raw.split(",")]
            unknown = [term for term in terms if term.removeprefix("-") not in valid]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            _("无效的排序字段：%(fields)s。可用字段：%(valid)s（前加“-”为倒序）。")
                            % {"fields": ", ".join(unknown), "valid": ", ".join(sorted(valid))}
                        ]
                    }
                )
        return super().filter_queryset(request, queryset, view)

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        ordering = list(ordering or queryset.query.order_by or queryset.model._meta.ordering or [])
        if not any(isinstance(term, str) and term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple):
            for parameter in parameters:
                parameter["description"] = "排序字段，逗号分隔，前加“-”为倒序。可用：" + ", ".join(fields)
        return parameters
