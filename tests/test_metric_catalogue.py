"""The metric catalogue is the one declaration of every metric: what is derived from it agrees with it."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import models
from django.utils.functional import Promise

from dashboards import catalogue
from dashboards.api import renderers
from dashboards.api import views as api_views
from dashboards.catalogue import CATALOGUE, SNAPSHOT_COLUMNS, Growth, Kind
from dashboards.models import StatCell

DOC = Path(settings.BASE_DIR) / "docs" / "metrics.md"
KEY_FIELDS = {"id", "version", "grain", "year", "unit", "unit_type", "region", "city", "cluster", "dim"}


def test_the_docs_table_is_the_catalogue_rendered():
    text = DOC.read_text(encoding="utf-8")
    assert catalogue.docs_with_table(text) == text, "run: python manage.py metrics_doc"
    for entry in CATALOGUE:
        assert f"| `{entry.name}`" in text


def test_metrics_doc_check_fails_on_a_stale_table(tmp_path, monkeypatch):
    from dashboards.management.commands import metrics_doc

    stale = tmp_path / "metrics.md"
    stale.write_text(
        DOC.read_text(encoding="utf-8").replace("| `received_rate`", "| `old`"), encoding="utf-8"
    )
    monkeypatch.setattr(metrics_doc, "DOC", stale)
    with pytest.raises(CommandError):
        call_command("metrics_doc", "--check")
    call_command("metrics_doc")
    call_command("metrics_doc", "--check")
    assert stale.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_the_snapshot_columns_are_the_statcell_figure_fields():
    fields = {f.name: f for f in StatCell._meta.get_fields() if f.name not in KEY_FIELDS}
    assert list(fields) == [column.name for column in SNAPSHOT_COLUMNS]
    for column in SNAPSHOT_COLUMNS:
        expected = models.DecimalField if column.money else models.IntegerField
        assert type(fields[column.name]) is expected, column.name


def test_every_metric_reads_declared_columns_and_is_complete():
    names = [entry.name for entry in CATALOGUE]
    assert len(names) == len(set(names))
    columns = set(catalogue.COLUMN_NAMES)
    for entry in CATALOGUE:
        assert set(entry.aggregate.columns()) <= columns, entry.name
        if isinstance(entry.aggregate, catalogue.DistinctUnits):
            assert entry.aggregate.column in columns
        assert isinstance(entry.label, Promise) and isinstance(entry.definition, Promise), entry.name
        assert entry.doc and entry.example is not None, entry.name
        growth_kind = isinstance(entry.aggregate, Growth)
        assert growth_kind == (entry.kind == Kind.GROWTH), entry.name
        assert entry.nullable == (entry.kind in (Kind.RATE, Kind.GROWTH))
    # The API answers the reference fields of docs/metrics.md first: the additions come after them in the catalogue.
    first_addition = next(i for i, entry in enumerate(CATALOGUE) if entry.addition)
    assert all(entry.addition for entry in CATALOGUE[first_addition:])


def test_labels_are_translated_when_shown_not_at_import():
    assert all(isinstance(label, Promise) for label in catalogue.METRIC_LABELS.values())
    assert all(isinstance(header, Promise) for header in renderers._HEADERS.values())
    for name, field in api_views._FIGURE_FIELDS.items():
        assert isinstance(field.help_text, Promise), name


def test_same_unit_growth_is_declared_by_the_catalogue():
    assert catalogue.same_unit_columns() == ("transformed", "amount")
    assert catalogue.previous_columns() == ("transformed", "amount")
    assert catalogue.growth_of("amount") == "yoy_amount" and catalogue.growth_of("received") is None
    assert {"received_rate"} <= set(catalogue.CONTRACT_METRICS)
    assert {"received_rate", "yoy_transformed_same_units", "yoy_amount_same_units"} <= set(
        catalogue.TILE_METRICS
    )


@pytest.mark.django_db
def test_the_home_page_counts_convertible_as_the_dashboard_does(client, staff_user, unit, other_unit):
    """可转化成果 on the home page is the statistics' figure (catalogue + snapshot), not a rule of its own:
    it equals the dashboard's tile, also while a change waits for the recompute."""
    from django.urls import reverse
    from django.utils import timezone

    from accounts.services import user_create_unit_user
    from dashboards import engine

    from .factories import AchievementFactory

    this_year = timezone.localdate().year
    AchievementFactory(unit=unit, convertible=True, registered_on=datetime.date(this_year - 1, 3, 1))
    AchievementFactory(unit=unit, convertible=False, registered_on=datetime.date(this_year - 1, 3, 1))
    AchievementFactory(unit=other_unit, convertible=True, registered_on=datetime.date(this_year - 1, 3, 1))
    engine.recompute_full()
    # not in the snapshot yet
    AchievementFactory(unit=unit, convertible=True, registered_on=datetime.date(this_year - 1, 5, 1))
    client.force_login(staff_user)
    home = client.get(reverse("home"))
    assert home.context["cards_by_name"]["statistics"]["data"]["figures"]["year"] == this_year - 1
    dashboard = client.get(reverse("dashboards:dashboard"))  # both open on the latest complete year
    assert dashboard.context["year"] == this_year - 1
    tile = next(t for t in dashboard.context["tiles"] if t["metric"] == "convertible")
    figures = home.context["cards_by_name"]["statistics"]["data"]["figures"]  # the dashboards app's card
    assert figures["convertible"]["value"] == int(tile["value"]) == 2
    assert figures["convertible"]["url"] == tile["url"]
    unit_user = user_create_unit_user(username="home-u", password="pass-for-tests-1", unit=unit)
    client.force_login(unit_user)
    home = client.get(reverse("home"))
    assert home.context["cards_by_name"]["statistics"]["data"]["figures"]["convertible"]["value"] == 1
