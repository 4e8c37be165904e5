"""The full-text index over CaseSearchEntry, in the database's own engine.

SQLite: an FTS5 table with external content (the entries table), kept in step by
the three triggers FTS5 documents for that set-up, so an entry and its index row
are written in the same statement and roll back together.
PostgreSQL: a GIN index on the entry's `tsvector`; `cases.search` queries the
exact same expression so the planner uses it.

Note for later migrations: SQLite's schema editor rebuilds a table to alter it,
which drops its triggers. A migration that alters cases_casesearchentry must run
`create_index` again (it is idempotent).
"""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS cases_search_fts USING fts5(
        subject, body, file_names,
        content='cases_casesearchentry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS cases_search_ai AFTER INSERT ON cases_casesearchentry BEGIN
        INSERT INTO cases_search_fts(rowid, subject, body, file_names)
        VALUES (new.id, new.subject, new.body, new.file_names);
    END""",
    """CREATE TRIGGER IF NOT EXISTS cases_search_ad AFTER DELETE ON cases_casesearchentry BEGIN
        INSERT INTO cases_search_fts(cases_search_fts, rowid, subject, body, file_names)
        VALUES ('delete', old.id, old.subject, old.body, old.file_names);
    END""",
    """CREATE TRIGGER IF NOT EXISTS cases_search_au AFTER UPDATE ON cases_casesearchentry BEGIN
        INSERT INTO cases_search_fts(cases_search_fts, rowid, subject, body, file_names)
        VALUES ('delete', old.id, old.subject, old.body, old.file_names);
        INSERT INTO cases_search_fts(rowid, subject, body, file_names)
        VALUES (new.id, new.subject, new.body, new.file_names);
    END""",
    "INSERT INTO cases_search_fts(cases_search_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cases_search_ai",
    "DROP TRIGGER IF EXISTS cases_search_ad",
    "DROP TRIGGER IF EXISTS cases_search_au",
    "DROP TABLE IF EXISTS cases_search_fts",
]
POSTGRES = [
    """CREATE INDEX IF NOT EXISTS cases_search_gin ON cases_casesearchentry USING gin (
        to_tsvector('simple'::regconfig, subject || ' ' || body || ' ' || file_names)
    )""",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS cases_search_gin"]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def create_index(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES})


def drop_index(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_beyond")]

    operations = [migrations.RunPython(create_index, drop_index)]
