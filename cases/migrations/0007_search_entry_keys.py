"""Search entries keyed by their case: `id = case_id << 20 | ordinal`.

The FTS5 rowid is the entry id, so a search now reads the case of every match
from the full-text index itself (`rowid >> 20`) instead of joining each of up to
hundreds of thousands of matches to the entries table (see `cases.search`).

Existing entries are renumbered (0 for the description, 1, 2, … for messages in
message order) and a check constraint keeps every id inside its case's range.
On SQLite, adding the constraint rebuilds the entries table, which drops the FTS
triggers: the FTS table and its triggers are dropped first and created again,
and rebuilt from the renumbered entries, at the end (0004's statements).
"""

import importlib

from django.db import migrations, models

index = importlib.import_module("cases.migrations.0004_search_index")


# 1048576 = 1 << 20 (CaseSearchEntry.KEY_BITS at the time of this migration).
RENUMBER = [
    # Negative first, so no new id can meet an old one half-way.
    "UPDATE cases_casesearchentry SET id = -id",
    """UPDATE cases_casesearchentry SET id = keyed.new_id FROM (
        SELECT id AS old_id, (case_id * 1048576) + CASE WHEN message_id IS NULL THEN 0
            ELSE ROW_NUMBER() OVER (
                PARTITION BY case_id, message_id IS NULL ORDER BY message_id
            ) END AS new_id
        FROM cases_casesearchentry
    ) AS keyed WHERE cases_casesearchentry.id = keyed.old_id""",
]


def renumber(apps, schema_editor) -> None:
    for sql in RENUMBER:
        schema_editor.execute(sql)
    if schema_editor.connection.vendor == "postgresql":
        # Run the deferred foreign-key checks the updates queued: PostgreSQL will
        # not ALTER a table with pending trigger events (the constraint below).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_user_language"),
        # Its backfill writes entries the old way: renumber after it.
        ("correspondence", "0004_backfill_opened_by_and_search"),
    ]

    operations = [
        migrations.RunPython(index.drop_index, index.create_index),
        migrations.RunPython(renumber, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="casesearchentry",
            constraint=models.CheckConstraint(
                condition=models.Q(id__gte=models.F("case_id") * 1048576)
                & models.Q(id__lt=(models.F("case_id") + 1) * 1048576),
                name="searchentry_id_holds_case",
            ),
        ),
        migrations.RunPython(index.create_index, index.drop_index),
    ]
