"""Department staff manage API tokens in the admin (issue, rename, revoke)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_GROUP = "department_staff"
ACTIONS = ("add", "change", "view")


def grant(apps, schema_editor):
    accounts = apps.get_app_config("accounts")
    accounts.models_module = True
    create_permissions(accounts, apps=apps, verbosity=0)
    accounts.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    for action in ACTIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="accounts", codename=f"{action}_apitoken")
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=STAFF_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=[f"{a}_apitoken" for a in ACTIONS]
            )
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_api_token")]
    operations = [migrations.RunPython(grant, revoke)]
