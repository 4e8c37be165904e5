"""`state_rank` becomes a plain column that every save derives from the state
(cases.models.UrgencyField), instead of a column the database generates.

Why: a generated column's expression names every state, so adding a state meant
changing it, which Django cannot migrate ("Modifying GeneratedFields is not
supported") and PostgreSQL can only do by rewriting the whole table under lock.
A plain column with gaps between ranks takes a new state without touching a row.
The check constraint on the state's values goes too: changing it would rebuild the
table on SQLite for every new state; one service writes `state`.

Cost at 1,000,000 cases: one UPDATE of every row (see docs/deploy.md).
"""

from django.db import migrations, models

import cases.models

# The ranks as this migration found them (StateFacts.urgency); frozen here so that
# the migration does not change when a later state is added.
RANKS = {
    "needs_attention": 10,
    "reopened": 20,
    "open": 30,
    "pending_support": 40,
    "transferred": 50,
    "answered": 60,
    "resolved": 70,
}


def fill_ranks(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.update(
        state_rank=models.Case(
            *[models.When(state=state, then=rank) for state, rank in RANKS.items()],
            default=0,
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_search_term_account"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="case", name="case_state_valid"),
        migrations.RemoveIndex(model_name="case", name="case_acct_urgency"),
        migrations.RemoveField(model_name="case", name="state_rank"),
        migrations.AddField(
            model_name="case",
            name="state_rank",
            field=cases.models.UrgencyField(default=0, editable=False),
        ),
        migrations.RunPython(fill_ranks, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["account", "state_rank", "last_activity_at", "id", "state", "resolved_at"],
                name="case_acct_urgency",
            ),
        ),
    ]
