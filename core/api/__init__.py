"""The project's REST API foundations, shared by every app's ``api/`` package.

- ``permissions``: read-only tokens (the tokens themselves, ``Authorization: Token <key>``, are the
  accounts app's: ``accounts.api.authentication``), Django model permissions per action, staff-only writes.
- ``viewsets``: ``RegistryViewSet``, the base of every model endpoint (unit scoping, N+1
  protection, no DELETE).
- ``serializers``: the base serializer that hands writes to the services and translates their
  validation errors to field-level 400 answers; optimistic locking with ``version``.
- ``exceptions``: JSON errors (400/401/403/404/409).
- ``pagination``, ``filters``, ``schema``: page size, stable ordering, OpenAPI error responses.
"""
