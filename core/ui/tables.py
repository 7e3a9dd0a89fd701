"""The table layer of the list pages: columns declared once, from which come the sortable headers,
the ``?sort=`` whitelist, the cells and the export columns.

    class ContractTable(Table):
        ref = Column(_("合同编号"), order_by=("ref",), link=True)
        amount = Column(_("合同金额（元）"), order_by=("amount",), css="num", number="yuan")
        default_sort = "-signed_on"
        row_template = "achievements/_transformation_rows.html"   # optional

A column with ``order_by`` is sortable by its key (``?sort=amount``, ``?sort=-amount``); the
primary key is always the last sort key, so pages never overlap. Rows are drawn by ``row_template``
(one template loop, the fastest) or, without one, cell by cell from each column's ``accessor`` (or
a ``render_<key>(record)`` method of the table). Exports use ``export_columns`` (label, accessor or
callable), by default every column with an accessor. A column with ``number`` writes its generic
cells with that helper of ``core.numbers`` (``count``, ``yuan``, ``wan``, ``money``, ``percent``,
``growth``, ``points``; docs/numbers.md); exports keep the raw number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.html import format_html, format_html_join

from core import numbers

NUMBER_FORMATS = ("count", "yuan", "wan", "money", "percent", "growth", "points")


@dataclass(frozen=True)
class Column:
    label: Any
    order_by: tuple[str, ...] | None = None  # None: not sortable
    css: str = ""
    accessor: str | Callable | None = None  # dotted path or callable (generic cells and exports)
    link: bool = False  # generic cells: link the value to the record's page
    number: str | None = None  # generic cells: the core.numbers helper that writes the value

    def __post_init__(self):
        if self.number is not None and self.number not in NUMBER_FORMATS:
            raise ValueError(f"Column number={self.number!r}: one of {', '.join(NUMBER_FORMATS)}")


def resolve(record, accessor):
    if callable(accessor):
        return accessor(record)
    value = record
    for part in accessor.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
        if callable(value):
            value = value()
    return value


class Table:
    columns: ClassVar[dict[str, Column]] = {}
    default_sort: ClassVar[str] = "-pk"
    row_template: ClassVar[str | None] = None
    empty_text: ClassVar[Any] = ""
    export_columns: ClassVar[list[tuple[Any, str | Callable]] | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        columns = dict(getattr(cls, "columns", {}))
        for name, value in list(vars(cls).items()):
            if isinstance(value, Column):
                columns[name] = value
        cls.columns = columns

    def __init__(self, request, *, sort: str, records=()):
        self.request = request
        self.sort = sort
        self.records = records

    # --- sorting ----------------------------------------------------------------------------

    @classmethod
    def sorts(cls) -> dict[str, tuple[str, ...]]:
        """The ``?sort=`` whitelist: column key → the fields it orders by."""
        return {key: column.order_by for key, column in cls.columns.items() if column.order_by}

    @classmethod
    def order(cls, queryset, value: str):
        """Apply a whitelisted sort; an unknown value falls back to the default. Returns the sorted
        queryset and the sort in effect."""
        sorts = cls.sorts()
        key = value.lstrip("-")
        if key not in sorts:
            value, key = cls.default_sort, cls.default_sort.lstrip("-")
        descending = value.startswith("-")
        fields = [f"-{f}" if descending else f for f in sorts.get(key, (key,))]
        return queryset.order_by(*fields, "-pk" if descending else "pk"), value

    # --- headers and cells ------------------------------------------------------------------

    @property
    def column_count(self) -> int:
        return len(self.columns)

    def header_url(self, key: str) -> tuple[str, str]:
        """The URL that sorts by ``key`` (ascending first, then descending), keeping every other
        parameter and going back to page 1; and the column's ``aria-sort``."""
        params = self.request.GET.copy()
        params.pop("page", None)
        if self.sort == key:
            params["sort"], aria = f"-{key}", "ascending"
        elif self.sort == f"-{key}":
            params["sort"], aria = key, "descending"
        else:
            params["sort"], aria = key, "none"
        return f"{self.request.path}?{params.urlencode()}", aria

    def thead(self):
        """The header row: sortable columns are links that update the results in place (htmx)."""
        cells = []
        for key, column in self.columns.items():
            if not column.order_by:
                cells.append(format_html('<th class="{}">{}</th>', column.css, column.label))
                continue
            url, aria = self.header_url(key)
            arrow = {"ascending": " ▲", "descending": " ▼"}.get(aria, "")
            cells.append(
                format_html(
                    '<th class="{}" aria-sort="{}"><a href="{}" hx-get="{}" hx-target="#results" '
                    'hx-push-url="true">{}{}</a></th>',
                    column.css,
                    aria,
                    url,
                    url,
                    column.label,
                    arrow,
                )
            )
        return format_html("<tr>{}</tr>", format_html_join("", "{}", ((cell,) for cell in cells)))

    def cells(self, record) -> list:
        """Generic cells (tables without a ``row_template``)."""
        result = []
        for key, column in self.columns.items():
            render = getattr(self, f"render_{key}", None)
            if render is not None:
                value = render(record)
            else:
                value = resolve(record, column.accessor or key)
                if column.number:
                    value = getattr(numbers, column.number)(value)
                value = "—" if value in (None, "") else value
                if column.link:
                    value = format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)
            result.append(format_html('<td class="{}">{}</td>', column.css, value))
        return result

    @property
    def rendered_rows(self) -> list[list]:
        """The cells of each record of the page, for the generic row template."""
        return [self.cells(record) for record in self.records]

    # --- exports ----------------------------------------------------------------------------

    @classmethod
    def get_export_columns(cls) -> list[tuple[Any, str | Callable]]:
        if cls.export_columns is not None:
            return cls.export_columns
        return [(column.label, column.accessor) for column in cls.columns.values() if column.accessor]

    @classmethod
    def export_header(cls) -> list[str]:
        return [str(label) for label, _ in cls.get_export_columns()]

    @classmethod
    def export_row(cls, record) -> list:
        return [resolve(record, accessor) for _, accessor in cls.get_export_columns()]
