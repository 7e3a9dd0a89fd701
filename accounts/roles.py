"""The two roles of the registry.

The groups and the permissions each holds are created by data migrations in
``accounts/migrations`` (0003 onwards), never by hand: change them with a new migration.
"""

STAFF_GROUP = "department_staff"  # 厅成果转化处: curate everything
UNIT_GROUP = "unit_users"  # 高校/院所技术转移办公室: register their own unit's records


def is_staff(user) -> bool:
    """Department staff, or the system itself (``None``)."""
    return user is None or bool(getattr(user, "is_staff", False))


def unit_of(user) -> int | None:
    """The unit a user belongs to (``None`` for staff, the anonymous and the system)."""
    return None if user is None else getattr(user, "unit_id", None)
