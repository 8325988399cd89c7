# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('commerce', '0002_upgrade_offer'),
        ('customers', '0006_drop_redundant_indexes'),
    ]

    operations = [
        DropFieldIndex(
            model_name='productversion',
            name='product',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='commerce.product'),
        ),
        DropFieldIndex(
            model_name='purchase',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='purchases', to='customers.customer'),
        ),
        DropFieldIndex(
            model_name='purchaseline',
            name='product_version',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='commerce.productversion'),
        ),
    ]
