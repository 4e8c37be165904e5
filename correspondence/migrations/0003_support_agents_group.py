"""The "Support agents" group: exactly what an agent needs, and no delete."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Support agents"
PERMISSIONS = [
    ("cases", "view_case"),
    ("cases", "act_on_case"),
    ("cases", "view_casehistory"),
    ("cases", "view_selleraccount"),
    ("cases", "view_membership"),
    ("cases", "view_supportteam"),
    ("cases", "add_supportteam"),
    ("cases", "change_supportteam"),
    ("correspondence", "view_message"),
    ("correspondence", "add_message"),
    ("correspondence", "view_attachment"),
    ("correspondence", "add_attachment"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    ]
    group.permissions.set(wanted)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0002_act_on_case_permission"),
        ("correspondence", "0002_message_client_token"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
