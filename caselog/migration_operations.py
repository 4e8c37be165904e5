"""Migration operations for large tables.

`AddIndexConcurrentlyOnPostgreSQL` is `AddIndex` that builds the index with
`CREATE INDEX CONCURRENTLY` on PostgreSQL, so the table takes writes while it is
built (a plain `CREATE INDEX` blocks them for the whole build). SQLite has no such
thing and builds it the plain way (its single writer waits; docs/deploy.md says how
long). Django's `django.contrib.postgres.operations.AddIndexConcurrently` fails on
any other database, hence this one. A migration using it sets `atomic = False`:
PostgreSQL refuses `CONCURRENTLY` inside a transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError, migrations


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} (concurrently on PostgreSQL)"

    def _concurrently(self, schema_editor: Any) -> bool:
        if schema_editor.connection.vendor != "postgresql":
            return False
        if schema_editor.connection.in_atomic_block:
            raise NotSupportedError(
                f"{type(self).__name__} needs a non-atomic migration (atomic = False)."
            )
        return True

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._concurrently(schema_editor):
                schema_editor.add_index(model, self.index, concurrently=True)
            else:
                schema_editor.add_index(model, self.index)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._concurrently(schema_editor):
                schema_editor.remove_index(model, self.index, concurrently=True)
            else:
                schema_editor.remove_index(model, self.index)
