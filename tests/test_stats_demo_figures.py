"""The summary endpoint on the demo data lands on the paper's figures (docs/domain.md,
"Figures the demo data reproduces")."""

import importlib.util

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("achievements.management.commands.seed_demo") is None,
    reason="seed_demo is not available",
)
SUMMARY = "/api/v1/stats/summary/"


@pytest.fixture
def summary(demo_data, client, django_user_model):
    """The summary answer on the session's demo data (conftest.py) and its snapshot, as the demo's
    staff login."""
    client.force_login(django_user_model.objects.get(username="staff"))

    def get(**params):
        response = client.get(SUMMARY, params)
        assert response.status_code == 200, response.content
        return response.json()

    return get


def test_2024_has_4016_convertible_achievements_from_104_units(summary):
    body = summary(year=2024)
    assert body["convertible"] == 4016
    assert body["convertible_units"] == 104


def test_2023_universities_transformed_7638_achievements_worth_4026_million(summary):
    body = summary(year=2023, unit_type="university")
    assert body["transforming_units"] == 40
    assert body["transformed"] == 7638
    assert body["amount"] == "4026000000.00"
    assert 0.555 <= body["yoy_transformed"] <= 0.565
    assert 0.895 <= body["yoy_amount"] <= 0.905
    assert 0.595 <= body["conversion_rate"] <= 0.605


def test_2023_province_wide_amount_growth_and_local_rate(summary):
    body = summary(year=2023)
    assert 0.765 <= body["yoy_amount"] <= 0.775
    assert body["local_rate_amount"] == 0.4010


def test_2024_local_rate_above_57_percent(summary):
    assert summary(year=2024)["local_rate_amount"] > 0.57
