"""Generic page views: a list (filters, sort, pagination, htmx partial, Excel/CSV export), a
detail page (with its change history), an edit form that saves through a service, and an action
(one button, or a confirmation page with a required reason) that acts through a service.

A page declares its model through ``get_queryset`` (a selector, scoped to the user), a FilterSet,
a ``Table`` and a service call; permission is asked of the app's policy module through two hooks:
``allowed(user)`` before anything is looked up (403 early, e.g. a staff-only act) and
``object_allowed(user, obj)`` once the record is found (records outside the user's scope are 404
because the selector does not return them). Order of the answers: not signed in → login page;
``allowed`` refused → 403; method not taken → 405; record not visible → 404; ``object_allowed``
refused → 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View

from core.exceptions import StaleVersionError
from core.queries import counts_from_keys

from . import export, filters
from .history import history_entries


class ReversedRows:
    """A page's rows read in the reverse order (``ListView.seek_rows``): ``values_list`` gives the
    keys from the end, which ``page_records`` reverses."""

    def __init__(self, queryset):
        self.queryset = queryset

    def values_list(self, *fields, **kwargs):
        return self.queryset.values_list(*fields, **kwargs)


class PageView(LoginRequiredMixin, View):
    """Signed-in users only; then the view-level policy, then the method."""

    denied_message: Any = None

    def allowed(self, user) -> bool:
        """The policy for the act itself, before any record is looked up (403)."""
        return True

    def object_allowed(self, user, obj) -> bool:
        """The policy for this record (403); records outside the user's scope are already 404."""
        return True

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.allowed(request.user):
            raise PermissionDenied(self.denied_message)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        """The records this user may see: a selector scoped to ``self.request.user``."""
        raise NotImplementedError

    def get_object(self):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if not self.object_allowed(self.request.user, obj):
            raise PermissionDenied(self.denied_message)
        return obj


# --- list ------------------------------------------------------------------------------------


class ListView(PageView):
    """A filtered, sorted, paginated list; an htmx request gets only the results partial, and with
    ``export_format`` (``xlsx`` / ``csv``, set in the URLconf) the whole filtered list is a download.

    Parameters: the FilterSet's, ``sort`` (the table's whitelist), ``per_page`` (one of
    ``page_sizes``) and ``page`` (a number or ``last``). An invalid parameter is named on the page
    (400; 200 for htmx so the message replaces the table) and no row is shown; an export answers 400.
    """

    http_method_names = ["get", "head"]
    filterset_class = None
    table_class = None
    template_name = "core/ui/list.html"
    partial_template_name = "core/ui/_results.html"
    search_fields: tuple[str, ...] = ("q",)
    filter_fields: tuple[str, ...] = ()  # the filters the form shows, in order
    page_sizes: tuple[int, ...] = (10, 25, 50, 100)
    default_page_size = 25
    page_size_param = "per_page"
    count_param = "count"  # ?count=exact: count beyond the cap
    export_format: str | None = None
    export_name = ""  # file name stem of the exports
    export_url_names: dict[str, str] = {}  # format → URL name of this list's exports
    title: Any = ""
    search_placeholder: Any = ""

    # --- hooks ----------------------------------------------------------------------------

    def tidy_filter_form(self, form) -> None:
        filters.tidy_filter_form(form)

    def hidden_filter_fields(self) -> set[str]:
        """Filters not shown to this user (they still apply when given in the URL)."""
        return set()

    def get_totals(self, rows) -> dict | None:
        """Aggregates over the filtered rows (e.g. sums); a ``count`` in them spares the list its
        own count query. ``rows`` is unordered and, unless the exact count was asked for, limited to
        ``count_cap + 1`` rows (aggregate it, do not reorder or slice it): when the count then
        exceeds the cap, the sums are partial and the page does not show them."""
        return None

    def count_limit(self) -> int:
        """The capped count (docs/registry-pages.md, "Counts"): a list counts at most this many
        rows unless the exact count is asked for (``?count=exact``, the last page, a page past the
        cap); 0 counts every list exactly. ``settings.LIST_COUNT_CAP`` (50,000 by default)."""
        return settings.LIST_COUNT_CAP

    def count_rows(self, rows, *, exact: bool) -> tuple[dict, bool]:
        """The list's totals (``get_totals``, always with ``count``) and whether they are exact.

        Without ``exact`` the rows are counted (and summed) up to the cap plus one, in one query
        (``SELECT COUNT(*), SUM(…) FROM (SELECT … LIMIT cap + 1)``): a province-wide list of a
        million records no longer reads every matching row on each page. Beyond the cap the answer
        is ``{"count": cap}`` and not exact, and the page says “超过 cap 条” with a link that
        counts exactly."""
        cap = 0 if exact else self.count_limit()
        subject = rows.order_by()[: cap + 1] if cap else rows.order_by()
        totals = dict(self.get_totals(subject) or {})
        if totals.get("count") is None:
            totals["count"] = subject.count()
        if cap and totals["count"] > cap:
            return {"count": cap}, False
        return totals, True

    def exact_count_wanted(self, number, size: int) -> bool:
        """``?count=exact``, the last page, or a page past the capped count."""
        if self.request.GET.get(self.count_param) == "exact" or number == "last":
            return True
        cap = self.count_limit()
        try:
            return bool(cap) and (int(number) - 1) * size >= cap
        except (TypeError, ValueError):
            return False

    def prepare_page(self, records):
        """The records of the page, before rendering (e.g. one query marking a property)."""
        return records

    def get_context_data(self, **context) -> dict:
        return context

    @staticmethod
    def seek_rows(ordered, page, exact: bool):
        """The page's slice of the sorted rows; a page in the second half of an exactly counted list
        is read from the end in the reverse order (the sort always ends with the primary key, so the
        reverse order is exact), and ``page_records`` turns it back: the last page of a million
        records skips a handful of rows instead of a million."""
        count = page.paginator.count
        bottom = (page.number - 1) * page.paginator.per_page
        top = min(bottom + page.paginator.per_page, count)
        if not exact or bottom <= count // 2 or top <= bottom:
            return page.object_list
        return ReversedRows(ordered.reverse()[count - top : count - bottom])

    def keys_up_to_cap(self, ordered, *, exact: bool) -> list | None:
        """The sorted keys of the whole list, at most the cap plus one, when its selector asks for
        one pass (``core.queries.count_from_keys``: a filter that costs as much for the count as for
        the page) and the count is capped and has no totals; else ``None`` (two queries: the capped
        count, then the page's keys)."""
        cap = self.count_limit()
        if exact or not cap or not counts_from_keys(ordered):
            return None
        if type(self).get_totals is not ListView.get_totals:
            return None
        return list(ordered.values_list("pk", flat=True)[: cap + 1])

    def records_by_keys(self, keys: list) -> list:
        """The records of ``keys``, in that order, with their related rows."""
        if not keys:
            return []
        records = self.get_queryset().filter(pk__in=keys).order_by().in_bulk()
        return [records[key] for key in keys if key in records]

    def page_records(self, rows) -> list:
        """The records of one page, in two steps: the primary keys of the page (filtered and sorted
        with only the joins that the filters and the sort need), then those records with their
        related rows (``get_queryset``'s ``select_related``). Sorting a whole list thus sorts
        narrow rows instead of the join of every related table; on SQLite with the demo data the
        contract list by ``mode`` went from 1.1 s to tens of milliseconds."""
        keys = list(rows.values_list("pk", flat=True))
        if isinstance(rows, ReversedRows):
            keys.reverse()
        return self.records_by_keys(keys)

    # --- the request ----------------------------------------------------------------------

    def page_size(self) -> int:
        try:
            size = int(self.request.GET.get(self.page_size_param, self.default_page_size))
        except ValueError:
            return self.default_page_size
        return size if size in self.page_sizes else self.default_page_size

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET or None, queryset=self.get_queryset(), request=request)
        form = filterset.form
        self.tidy_filter_form(form)
        errors = filters.parameter_errors(
            filterset,
            request.GET,
            sorts=self.table_class.sorts(),
            page_sizes=self.page_sizes,
            page_size_param=self.page_size_param,
        )
        rows = filterset.qs.none() if errors else filterset.qs
        ordered, sort = self.table_class.order(rows, request.GET.get("sort", ""))
        if self.export_format:
            return self.export(ordered, errors)
        number = request.GET.get("page")
        size = self.page_size()
        exact_wanted = self.exact_count_wanted(number, size)
        keys = self.keys_up_to_cap(ordered, exact=exact_wanted)
        if keys is None:
            totals, exact = self.count_rows(rows, exact=exact_wanted)
        else:
            exact = len(keys) <= self.count_limit()
            totals = {"count": len(keys) if exact else self.count_limit()}
        paginator = Paginator(ordered, size)
        # Capped: more rows than the cap exist, so every page up to the cap is full and has a next
        # one (a page past the cap counts exactly).
        paginator.count = totals["count"] if exact else totals["count"] + size
        page = paginator.get_page(paginator.num_pages if number == "last" else number)
        if keys is None:
            records = self.page_records(self.seek_rows(ordered, page, exact))
        else:
            bottom = (page.number - 1) * size
            records = self.records_by_keys(keys[bottom : bottom + size])
        page.object_list = self.prepare_page(records)
        table = self.table_class(request, sort=sort, records=page.object_list)
        hidden = self.hidden_filter_fields()
        shown = (*self.search_fields, *self.filter_fields)
        context = self.get_context_data(
            view=self,
            filterset=filterset,
            filter_errors=errors,
            form=form,
            primary_fields=filters.shown_fields(form, self.search_fields),
            filter_fields=filters.shown_fields(form, self.filter_fields, hidden),
            extra_filters=filters.extra_filters(form, shown),
            table=table,
            page_obj=page,
            # A capped count knows no last page: no page numbers at the far end.
            page_range=paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1 if exact else 0),
            sort=sort,
            per_page=paginator.per_page,
            page_sizes=self.page_sizes,
            totals=totals if exact else None,
            count_capped=not exact,
            count_cap=None if exact else totals["count"],
            export_urls=[(fmt, reverse(name)) for fmt, name in self.export_url_names.items()],
            list_title=self.title,
            search_placeholder=self.search_placeholder,
        )
        if request.htmx and not request.htmx.history_restore_request:
            response = render(request, self.partial_template_name, context)
        else:
            response = render(request, self.template_name, context)
            if errors:
                response.status_code = 400
        patch_vary_headers(response, ("HX-Request",))
        return response

    def export(self, queryset, errors):
        if errors:
            listed = "; ".join(f"{name}: {' '.join(map(str, messages_))}" for name, _l, messages_ in errors)
            return HttpResponseBadRequest(
                _("筛选条件无效：%(errors)s") % {"errors": listed}, content_type="text/plain; charset=utf-8"
            )
        return export.export_response(
            queryset,
            self.table_class,
            fmt=self.export_format,
            name=self.export_name or str(self.title),
            sheet_title=str(self.title),
        )


# --- detail ----------------------------------------------------------------------------------


class DetailView(PageView):
    """A record's page with its change history (``history`` in the context, newest first)."""

    http_method_names = ["get", "head"]
    template_name = ""
    context_object_name = "object"
    show_history = True

    def get_context_data(self, obj, context: dict) -> dict:
        return context

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        context = {"object": obj, self.context_object_name: obj}
        if self.show_history:
            context["history"] = history_entries(obj)
        context = self.get_context_data(obj, context)
        return render(request, self.template_name, context)


# --- edit --------------------------------------------------------------------------------------


class EditView(PageView):
    """Create (no ``pk`` in the URL, or ``creates = True``) or edit a record. The form only shapes
    the input; ``save(form, obj)`` calls the service, which checks the policies, validates and
    writes. A ``ValidationError`` from the service is shown on the form (400); a stale ``version``
    (someone saved in between) is refused with the message and a link to the current record (409),
    and nothing is overwritten."""

    http_method_names = ["get", "head", "post"]
    form_class = None
    template_name = ""
    context_object_name = "object"
    creates = False

    def get_form(self, data, obj):
        return self.form_class(data, instance=obj, user=self.request.user)

    def save(self, form, obj):
        """Write through the service and return the saved record."""
        raise NotImplementedError

    def service_error(self, form, exc: ValidationError) -> None:
        form.add_service_error(exc)

    def success_message(self, obj, created: bool) -> str:
        return _("修改已保存。")

    def success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def current(self, obj):
        """The record as it is now (after a refused save), for the page."""
        return None if obj is None else self.get_queryset().get(pk=obj.pk)

    def get_context_data(self, form, obj, context: dict) -> dict:
        return context

    def get(self, request, *args, **kwargs):
        return self.handle(request)

    def post(self, request, *args, **kwargs):
        return self.handle(request)

    def handle(self, request):
        obj = None if self.creates else self.get_object()
        form = self.get_form(request.POST if request.method == "POST" else None, obj)
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    saved = self.save(form, obj)
                except StaleVersionError as exc:
                    form.add_error(None, exc.message)
                    status = 409
                except ValidationError as exc:
                    self.service_error(form, exc)
                else:
                    messages.success(request, self.success_message(saved, obj is None))
                    return redirect(self.success_url(saved))
            obj = self.current(obj)
        context = {"form": form, "object": obj, self.context_object_name: obj, "stale": status == 409}
        context = self.get_context_data(form, obj, context)
        return render(request, self.template_name, context, status=status)


# --- actions -----------------------------------------------------------------------------------


class ActionView(PageView):
    """An act on one record through a service (withdraw, cancel, merge, restore…).

    With ``confirm_template`` the act takes two steps without JavaScript: GET shows a confirmation
    page whose form asks for what the act needs (a required reason), POST performs it and goes back
    to the record; an invalid POST shows the page again (400). Without it the act is one button
    (POST only) and problems come back as messages on the record's page. A stale ``version`` is
    refused with its message; ``refusal(obj)`` can turn the act away in the record's current state.
    """

    http_method_names = ["get", "head", "post"]
    form_class = None
    confirm_template: str | None = None
    context_object_name = "object"

    def refusal(self, obj) -> str | None:
        """A message when the record's state does not allow the act (e.g. already withdrawn)."""
        return None

    def get_form(self, data, obj):
        return self.form_class(data, initial={"version": getattr(obj, "version", None)})

    def perform(self, obj, data: dict) -> None:
        raise NotImplementedError

    def success_message(self, obj, data: dict) -> str:
        raise NotImplementedError

    def success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def get_context_data(self, obj, context: dict) -> dict:
        return context

    def get(self, request, *args, **kwargs):
        return self.handle(request)

    def post(self, request, *args, **kwargs):
        return self.handle(request)

    def handle(self, request):
        obj = self.get_object()
        refusal = self.refusal(obj)
        if refusal:
            messages.error(request, refusal)
            return redirect(obj)
        form = self.get_form(request.POST if request.method == "POST" else None, obj)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    self.perform(obj, form.cleaned_data)
                except StaleVersionError as exc:
                    messages.error(request, exc.message)
                    return redirect(obj)
                except ValidationError as exc:
                    form.add_service_error(exc)
                else:
                    messages.success(request, self.success_message(obj, form.cleaned_data))
                    return redirect(self.success_url(obj))
            if not self.confirm_template:
                for message in form.labelled_error_list:
                    messages.error(request, message)
                return redirect(obj)
            status = 400
        context = {"form": form, "object": obj, self.context_object_name: obj}
        context = self.get_context_data(obj, context)
        return render(request, self.confirm_template, context, status=status)


class ButtonActionView(ActionView):
    """A one-button act: POST only."""

    http_method_names = ["post"]
