"""The change history's shared pieces: the longest reason of an edit, and creation entries for
records written without the model's ``save()``.

django-simple-history writes a history row when a record is saved one at a time. Records inserted
in bulk behind the ORM's back (the demo data's raw inserts) have none, so the first edit of such a
record would appear as its creation, with nothing to compare against. ``insert_creation_history``
gives them their creation row (``history_type`` ``+``) afterwards, in one ``INSERT … SELECT`` per
model that the database runs without sending any row through Python: a copy of each record's
tracked columns plus the history's own (date, reason, user).
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django.utils.functional import lazy

# The longest reason of an edit (修改原因) a form, the API or the admin takes, as for the reasons of a
# withdrawal or cancellation; the history keeps it whole (its reason column is text). The service
# (``achievements.services.edit_reason``) refuses a longer one; the texts that tell people the limit
# say this number (``with_change_reason_limit``, ``{% change_reason_max_length %}``).
CHANGE_REASON_MAX_LENGTH = 500


def _with_limit(message) -> str:
    return str(message) % {"limit": CHANGE_REASON_MAX_LENGTH}


# ``with_change_reason_limit(_("…最多 %(limit)s 个字…"))``: a lazy text with the limit filled in when
# it is shown (in the language of the request), for help texts declared at import time.
with_change_reason_limit = lazy(_with_limit, str)


def insert_creation_history(
    model, *, first_id: int, last_id: int, reason: str, user_id=None, when=None
) -> int:
    """Write one creation history row for each record of ``model`` with ``first_id <= id <=
    last_id`` that has no history row yet; return the number of rows written."""
    history = model.history.model
    quote = connection.ops.quote_name
    own = {"history_date", "history_change_reason", "history_type", "history_user_id"}
    copied = [f.column for f in history._meta.concrete_fields if not f.primary_key and f.attname not in own]
    pk = quote(model._meta.pk.column)
    table, history_table = quote(model._meta.db_table), quote(history._meta.db_table)
    columns = ", ".join(quote(c) for c in [*copied, *sorted(own)])
    selected = ", ".join(f"r.{quote(c)}" for c in copied)
    # sorted(own): history_change_reason, history_date, history_type, history_user_id
    sql = (
        f"INSERT INTO {history_table} ({columns}) "
        f"SELECT {selected}, %s, %s, '+', %s FROM {table} r "
        f"WHERE r.{pk} BETWEEN %s AND %s "
        f"AND NOT EXISTS (SELECT 1 FROM {history_table} h WHERE h.{pk} = r.{pk})"
    )
    when = connection.ops.adapt_datetimefield_value(when or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [reason, when, user_id, first_id, last_id])
        return cursor.rowcount
