from django.db import migrations

GROUP = "Support agents"
# Agents write the saved replies they use; deleting one stays a lead's permission.
CODENAMES = ["add_savedreply", "change_savedreply"]


def agents_write_saved_replies(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="correspondence", codename__in=CODENAMES
            )
        )


def agents_only_view_saved_replies(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="correspondence", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0010_internal_notes_bulk_jobs"),
    ]

    operations = [
        migrations.RunPython(agents_write_saved_replies, agents_only_view_saved_replies),
    ]
