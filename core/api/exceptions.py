"""JSON errors for the REST API.

Every error is a JSON object: validation errors map field names to lists of messages (400);
other errors carry ``detail`` (401, 403, 404, 405) and, for a stale ``version``, ``code`` and
``current_version`` (409).
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import StaleVersionError


def validation_error_detail(exc: DjangoValidationError, field_names: dict[str, str] | None = None):
    """Field-level messages of a Django ``ValidationError``, keyed by API field names.

    ``field_names`` maps model field names to serializer field names (e.g. ``unit`` → ``unit_code``);
    errors not tied to a field go under ``non_field_errors``.
    """
    field_names = field_names or {}
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}
    detail: dict[str, list[str]] = {}
    for field, errors in exc.message_dict.items():
        key = (
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field_names.get(field, field)
        )
        detail.setdefault(key, []).extend(errors)
    return detail


def exception_handler(exc, context):
    if isinstance(exc, StaleVersionError):
        return Response(
            {"detail": str(exc.message), "code": "stale_version", "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_error_detail(exc))
    if isinstance(exc, Http404):
        # get_object_or_404's message ("No Achievement matches the given query.") is English and
        # names the model; DRF's own detail is translated ("未找到。" / "Not found.").
        exc = NotFound()
    return drf_exception_handler(exc, context)
