"""The two roles of the registry.

The groups and the permissions each holds are created by data migrations in
``accounts/migrations`` (0003 onwards), never by hand: change them with a new migration.
"""

STAFF_GROUP = "department_staff"  # 厅成果转化处: curate everything
UNIT_GROUP = "unit_users"  # 高校/院所技术转移办公室: register their own unit's records
