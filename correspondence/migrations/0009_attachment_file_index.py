# The orphan-file sweep asks which stored names have a row: an index on the file
# name answers that for a folder's files without reading the table.

from django.db import migrations, models

from caselog.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("correspondence", "0008_overview_snapshot"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="attachment",
            index=models.Index(fields=["file"], name="attachment_file"),
        ),
    ]
