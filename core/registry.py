"""What each app contributes to the shared parts of the site, registered by the app itself.

The base app (``core``) draws the navigation, the API root, the dashboard, the home page, the demo
banner and ``/healthz/`` without knowing which apps exist: each app registers its own entries here,
in its own modules, which ``autodiscover()`` imports once the apps are loaded
(``core.apps.CoreConfig.ready``). NetBox's per-app ``navigation`` module is the model.

Where an app declares each kind (see docs/architecture.md, "How an app registers itself"):

- ``NavItem``: ``<app>/navigation.py``, one link of the main navigation;
- ``ApiRoute``: ``<app>/api/urls.py``, the app's URLs under ``/api/v1/`` and its links in the API root;
- ``DashboardPanel``: ``<app>/panels.py``, one section of the dashboard page;
- ``HomeCard``: ``<app>/home.py``, one card of the home page;
- ``DemoDataCheck``, ``DemoSeeder`` and ``HealthCheck``: the app's ``AppConfig.ready()`` (a seeder:
  the app's part of ``seed_demo``);
- ``HeaderItem``: ``<app>/navigation.py``, a small part of the page header beside the user's name
  (the notifications bell);
- ``NotificationEvent``: ``<app>/events.py``, one kind of notification the app sends
  (``notifications.services.notify``; docs/notifications.md);
- ``ExchangeSheet``: the app's ``AppConfig.ready()``, an added sheet of the exchange format that
  the exchange app's exports write after its own (docs/exchange-format.md).
- ``HelpTopic``: ``<app>/navigation.py``, the help page of the app's area (docs/help.md).

Visibility is a predicate of the user, written by the app with its policy predicates (the
registry decides nothing itself). Items are kept in ``order``, then name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

# The modules ``autodiscover`` imports from every installed app that has them.
DISCOVERED_MODULES = ("navigation", "api.urls", "panels", "home", "events")


def signed_in(user) -> bool:
    """The default visibility: any signed-in user."""
    return bool(getattr(user, "is_authenticated", False))


def everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation (``templates/core/_nav.html``).

    ``active`` is the path prefix that marks the link as the current page (default: the link's own
    path; ``"="`` for an exact match)."""

    name: str
    label: Any  # a lazy translation
    url_name: str
    order: int
    visible: Callable[[Any], bool] = signed_in
    active: str | None = None


@dataclass(frozen=True)
class ApiRoute:
    """An app's URLs under ``/api/v1/`` (``liaoning_tt/api_urls.py`` includes them in ``order``).

    ``links`` are the app's entries in the API root: (name in the answer, URL name in ``api``)."""

    name: str
    urlconf: str  # dotted path of the app's API URL module
    prefix: str = ""
    order: int = 100
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PanelContext:
    """What the dashboard page hands each panel: the year and scope shown, and the figures the page
    has already read (the summary of the year, the time series), so panels do not read them again."""

    year: int
    scope: Any
    summary: dict
    series: list
    as_of: Any = None  # a date: the year is shown to date (its figures up to that day), else None


@dataclass(frozen=True)
class DashboardPanel:
    """One or more sections of the dashboard page. ``build`` returns a section (a dict the dashboard
    template draws: id, title, table, definitions, chart), a list of sections, or ``None`` (nothing
    to show for this scope)."""

    name: str
    order: int
    build: Callable[[PanelContext], dict | list | None]


# The home page's sections, in page order; a card names the one it belongs to.
HOME_SECTIONS = ("figures", "review", "work", "deadlines")


@dataclass(frozen=True)
class HomeCard:
    """One card of the home page (``home``). ``context(request)`` returns the card's template
    context, or ``None`` to leave the card out (e.g. nothing waits); it runs only for users that
    ``visible`` admits. ``section`` is one of ``HOME_SECTIONS`` ("deadlines" is reserved for the
    annual reports app)."""

    name: str
    title: Any
    template: str
    order: int
    context: Callable[[Any], dict | None]
    visible: Callable[[Any], bool] = signed_in
    section: str = "work"

    def __post_init__(self):
        if self.section not in HOME_SECTIONS:
            raise ImproperlyConfigured(f"home card {self.name}: unknown section {self.section!r}")


@dataclass(frozen=True)
class DemoDataCheck:
    """``present()`` is true while the app holds synthetic (demo) records: the site shows the demo
    banner while any check says so."""

    name: str
    present: Callable[[], bool]


@dataclass(frozen=True)
class DemoSeeder:
    """An app's part of the demo data set (``seed_demo``), run in ``order`` after the registry's
    units, achievements, transferees and contracts exist.

    ``seed(seed)`` must be idempotent (it is called on every ``seed_demo``, also when the registry's
    demo data already exists) and return ``{label: count}`` of what the app holds; ``reset()``
    deletes the app's synthetic rows and runs before the registry's are deleted (``--reset``)."""

    name: str
    seed: Callable[[int], dict[str, int]]
    reset: Callable[[], None]
    order: int = 100


@dataclass(frozen=True)
class HealthCheck:
    """One part of ``/healthz/``'s answer, under ``name``. Reported only: it never makes the site
    unhealthy. ``run()`` returns a JSON-able dict; it runs only while the database answers."""

    name: str
    run: Callable[[], dict]


@dataclass(frozen=True)
class HeaderItem:
    """A small part of the page header, beside the user's name (``{% header_items %}`` in
    ``base.html``): ``template`` drawn with ``context(request)`` as ``data`` (``None``: left out).
    ``context`` runs on every page for the users ``visible`` admits: keep it to one cheap query."""

    name: str
    template: str
    order: int
    context: Callable[[Any], dict | None]
    visible: Callable[[Any], bool] = signed_in


# Who receives a notification event (resolved by ``notifications.services.notify``): the user the
# caller names (e.g. an import's uploader), the users of the record's unit, department staff.
RECIPIENT_USER = "user"
RECIPIENT_UNIT_USERS = "unit_users"
RECIPIENT_STAFF = "staff"
RECIPIENT_RULES = (RECIPIENT_USER, RECIPIENT_UNIT_USERS, RECIPIENT_STAFF)


@dataclass(frozen=True)
class NotificationEvent:
    """One kind of notification, declared once by the app that sends it (``<app>/events.py``).

    ``name`` is the code stored with each notification and given to ``notify(event=...)``;
    ``label`` names the kind (preferences page, list); ``title`` is the one-line text, a lazy
    translation formatted with the context ``notify`` is given (``%(ref)s``…), so it is shown in
    the reader's language; ``recipients`` are ``RECIPIENT_RULES``; ``email`` is whether an e-mail
    is sent unless the user opts out."""

    name: str
    label: Any
    title: Any
    recipients: tuple[str, ...]
    email: bool = True
    order: int = 100

    def __post_init__(self):
        unknown = set(self.recipients) - set(RECIPIENT_RULES)
        if not self.recipients or unknown:
            raise ImproperlyConfigured(
                f"notification event {self.name}: recipients must be some of {RECIPIENT_RULES}"
            )


@dataclass
class SheetLoad:
    """What an added sheet's ``load`` found: ``problems`` as dicts (``row``: the file's row number,
    ``column``: the column's key, ``value``, ``message``), ``counts`` of rows to ``add`` / ``update``
    / leave ``unchanged``, and ``changes``: a sample of the rows added or updated (``row``,
    ``action``, ``key``, ``title``)."""

    problems: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"add": 0, "update": 0, "unchanged": 0})
    changes: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ExchangeSheet:
    """An added sheet of the exchange format, declared by the app that owns its records.

    ``name`` is the sheet's name in the format (English headers, CSV file name), ``title`` its
    Chinese name (the sheet's name in a Chinese export or template); either is accepted on import.
    ``columns`` are (key, Chinese label); ``rows(user)`` yields the export's rows for ``user`` (the
    app's read policy decides which; ``None``: the system), plain values in column order;
    ``load(records, acting_user, dry_run)`` takes the sheet's rows as (row number, dict keyed by
    column key) and returns a ``SheetLoad``, writing through the app's services (so the app's rights
    apply to ``acting_user``: a unit user's file may hold rows they may not change, unchanged) and
    nothing at all unless every row is valid and ``dry_run`` is false."""

    name: str
    title: Any
    columns: tuple[tuple[str, Any], ...]
    rows: Callable[..., Any]
    load: Callable[..., SheetLoad]
    order: int = 100
    # Header notes: column key -> what the column holds (shown on the header cell of a workbook).
    notes: dict[str, Any] = field(default_factory=dict)
    # Dropdowns: a callable giving column key -> the allowed values (a workbook's list validation).
    lists: Callable[[], dict[str, list[str]]] | None = None


@dataclass(frozen=True)
class HelpTopic:
    """The help page of one area (``/help/<name>/``), written for a clerk, declared by the app that
    owns the area (``<app>/navigation.py``). ``template`` is the page's body; ``paths`` are the URL
    prefixes of the area's pages, whose header links to this page (``{% help_link %}``; the longest
    matching prefix wins, other pages link to the help index)."""

    name: str
    title: Any  # a lazy translation
    template: str
    paths: tuple[str, ...] = ()
    order: int = 100
    visible: Callable[[Any], bool] = signed_in


_KINDS = (
    HelpTopic,
    ExchangeSheet,
    NavItem,
    ApiRoute,
    DashboardPanel,
    HomeCard,
    DemoDataCheck,
    DemoSeeder,
    HealthCheck,
    HeaderItem,
    NotificationEvent,
)


@dataclass
class Registry:
    items: dict[type, dict[str, Any]] = field(default_factory=lambda: {kind: {} for kind in _KINDS})

    def register(self, *items) -> None:
        for item in items:
            kind = type(item)
            if kind not in self.items:
                raise ImproperlyConfigured(
                    f"cannot register {item!r}: not one of {[k.__name__ for k in _KINDS]}"
                )
            existing = self.items[kind].get(item.name)
            if existing is not None and existing != item:
                raise ImproperlyConfigured(f"{kind.__name__} {item.name!r} is registered twice")
            self.items[kind][item.name] = item

    def unregister(self, kind: type, name: str) -> None:
        self.items[kind].pop(name, None)

    def all(self, kind: type) -> list:
        return sorted(self.items[kind].values(), key=lambda item: (getattr(item, "order", 0), item.name))


registry = Registry()
register = registry.register


def autodiscover() -> None:
    """Import every app's registration modules (``DISCOVERED_MODULES``)."""
    autodiscover_modules(*DISCOVERED_MODULES)


# --- reading (the base app's pages) --------------------------------------------------------------


def nav_items(user) -> list[NavItem]:
    return [item for item in registry.all(NavItem) if item.visible(user)]


def api_routes() -> list[ApiRoute]:
    return registry.all(ApiRoute)


def dashboard_panels() -> list[DashboardPanel]:
    return registry.all(DashboardPanel)


def home_cards(user) -> list[HomeCard]:
    return [card for card in registry.all(HomeCard) if card.visible(user)]


def demo_checks() -> list[DemoDataCheck]:
    return registry.all(DemoDataCheck)


def demo_seeders() -> list[DemoSeeder]:
    return registry.all(DemoSeeder)


def health_checks() -> list[HealthCheck]:
    return registry.all(HealthCheck)


def help_topics(user) -> list[HelpTopic]:
    return [topic for topic in registry.all(HelpTopic) if topic.visible(user)]


def help_topic(name: str) -> HelpTopic | None:
    return registry.items[HelpTopic].get(name)


def help_topic_for(path: str) -> HelpTopic | None:
    """The topic of the area a page belongs to: the longest of the topics' prefixes ``path`` has."""
    best, length = None, 0
    for topic in registry.all(HelpTopic):
        for prefix in topic.paths:
            if path.startswith(prefix) and len(prefix) > length:
                best, length = topic, len(prefix)
    return best


def header_items(user) -> list[HeaderItem]:
    return [item for item in registry.all(HeaderItem) if item.visible(user)]


def notification_events() -> list[NotificationEvent]:
    return registry.all(NotificationEvent)


def exchange_sheets() -> list[ExchangeSheet]:
    return registry.all(ExchangeSheet)


def notification_event(name: str) -> NotificationEvent | None:
    return registry.items[NotificationEvent].get(name)
