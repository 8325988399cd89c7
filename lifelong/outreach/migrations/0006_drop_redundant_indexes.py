# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_drop_redundant_indexes'),
        ('outreach', '0005_message_calendar'),
    ]

    operations = [
        DropFieldIndex(
            model_name='message',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='customers.customer'),
        ),
        DropFieldIndex(
            model_name='message',
            name='program',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='outreach.program'),
        ),
    ]
