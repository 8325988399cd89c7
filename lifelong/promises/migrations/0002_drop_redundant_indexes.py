# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_drop_redundant_indexes'),
        ('promises', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        DropFieldIndex(
            model_name='promise',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='promises', to='customers.customer'),
        ),
        DropFieldIndex(
            model_name='promise',
            name='owner',
            field=models.ForeignKey(blank=True, db_index=False, help_text='Who is responsible for keeping it.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='promises', to=settings.AUTH_USER_MODEL),
        ),
    ]
