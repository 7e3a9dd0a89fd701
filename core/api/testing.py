"""Generic tests for registry endpoints, so that a model's API test is mostly data.

Subclass ``RegistryAPITests`` in a ``tests/test_api_*.py`` module (pytest collects the subclass,
named ``Test...``), set ``url_name`` and fill in the data hooks. Each subclass gets: anonymous
401, list and detail, unit scoping (another unit's record is 404), create, partial update,
optimistic locking (missing ``version`` 400, stale ``version`` 409), validation 400 with the
field named, filtering, ordering, no DELETE (405), and a list query count that does not grow with
the page size.

The fixtures ``unit``, ``other_unit``, ``staff_user`` and ``unit_user`` come from ``tests/conftest.py``.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The role fixtures set passwords; a fast hasher keeps API tests quick (import this fixture)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class RegistryAPITests:
    url_name: str = ""  # e.g. "api:achievement"
    versioned: bool = True  # the model has ``version`` (optimistic locking)
    unit_user_may_create: bool = True
    unit_user_may_update: bool = True
    invalid_field: str = ""  # the field ``invalid_payload`` gets wrong
    ordering_field: str = "id"
    list_query_count: int = 0  # SQL queries of one list request with a session (any page size)

    # --- data hooks -----------------------------------------------------------------------------

    def make(self, unit):
        """A saved record belonging to ``unit``."""
        raise NotImplementedError

    def make_filler(self, unit):
        """Another record for the query-count test (defaults to ``make``)."""
        return self.make(unit)

    def create_payload(self, unit) -> dict:
        raise NotImplementedError

    def update_payload(self, obj) -> dict:
        """A PATCH body (without ``version``: the tests add it)."""
        raise NotImplementedError

    def invalid_payload(self, unit) -> dict:
        raise NotImplementedError

    def filter_case(self, unit) -> tuple[dict, list, list]:
        """(query parameters, records that match, records that do not), all visible to staff."""
        raise NotImplementedError

    def assert_created(self, data: dict, payload: dict) -> None:
        for key, value in payload.items():
            if not isinstance(value, dict):
                assert data[key] == value, key

    # --- helpers --------------------------------------------------------------------------------

    def client(self, user=None) -> APIClient:
        api = APIClient()
        if user is not None:
            api.force_login(user)
        return api

    def list_url(self) -> str:
        return reverse(f"{self.url_name}-list")

    def detail_url(self, obj) -> str:
        return reverse(f"{self.url_name}-detail", kwargs={"pk": obj.pk})

    def ids(self, response) -> set[int]:
        return {row["id"] for row in response.json()["results"]}

    def with_version(self, obj, payload: dict) -> dict:
        return {**payload, "version": obj.version} if self.versioned else payload

    # --- the tests ------------------------------------------------------------------------------

    def test_anonymous_caller_gets_401(self, unit):
        obj = self.make(unit)
        for url in (self.list_url(), self.detail_url(obj)):
            response = self.client().get(url)
            assert response.status_code == 401
            assert response.has_header("WWW-Authenticate")
            assert "detail" in response.json()

    def test_staff_list_shows_every_unit_in_page_shape(self, staff_user, unit, other_unit):
        mine, theirs = self.make(unit), self.make(other_unit)
        response = self.client(staff_user).get(self.list_url())
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert {mine.pk, theirs.pk} <= self.ids(response)

    def test_unit_user_list_shows_only_own_unit(self, unit_user, unit, other_unit):
        mine, theirs = self.make(unit), self.make(other_unit)
        response = self.client(unit_user).get(self.list_url())
        assert response.status_code == 200
        assert mine.pk in self.ids(response)
        assert theirs.pk not in self.ids(response)

    def test_detail_has_id_url_and_natural_keys(self, staff_user, unit):
        obj = self.make(unit)
        response = self.client(staff_user).get(self.detail_url(obj))
        assert response.status_code == 200
        data = response.json()
        assert data["id"] == obj.pk
        assert data["url"].endswith(self.detail_url(obj))
        if self.versioned:
            assert data["version"] == obj.version

    def test_other_units_record_is_404_for_unit_user(self, unit_user, other_unit):
        theirs = self.make(other_unit)
        api = self.client(unit_user)
        assert api.get(self.detail_url(theirs)).status_code == 404
        if self.unit_user_may_update:
            response = api.patch(
                self.detail_url(theirs), self.with_version(theirs, self.update_payload(theirs))
            )
            assert response.status_code == 404

    def test_missing_record_is_404_json(self, staff_user):
        response = self.client(staff_user).get(reverse(f"{self.url_name}-detail", kwargs={"pk": 999999}))
        assert response.status_code == 404
        assert "detail" in response.json()

    def test_staff_creates_record(self, staff_user, unit):
        payload = self.create_payload(unit)
        response = self.client(staff_user).post(self.list_url(), payload, format="json")
        assert response.status_code == 201, response.json()
        self.assert_created(response.json(), payload)
        assert self.client(staff_user).get(response.json()["url"]).status_code == 200

    def test_unit_user_create_is_allowed_or_forbidden_by_role(self, unit_user, unit):
        response = self.client(unit_user).post(self.list_url(), self.create_payload(unit), format="json")
        assert response.status_code == (201 if self.unit_user_may_create else 403), response.json()

    def test_invalid_payload_is_400_naming_the_field(self, staff_user, unit):
        response = self.client(staff_user).post(self.list_url(), self.invalid_payload(unit), format="json")
        assert response.status_code == 400
        assert self.invalid_field in response.json(), response.json()

    def test_staff_partial_update(self, staff_user, unit):
        obj = self.make(unit)
        payload = self.update_payload(obj)
        response = self.client(staff_user).patch(
            self.detail_url(obj), self.with_version(obj, payload), format="json"
        )
        assert response.status_code == 200, response.json()
        self.assert_created(response.json(), payload)
        if self.versioned:
            assert response.json()["version"] == obj.version + 1

    def test_unit_user_update_of_own_record_is_allowed_or_forbidden_by_role(self, unit_user, unit):
        obj = self.make(unit)
        response = self.client(unit_user).patch(
            self.detail_url(obj), self.with_version(obj, self.update_payload(obj)), format="json"
        )
        assert response.status_code == (200 if self.unit_user_may_update else 403), response.json()

    def test_update_without_version_is_400(self, staff_user, unit):
        if not self.versioned:
            pytest.skip("no optimistic locking: the records of this endpoint have no version")
        obj = self.make(unit)
        response = self.client(staff_user).patch(
            self.detail_url(obj), self.update_payload(obj), format="json"
        )
        assert response.status_code == 400
        assert "version" in response.json()

    def test_update_with_stale_version_is_409_and_changes_nothing(self, staff_user, unit):
        if not self.versioned:
            pytest.skip("no optimistic locking: the records of this endpoint have no version")
        obj = self.make(unit)
        api = self.client(staff_user)
        stale = {**self.update_payload(obj), "version": obj.version}
        assert api.patch(self.detail_url(obj), stale, format="json").status_code == 200
        before = api.get(self.detail_url(obj)).json()
        response = api.patch(self.detail_url(obj), stale, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "stale_version"
        assert response.json()["current_version"] == obj.version + 1
        assert api.get(self.detail_url(obj)).json() == before

    def test_delete_is_405(self, staff_user, unit):
        obj = self.make(unit)
        response = self.client(staff_user).delete(self.detail_url(obj))
        assert response.status_code == 405
        assert type(obj).objects.filter(pk=obj.pk).exists()

    def test_filter(self, staff_user, unit):
        params, matching, other = self.filter_case(unit)
        response = self.client(staff_user).get(self.list_url(), params)
        assert response.status_code == 200
        ids = self.ids(response)
        assert {o.pk for o in matching} <= ids
        assert not ({o.pk for o in other} & ids)

    def test_ordering_and_page_size(self, staff_user, unit, other_unit):
        for owner in (unit, other_unit, unit):
            self.make_filler(owner)
        api = self.client(staff_user)
        ascending = api.get(self.list_url(), {"ordering": self.ordering_field, "page_size": 2}).json()
        descending = api.get(
            self.list_url(), {"ordering": f"-{self.ordering_field}", "page_size": 100}
        ).json()
        assert len(ascending["results"]) == 2
        assert ascending["next"] is not None
        assert [r["id"] for r in descending["results"]][-2:] == [r["id"] for r in ascending["results"]][::-1]

    def test_list_query_count_does_not_grow_with_page_size(
        self, staff_user, unit, other_unit, django_assert_num_queries
    ):
        for index in range(52):
            self.make_filler(unit if index % 2 else other_unit)
        api = self.client(staff_user)
        for page_size in (5, 50):
            with django_assert_num_queries(self.list_query_count):
                response = api.get(self.list_url(), {"page_size": page_size})
            assert len(response.json()["results"]) == page_size
