"""The change history of a record for its page: who changed what, when, and why.

Reads the django-simple-history records of one object (one query, with the users) and diffs each
record against the one before it. Foreign keys are shown by name, choices by label, booleans as
是/否; related names are fetched with at most one query per related model. A model may say how its
records are named in other records' histories with ``history_label_fields`` (the columns to load)
and ``history_label()``; otherwise ``str()``.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

CHANGE_TYPES = {"+": _("创建"), "~": _("修改"), "-": _("删除")}
EXCLUDED_FIELDS = {"created_at", "updated_at", "version", "synthetic"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    date: object
    user: object
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _display(model_field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return str(names.get((model_field.related_model, value), f"#{value}"))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    return str(value)


def history_entries(obj) -> list[HistoryEntry]:
    """Newest first. The first record of an object is its creation and lists no changes."""
    records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
    model = type(obj)
    diffs = []
    wanted: dict[type, set] = {}
    for previous, record in zip([None, *records], records, strict=False):
        if previous is None:
            diffs.append([])
            continue
        delta = record.diff_against(previous, excluded_fields=EXCLUDED_FIELDS)
        diffs.append(delta.changes)
        for change in delta.changes:
            model_field = model._meta.get_field(change.field)
            if model_field.is_relation:
                wanted.setdefault(model_field.related_model, set()).update(
                    v for v in (change.old, change.new) if v is not None
                )
    names = {}
    for related, pks in wanted.items():
        queryset = related.objects.filter(pk__in=pks)
        fields = getattr(related, "history_label_fields", None)
        if fields:
            queryset = queryset.only("pk", *fields)
        label = getattr(related, "history_label", None) or str
        names.update({(related, o.pk): label(o) for o in queryset})
    entries = []
    for record, changes in zip(records, diffs, strict=True):
        entry = HistoryEntry(
            date=record.history_date,
            user=record.history_user,
            kind=str(CHANGE_TYPES.get(record.history_type, record.history_type)),
            reason=record.history_change_reason or "",
        )
        for change in changes:
            model_field = model._meta.get_field(change.field)
            entry.changes.append(
                Change(
                    label=str(model_field.verbose_name),
                    old=_display(model_field, change.old, names),
                    new=_display(model_field, change.new, names),
                )
            )
        entries.append(entry)
    entries.reverse()
    return entries


def last_status_change(obj, status: str) -> HistoryEntry | None:
    """The history record in which ``obj`` last entered ``status`` (withdrawn, cancelled): when,
    who and the reason given, for the notice on the record's page. One query."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id"))
    for index, record in enumerate(records):
        if record.status != status:
            return None
        before = records[index + 1] if index + 1 < len(records) else None
        if before is None or before.status != status:
            return HistoryEntry(
                date=record.history_date,
                user=record.history_user,
                kind=str(CHANGE_TYPES.get(record.history_type, record.history_type)),
                reason=record.history_change_reason or "",
            )
    return None
