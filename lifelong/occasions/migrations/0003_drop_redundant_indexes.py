# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('occasions', '0002_occasion_value_rank'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='occasion',
            name='occasion_customer',
        ),
        DropFieldIndex(
            model_name='occasionmark',
            name='occasion',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='marks', to='occasions.occasion'),
        ),
    ]
