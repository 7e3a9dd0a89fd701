"""``trgm_icontains``: a case-insensitive substring match that PostgreSQL's trigram indexes serve.

Django writes ``icontains`` on PostgreSQL as ``UPPER(col::text) LIKE UPPER(%s)``, which only an index
on ``UPPER(col)`` can serve, and ``UPPER`` on every row makes a scan about three times slower than a
plain ``LIKE``. This lookup writes ``col ILIKE %s`` instead: a ``gin_trgm_ops`` index on the column
itself serves ``LIKE`` and ``ILIKE`` alike. On other databases it is exactly ``icontains``.
"""

from django.db.models import CharField, TextField
from django.db.models.lookups import IContains


class TrigramIContains(IContains):
    lookup_name = "trgm_icontains"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return IContains(self.lhs, self.rhs).as_sql(compiler, connection)
        # lookup_cast() knows no "trgm_icontains", so the column is left as it is (no UPPER, no cast).
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} ILIKE {rhs_sql}", (*lhs_params, *rhs_params)


def register() -> None:
    CharField.register_lookup(TrigramIContains)
    TextField.register_lookup(TrigramIContains)
