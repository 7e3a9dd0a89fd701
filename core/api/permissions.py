"""Permission classes of the REST API.

``DEFAULT_PERMISSION_CLASSES`` holds ``IsAuthenticated`` and ``TokenScopePermission`` so that
every API view (including the statistics API) refuses anonymous callers (401) and write requests
made with read-only tokens (403). Registry endpoints add ``RegistryModelPermissions``.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


class TokenScopePermission(permissions.BasePermission):
    """A read-only token may only use safe methods (GET, HEAD, OPTIONS).

    Any credential the authentication puts in ``request.auth`` with a true ``read_only`` (the
    accounts app's ``ApiToken``) is read-only; the base app does not need to know its class."""

    message = _("只读令牌只能查询数据，不能新增或修改。")

    def has_permission(self, request, view):
        token = request.auth
        if getattr(token, "read_only", False) is True:
            return request.method in permissions.SAFE_METHODS
        return True


class RegistryModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions (held through the role groups) chosen by the viewset action.

    Reading needs ``view``, creating ``add``, updating and any other write action (withdraw,
    cancel) ``change``. A method the viewset does not route (DELETE) passes here so that the
    caller gets 405, not 403.
    """

    action_permissions = {
        "list": "view",
        "retrieve": "view",
        "metadata": "view",
        "create": "add",
        "update": "change",
        "partial_update": "change",
    }

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        if action is None:
            return True
        perm = self.action_permissions.get(action)
        if perm is None:
            perm = "view" if request.method in permissions.SAFE_METHODS else "change"
        opts = self._queryset(view).model._meta
        return request.user.has_perm(f"{opts.app_label}.{perm}_{opts.model_name}")


class IsStaffOrReadOnly(permissions.BasePermission):
    """Shared records (units, transferees) are written by department staff only."""

    message = _("只有厅工作人员可以修改此类记录。")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_staff)
