"""Support agents see e-mail deliveries in the admin and retry the undelivered ones."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Support agents"
CODENAMES = ["view_emaildelivery", "retry_emaildelivery"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="background", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="background", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("background", "0001_email_delivery"),
        ("correspondence", "0003_support_agents_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
