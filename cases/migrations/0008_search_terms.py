"""The search index becomes a term table, the same on SQLite and PostgreSQL.

`CaseSearchTerm` holds the terms of `cases.search`'s tokeniser, one row per (term,
case). On PostgreSQL the term column is compared in the "C" collation (code-point
order, as SQLite's BINARY), so a prefix range selects the same rows on both. The
terms of existing cases are built here from their search entries; the FTS5 table
(SQLite) and the GIN index (PostgreSQL) of 0004 are no longer read and go.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

index = importlib.import_module("cases.migrations.0004_search_index")

BATCH = 1000


def term_collation(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE cases_casesearchterm ALTER COLUMN term TYPE varchar(64) COLLATE "C"'
        )


def backfill(apps, schema_editor) -> None:
    from cases.search import case_terms, entry_text

    Case = apps.get_model("cases", "Case")
    Entry = apps.get_model("cases", "CaseSearchEntry")
    Term = apps.get_model("cases", "CaseSearchTerm")
    db = schema_editor.connection.alias
    ids = list(Case.objects.using(db).order_by("pk").values_list("pk", flat=True))
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        texts: dict[int, list[str]] = {}
        for case_id, subject, body, names in Entry.objects.using(db).filter(
            case_id__in=batch, message_id__isnull=False
        ).values_list("case_id", "subject", "body", "file_names"):
            texts.setdefault(case_id, []).append(entry_text(subject, body, names))
        rows = []
        for pk, description, email in Case.objects.using(db).filter(pk__in=batch).values_list(
            "pk", "short_description", "primary_email"
        ):
            terms = case_terms(description=description, email=email, texts=texts.get(pk, []))
            rows += [Term(term=term, case_id=pk) for term in terms]
        Term.objects.using(db).bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_search_entry_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "term",
                        "case",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("term", models.CharField(max_length=64)),
                (
                    "case",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cases.case",
                    ),
                ),
            ],
            options={
                "verbose_name": "search term",
                "verbose_name_plural": "search terms",
            },
        ),
        migrations.RunPython(term_collation, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="casesearchterm",
            index=models.Index(fields=["case", "term"], name="searchterm_case_term"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(index.drop_index, index.create_index),
    ]
