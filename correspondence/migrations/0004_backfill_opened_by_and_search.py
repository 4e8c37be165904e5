"""Existing cases: who opened them (the first message's author) and their search entries."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

BATCH = 2000


def backfill(apps, schema_editor) -> None:
    Case = apps.get_model("cases", "Case")
    Entry = apps.get_model("cases", "CaseSearchEntry")
    Message = apps.get_model("correspondence", "Message")
    Attachment = apps.get_model("correspondence", "Attachment")

    first_author = (
        Message.objects.filter(case_id=OuterRef("pk"), direction="seller")
        .order_by("sent_at", "id")
        .values("author_id")[:1]
    )
    Case.objects.filter(opened_by__isnull=True).update(opened_by=Subquery(first_author))

    Entry.objects.all().delete()
    entries = [
        Entry(case_id=case_id, subject=description)
        for case_id, description in Case.objects.values_list("id", "short_description")
    ]
    Entry.objects.bulk_create(entries, batch_size=BATCH)
    names: dict[int, list[str]] = {}
    for message_id, name in Attachment.objects.order_by("id").values_list(
        "message_id", "original_name"
    ):
        names.setdefault(message_id, []).append(name)
    batch = []
    for message_id, case_id, subject, body in Message.objects.values_list(
        "id", "case_id", "subject", "body"
    ).iterator(chunk_size=BATCH):
        batch.append(
            Entry(
                case_id=case_id,
                message_id=message_id,
                subject=subject,
                body=body,
                file_names=" ".join(names.get(message_id, [])),
            )
        )
        if len(batch) >= BATCH:
            Entry.objects.bulk_create(batch)
            batch = []
    Entry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0003_support_agents_group"),
        ("cases", "0004_search_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
