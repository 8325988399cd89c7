"""The consent history starts with what the customer rows already said: one "given" row
for each customer who had consented, dated when they did."""

from django.db import migrations


def backfill(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    ConsentChange = apps.get_model("privacy", "ConsentChange")
    batch = []
    rows = Customer.objects.filter(email_consent=True).values_list(
        "pk", "email_consent_at", "email_consent_source", "created_at"
    )
    for pk, at, source, created in rows.iterator(chunk_size=2000):
        batch.append(
            ConsentChange(
                customer_id=pk, channel="email", given=True, at=at or created,
                how="earlier", source=source or "",
            )  # fmt: skip
        )
        if len(batch) >= 2000:
            ConsentChange.objects.bulk_create(batch)
            batch = []
    ConsentChange.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
