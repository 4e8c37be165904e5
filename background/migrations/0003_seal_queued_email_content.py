"""E-mails queued before their content was sealed (background.mail) are sealed now.

Their bodies (password-reset links among them) were readable in the task rows and
in the admin; after this migration no row of this database's queue holds one in
the clear. A queue in Redis is not migrated: its e-mails are sent within minutes.
"""

from django.db import migrations

from background.mail import payload_sealed

DELIVER_EMAIL = "background.tasks.deliver_email"


def seal_queued_email_content(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for row in DBTaskResult.objects.filter(task_path=DELIVER_EMAIL).iterator():
        args = list(row.args_kwargs.get("args") or [])
        if not args or not isinstance(args[0], dict):
            continue
        sealed = payload_sealed(args[0])
        if sealed is not args[0]:
            row.args_kwargs = {**row.args_kwargs, "args": [sealed, *args[1:]]}
            row.save(update_fields=["args_kwargs"])


class Migration(migrations.Migration):
    dependencies = [("background", "0002_support_agents_see_email_deliveries")]

    operations = [
        migrations.RunPython(seal_queued_email_content, migrations.RunPython.noop, elidable=True)
    ]
