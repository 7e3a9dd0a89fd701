"""Login lockout in the admin: Chinese proxies of django-axes' counters and log; department staff
may view them and unlock (delete a counter)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_GROUP = "department_staff"
CODENAMES = ("view_loginattempt", "delete_loginattempt", "view_loginrecord")


def grant(apps, schema_editor):
    accounts = apps.get_app_config("accounts")
    accounts.models_module = True
    create_permissions(accounts, apps=apps, verbosity=0)
    accounts.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=STAFF_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="accounts", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_api_token_permissions'),
        ('axes', '0010_accessattemptexpiration'),
    ]

    operations = [
        migrations.CreateModel(
            name='LoginAttempt',
            fields=[
            ],
            options={
                'verbose_name': '登录失败与锁定',
                'verbose_name_plural': '登录失败与锁定',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('axes.accessattempt',),
        ),
        migrations.CreateModel(
            name='LoginRecord',
            fields=[
            ],
            options={
                'verbose_name': '登录记录',
                'verbose_name_plural': '登录记录',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('axes.accesslog',),
        ),
        migrations.RunPython(grant, revoke),
    ]
