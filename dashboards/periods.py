"""The period a dashboard page shows: a complete year, or the current year to date.

The current year's figures are partial until 31 Dec, so the pages never open on it
(``selectors.default_year``); when it is chosen it is shown as year to date — every figure up to
today, growth against the same period of the year before (docs/metrics.md, "Year to date") —
and labelled "截至 M月D日".
"""

import datetime

from django.utils import dateformat, timezone
from django.utils.translation import pgettext


def to_date(year: int) -> datetime.date | None:
    """The cut-off a page uses for ``year``: today for the current year (year to date), else None
    (the whole year, from the snapshot)."""
    today = timezone.localdate()
    return today if year == today.year else None


def label(as_of: datetime.date) -> str:
    """ "截至11月30日" (English "as of November 30"): the last day a year-to-date figure counts."""
    # Translators: a date format of django.utils.dateformat (n: month, j: day, F: month name;
    # a backslash keeps a letter literal). English: "\a\s \o\f F j".
    return dateformat.format(as_of, pgettext("year to date", "截至n月j日"))
