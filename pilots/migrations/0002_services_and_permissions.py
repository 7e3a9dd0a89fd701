"""The managed list of pilot services (the five kinds the issue names), and the department
staff's permissions on the pilot models in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_GROUP = "department_staff"
SERVICES = (
    ("pilot_test", "中试熟化", "pilot test", 10),
    ("process_verification", "工艺验证", "process verification", 20),
    ("small_batch", "小批量试生产", "small-batch trial production", 30),
    ("testing", "检验检测", "testing and inspection", 40),
    ("engineering_design", "工程化设计", "engineering design", 50),
)
# (model, actions) the staff group holds
PERMISSIONS = (
    ("pilotservice", ("add", "change", "view")),
    ("pilotbase", ("view",)),
    ("basefund", ("view",)),
    ("performancereport", ("view",)),
    ("rubric", ("view",)),
    ("baseevaluation", ("view",)),
    ("pilotrequest", ("view",)),
)


def forward(apps, schema_editor):
    PilotService = apps.get_model("pilots", "PilotService")
    for code, name, name_en, order in SERVICES:
        PilotService.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
    config = apps.get_app_config("pilots")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    for model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(content_type__app_label="pilots", codename=f"{action}_{model}")
            )


def backward(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=STAFF_GROUP).first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="pilots"))


class Migration(migrations.Migration):
    dependencies = [("pilots", "0001_initial"), ("accounts", "0006_login_lockout_admin")]
    operations = [migrations.RunPython(forward, backward)]
