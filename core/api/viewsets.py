"""``RegistryViewSet``: the base of every model endpoint of the REST API.

A model's viewset is three lines (queryset, serializer_class, filterset_class) plus its ordering
whitelist. The base handles:

- permissions: authenticated, read-only tokens, and Django model permissions per action;
- unit scoping: staff see everything, a unit user only their unit (another unit's record is 404);
- N+1 protection: ``select_related``/``prefetch_related`` derived from the serializer's fields, so a
  list costs the same number of queries whatever the page size;
- no DELETE: records are withdrawn or cancelled by actions, never deleted (405).
"""

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.settings import api_settings

from .permissions import RegistryModelPermissions


def scope_to_user(queryset: QuerySet, user, unit_lookup: str) -> QuerySet:
    """What ``user`` may see of ``queryset``: staff everything, a unit user what ``unit_lookup``
    ties to their unit, anybody else nothing. A QuerySet's own ``for_user`` takes precedence."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.is_staff:
        return queryset
    if hasattr(queryset, "for_user"):
        return queryset.for_user(user)
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None:
        return queryset.none()
    if "__" not in unit_lookup:
        return queryset.filter(**{unit_lookup: unit_id})
    # A to-many path: a subquery instead of a join, so no duplicates and no DISTINCT.
    return queryset.filter(pk__in=queryset.model._base_manager.filter(**{unit_lookup: unit_id}).values("pk"))


def related_paths(serializer, model, prefix: str = "") -> tuple[set[str], set[str]]:
    """The ``select_related`` and ``prefetch_related`` paths a serializer's output needs."""
    select, prefetch = set(), set()
    for field in serializer.fields.values():
        if field.write_only:
            continue
        hints = getattr(field, "related_paths", ())
        select.update(prefix + path for path in hints)
        if field.source == "*":
            if isinstance(field, serializers.BaseSerializer):
                sub_select, sub_prefetch = related_paths(field, model, prefix)
                select |= sub_select
                prefetch |= sub_prefetch
            continue
        parts = field.source.split(".")
        current, path = model, []
        for index, part in enumerate(parts):
            try:
                model_field = current._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if not model_field.is_relation:
                break
            path.append(part)
            lookup = prefix + "__".join(path)
            if model_field.many_to_many or model_field.one_to_many:
                prefetch.add(lookup)
                break
            last = index == len(parts) - 1
            pk_only = (
                last and isinstance(field, serializers.RelatedField) and field.use_pk_only_optimization()
            )
            if pk_only:
                break
            select.add(lookup)
            current = model_field.related_model
            if (
                last
                and isinstance(field, serializers.BaseSerializer)
                and not isinstance(field, serializers.ListSerializer)
            ):
                sub_select, sub_prefetch = related_paths(field, current, lookup + "__")
                select |= sub_select
                prefetch |= sub_prefetch
    return select, prefetch


class RegistryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, RegistryModelPermissions]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    # How a record belongs to a unit, for unit users (when the QuerySet has no ``for_user``).
    unit_lookup = "unit"
    ordering_fields = ("id",)

    def get_queryset(self):
        queryset = scope_to_user(
            super().get_queryset(), getattr(self.request, "user", None), self.unit_lookup
        )
        select, prefetch = related_paths(self.get_serializer(), queryset.model)
        if select:
            queryset = queryset.select_related(*sorted(select))
        if prefetch:
            queryset = queryset.prefetch_related(*sorted(prefetch))
        return queryset
