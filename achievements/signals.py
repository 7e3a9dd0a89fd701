"""Events the registry sends after a change has been committed.

``records_changed`` is sent (after commit) by every write service and by the importer with the
affected unit ids and calendar years, so that other areas (e.g. statistics) can react without
the registry importing them.
"""

from django.dispatch import Signal

records_changed = Signal()  # kwargs: unit_ids: set[int], years: set[int] (empty years: every year)
