from django.db import migrations


def add_default_questions(apps, schema_editor):
    from lifelong.customers.default_questions import DEFAULT_QUESTIONS

    ProfileQuestion = apps.get_model("customers", "ProfileQuestion")
    existing = set(ProfileQuestion.objects.values_list("key", flat=True))
    ProfileQuestion.objects.bulk_create(
        ProfileQuestion(
            section=section, key=key, text=text, kind=kind, choices=choices,
            position=i * 10, is_default=True,
        )
        for i, (section, key, text, kind, choices) in enumerate(DEFAULT_QUESTIONS)
        if key not in existing
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(add_default_questions, migrations.RunPython.noop)]
