"""Search terms carry their case's account, so a seller's search reads only the
terms of their own accounts (index (account, term, case)).

The column is added empty, filled from the cases in one statement, then made
required: every term has a case, and every case an account."""

import django.db.models.deletion
from django.db import migrations, models


def fill_accounts(apps, schema_editor):
    Term = apps.get_model("cases", "CaseSearchTerm")
    Case = apps.get_model("cases", "Case")
    Term.objects.using(schema_editor.connection.alias).update(
        account_id=models.Subquery(
            Case.objects.filter(pk=models.OuterRef("case_id")).values("account_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_log_count_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="casesearchterm",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.selleraccount",
            ),
        ),
        migrations.RunPython(fill_accounts, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="casesearchterm",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.selleraccount",
            ),
        ),
        migrations.AddIndex(
            model_name="casesearchterm",
            index=models.Index(fields=["account", "term", "case"], name="searchterm_account_term"),
        ),
    ]
