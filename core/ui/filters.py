"""The filter form of a list page: readable widgets, the fields shown, the invalid parameters.

``tidy_filter_form`` runs before the form is validated (bound fields are cached from then on): "全部"
instead of dashes, yes/no selects, date pickers, and ``FastSelect`` for every choice.
"""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .widgets import DateInput, FastSelect

ALL_LABEL = gettext_lazy("全部")


def select(choices, *, attrs=None) -> FastSelect:
    widget = FastSelect(attrs=attrs)
    widget.choices = list(choices)
    return widget


def tidy_filter_form(form) -> None:
    for field in form.fields.values():
        if isinstance(field, forms.DateField):
            field.widget = DateInput()
            continue
        if isinstance(field, forms.NullBooleanField):
            field.widget = select([("", ALL_LABEL), ("true", _("是")), ("false", _("否"))])
            continue
        choices = getattr(field, "choices", None)
        if choices is None or not hasattr(field.widget, "choices"):
            continue
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = ALL_LABEL
            widget = FastSelect(attrs=field.widget.attrs)
            widget.choices = field.choices  # a lazy iterator: queried when rendered
            field.widget = widget
            continue
        if hasattr(field, "empty_label"):
            # django-filter's ChoiceField adds its empty choice when its choices are set.
            field.empty_label = ALL_LABEL
            field.choices = [(value, label) for value, label in choices if value != ""]
            options = field.choices
        else:
            options = [("", ALL_LABEL)] + [(value, label) for value, label in choices if value != ""]
        field.widget = select(options, attrs=field.widget.attrs)


def shown_fields(form, names, hidden=frozenset()) -> list:
    return [form[name] for name in names if name in form.fields and name not in hidden]


def extra_filters(form, shown) -> list[tuple[str, str, str]]:
    """Filters in the URL that the form does not show (e.g. ``stock_year`` from a dashboard
    drill-down): kept as hidden inputs and shown as chips, so changing a visible filter keeps them."""
    if not form.is_bound:
        return []
    return [
        (name, form[name].label, form.data.get(name))
        for name in form.fields
        if name not in shown and form.data.get(name) not in (None, "")
    ]


def parameter_errors(filterset, params, *, sorts, page_sizes, page_size_param) -> list[tuple[str, str, list]]:
    """The list's invalid parameters as (name, label, messages): the page names each one and shows
    no rows rather than an unfiltered list. A page number beyond the last page shows the last page."""
    errors = []
    if filterset.is_bound and not filterset.is_valid():
        for name, messages in filterset.errors.items():
            field = filterset.form.fields.get(name)
            errors.append((name, field.label if field else name, list(messages)))
    sort = params.get("sort", "")
    if sort and sort.removeprefix("-") not in sorts:
        errors.append(("sort", _("排序"), [_("未知的排序字段。")]))
    size = params.get(page_size_param, "")
    if size and size not in {str(s) for s in page_sizes}:
        listed = ", ".join(str(s) for s in page_sizes)
        errors.append(
            (page_size_param, _("每页条数"), [_("每页条数应为 %(sizes)s 之一。") % {"sizes": listed}])
        )
    count = params.get("count", "")
    if count and count != "exact":
        errors.append(("count", _("计数"), [_("计数参数只能为 exact（精确计数）。")]))
    page = params.get("page", "")
    if page and page != "last":
        try:
            valid = int(page) >= 1
        except ValueError:
            valid = False
        if not valid:
            errors.append(("page", _("页码"), [_("页码应为从1开始的整数。")]))
    return errors
