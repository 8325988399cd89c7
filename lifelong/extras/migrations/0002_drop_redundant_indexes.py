# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_drop_redundant_indexes'),
        ('extras', '0001_initial'),
    ]

    operations = [
        DropFieldIndex(
            model_name='extragiven',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='extras_given', to='customers.customer'),
        ),
        DropFieldIndex(
            model_name='extrasuggestion',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
    ]
