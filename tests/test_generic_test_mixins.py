"""The generic test mixins say when one of their tests does not apply: skipped with a reason (shown
by ``-ra``), never passed silently."""

import pytest

from core.api.testing import RegistryAPITests


class _UnversionedEndpoint(RegistryAPITests):  # not collected: only the tests below call it
    url_name = "api:unit"
    versioned = False


@pytest.mark.parametrize(
    "name",
    ["test_update_without_version_is_400", "test_update_with_stale_version_is_409_and_changes_nothing"],
)
def test_a_locking_test_of_an_endpoint_without_versions_is_skipped_with_a_reason(name):
    with pytest.raises(pytest.skip.Exception, match="no version"):
        getattr(_UnversionedEndpoint(), name)(staff_user=None, unit=None)
