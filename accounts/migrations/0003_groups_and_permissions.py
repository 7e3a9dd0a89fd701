"""Create the two role groups and give them their permissions (see ``accounts.roles``)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "department_staff": {
        "achievements": {
            "unit": ("add", "change", "view"),
            "cluster": ("add", "change", "view"),
            "achievement": ("add", "change", "view"),
            "transferee": ("add", "change", "view"),
            "transformation": ("add", "change", "view"),
        },
        "accounts": {"user": ("add", "change", "view")},
    },
    "unit_users": {
        "achievements": {
            "unit": ("view",),
            "cluster": ("view",),
            "achievement": ("add", "change", "view"),
            "transferee": ("add", "change", "view"),
            "transformation": ("add", "change", "view"),
        },
    },
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, apps_perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, models in apps_perms.items():
            for model, actions in models.items():
                for action in actions:
                    perm = Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
                    group.permissions.add(perm)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("achievements", "0002_seed_clusters"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
