"""Every model change has its migration, so a fresh `migrate` builds what the code expects."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as e:  # makemigrations --check exits 1 when one is missing
        pytest.fail(f"A model change has no migration (makemigrations --check exited {e.code}).")
