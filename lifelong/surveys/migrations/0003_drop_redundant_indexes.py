# Indexes that begin another index of their table go (lifelong/tests/test_schema.py):
# each was one more entry to write a row, for lookups the other serves as well.

import django.db.models.deletion
from django.db import migrations, models

from lifelong.migration_ops import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_drop_redundant_indexes'),
        ('surveys', '0002_survey_kind_labels'),
    ]

    operations = [
        DropFieldIndex(
            model_name='invitation',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='survey_invitations', to='customers.customer'),
        ),
        DropFieldIndex(
            model_name='invitation',
            name='survey',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='surveys.survey'),
        ),
        DropFieldIndex(
            model_name='response',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='survey_responses', to='customers.customer'),
        ),
    ]
