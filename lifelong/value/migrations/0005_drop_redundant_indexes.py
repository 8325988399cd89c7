# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_drop_redundant_indexes'),
        ('value', '0004_risk_score'),
    ]

    operations = [
        DropFieldIndex(
            model_name='alivehistory',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
    ]
