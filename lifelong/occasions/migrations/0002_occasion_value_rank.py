"""Occasion.value_rank: the customer's value rank, copied so upcoming() can read its window
in value order (see Occasion.value_rank)."""

from django.db import migrations, models

COPY_RANKS = """
UPDATE occasions_occasion SET value_rank = COALESCE(
    (SELECT c.value_rank FROM customers_customer c WHERE c.id = occasions_occasion.customer_id),
    0
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_not_duplicate"),
        ("occasions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="occasion",
            name="value_rank",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(COPY_RANKS, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="occasion",
            index=models.Index(fields=["-value_rank", "month", "day"], name="occasion_rank_day"),
        ),
    ]
