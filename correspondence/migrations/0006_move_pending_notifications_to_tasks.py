"""The hand-made outbox goes: its unsent notifications become tasks, then the table is dropped.

Each pending row becomes a `notify_case_event` task, which composes the e-mail
with the code of the day when the worker runs it and queues it for delivery.
"""

from django.db import migrations


def move_to_tasks(apps, schema_editor):
    PendingNotification = apps.get_model("correspondence", "PendingNotification")
    pending = list(
        PendingNotification.objects.filter(sent_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("audience", "case_id", "event", "message_id")
    )
    if not pending:
        return
    from correspondence.tasks import notify_case_event

    for audience, case_id, event, message_id in pending:
        notify_case_event.enqueue(audience, case_id, event, message_id)


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0005_pending_notification"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunPython(move_to_tasks, migrations.RunPython.noop),
        migrations.DeleteModel(name="PendingNotification"),
    ]
