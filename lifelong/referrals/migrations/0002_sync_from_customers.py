"""Referral rows for the customers whose referred_by was set before this app existed."""

from django.db import migrations


def forwards(apps, schema_editor) -> None:
    from lifelong.referrals.services import sync_models

    sync_models(apps.get_model("customers", "Customer"), apps.get_model("referrals", "Referral"))


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
