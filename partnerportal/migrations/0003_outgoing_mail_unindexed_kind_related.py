# The outgoing-mail `kind` and `related` columns are read from a row, never searched by: their
# indexes (and the pattern indexes beside them) only slowed down jobs that queue many mails.
# Dropped CONCURRENTLY, so sending goes on while the migration runs.

from django.db import migrations, models

INDEXES = [
    ("partnerportal_outgoingmail_kind_f75af2d3", "kind"),
    ("partnerportal_outgoingmail_kind_f75af2d3_like", "kind varchar_pattern_ops"),
    ("partnerportal_outgoingmail_related_ddfbd844", "related"),
    ("partnerportal_outgoingmail_related_ddfbd844_like", "related varchar_pattern_ops"),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("partnerportal", "0002_outgoingmail_template_context"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="outgoingmail",
                    name="kind",
                    field=models.CharField(max_length=64),
                ),
                migrations.AlterField(
                    model_name="outgoingmail",
                    name="related",
                    field=models.CharField(blank=True, max_length=80),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON partnerportal_outgoingmail ({cols})",
                )
                for name, cols in INDEXES
            ],
        ),
    ]
