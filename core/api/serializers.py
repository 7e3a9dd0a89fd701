"""Base serializers: validation in, services out.

A registry serializer validates the request and then hands the write to the app's service
(``achievement_create`` and friends) inside ``service_errors()``, which turns the model's
``full_clean`` errors into field-level 400 answers under the API's field names.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import SkipField

from core.history import with_change_reason_limit

from .exceptions import validation_error_detail


class CurrentUnitDefault:
    """Default for a ``unit_code`` field: the unit of the requesting unit user (staff have none)."""

    requires_context = True

    def __call__(self, serializer_field):
        request = serializer_field.context.get("request")
        unit = getattr(getattr(request, "user", None), "unit", None)
        if unit is None:
            raise SkipField()
        return unit

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class ServiceModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose ``create``/``update`` call services (see the subclasses)."""

    # Model field name → API field name, for errors raised by the model's full_clean.
    error_field_names: dict[str, str] = {}

    @property
    def request_user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    @property
    def user_unit_id(self):
        """The requesting unit user's unit; None for staff (and when there is no request)."""
        user = self.request_user
        return None if user is None or user.is_staff else getattr(user, "unit_id", None)

    @contextmanager
    def service_errors(self, prefix: str | None = None):
        """Turn a service's Django ``ValidationError`` into a DRF 400 with the API's field names;
        ``prefix`` nests the messages under a nested serializer's field."""
        try:
            yield
        except DjangoValidationError as exc:
            detail = validation_error_detail(exc, self.error_field_names)
            raise serializers.ValidationError({prefix: detail} if prefix else detail) from exc


class ChangeReasonSerializerMixin(serializers.Serializer):
    """``change_reason``: the optional reason of an update (修改原因), written to the record's
    history after 修改 by the service (which also checks its length); ignored on create. List it in
    ``Meta.fields`` and hand ``pop_change_reason(validated_data)`` to the service."""

    change_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text=with_change_reason_limit(
            _("修改原因（选填，最多 %(limit)s 个字），记入修改记录；仅在修改时使用。")
        ),
    )

    def pop_change_reason(self, validated_data) -> str:
        return validated_data.pop("change_reason", "")


class VersionedSerializerMixin(serializers.Serializer):
    """Optimistic locking: an update must send back the ``version`` the client read.

    The version is handed to the service as ``expected_version``; an older one answers 409.
    """

    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("记录版本号。修改时必须提供读取时得到的版本号；记录已被他人修改时返回 409。"),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError(
                {"version": [_("修改时必须提供读取时得到的版本号（version）。")]}
            )
        return attrs

    def pop_expected_version(self, validated_data) -> int | None:
        return validated_data.pop("version", None)
