# A settled dispute is a collections step of its own. The invoice's `org` and `customer` and the
# collection event's `invoice` lose their single-column indexes: the composite indexes (and the
# unique constraints) lead with those columns already, and every index is one more write when
# the collections run updates tens of thousands of invoices. Only the indexes are dropped,
# CONCURRENTLY; the foreign keys stay as they are (altering the fields would drop and validate
# them again, locking both tables).

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("support_invoice_org_id_b2eb1d48", "support_invoice", "org_id"),
    ("support_invoice_customer_id_fc62dd3c", "support_invoice", "customer_id"),
    ("support_collectionevent_invoice_id_d833df0a", "support_collectionevent", "invoice_id"),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("partnerportal", "0003_outgoing_mail_unindexed_kind_related"),
        ("support", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="collectionevent",
                    name="invoice",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="collection_events",
                        to="support.invoice",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invoices",
                        to="support.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="org",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="csp_invoices",
                        to="partnerportal.organisation",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({column})",
                )
                for name, table, column in INDEXES
            ],
        ),
        migrations.AlterField(
            model_name="collectionevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("reminder_before", "Reminder sent"),
                    ("overdue", "Marked overdue"),
                    ("reminder_after", "Overdue reminder sent"),
                    ("suspended", "Subscriptions suspended"),
                    ("reinstated", "Subscriptions reinstated"),
                    ("paid", "Payment received"),
                    ("disputed", "Invoice disputed"),
                    ("dispute_settled", "Dispute settled"),
                ],
                max_length=16,
            ),
        ),
    ]
