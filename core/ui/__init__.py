"""Shared page machinery: generic list, detail, edit and action views, a table layer, filter-form
widgets, list exports and the change-history panel (docs/registry-pages.md, "Page machinery").

The base app knows no domain app: a page declares its model through a selector (``get_queryset``),
a FilterSet, a ``Table`` and a service call, and asks its own app's policy module for permission
through the ``allowed`` / ``object_allowed`` hooks.
"""
