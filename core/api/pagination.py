from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 50, at most 500).

    Strict: a page that is not a whole number from 1 up to the last page, or a page size outside
    1..500, is a 400 naming the parameter (DRF would answer 404, or fall back to the default size)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("每页条数应为1至%(max)s之间的整数。") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_page_number(self, request, paginator):
        self._paginator = paginator
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return paginator.num_pages
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise exceptions.ValidationError({self.page_query_param: [_("页码应为从1开始的整数。")]})
        return number

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            if not isinstance(exc.__cause__ or exc.__context__, InvalidPage):
                raise
            raise exceptions.ValidationError(
                {
                    self.page_query_param: [
                        _("页码超出范围：共%(pages)s页。") % {"pages": self._paginator.num_pages}
                    ]
                }
            ) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
