"""The agenda benchmark end to end at a tiny size: the agenda and the bare SQL agree."""

import agenda as agenda_bench  # bench/agenda.py: pytest puts bench/ on the path
import pytest

from lifelong.accounts.models import Business, User
from lifelong.agenda import services
from lifelong.customers.models import Customer, Relative
from lifelong.occasions.models import Occasion

SIZE = 300


@pytest.fixture
def loaded(db):
    built = agenda_bench.load(SIZE, seed=3, fast=False)
    return built


def test_the_loader_knows_every_column_of_the_tables_it_writes():
    from django.apps import apps

    for table, columns in agenda_bench.TABLES.items():
        model = next(
            m for m in apps.get_models(include_auto_created=True) if m._meta.db_table == table
        )
        assert set(columns) <= {f.column for f in model._meta.concrete_fields}, table


def test_a_tiny_load_is_realistic(loaded):
    assert Customer.objects.count() == SIZE
    assert loaded["occasions_written"] == Occasion.objects.count() > SIZE
    valued = Customer.objects.exclude(value_rank=0)
    assert not valued.filter(tier="").exists()
    assert not Customer.objects.filter(value_rank=0).exclude(tier="").exists()
    assert set(valued.filter(tier="A").values_list("value_rank", flat=True)) <= {9, 10}
    assert SIZE * 0.5 < Relative.objects.count() < SIZE * 1.5
    due = agenda_bench.due_share()
    assert 0.05 < due["due"] / due["with_cadence"] < 0.4


@pytest.mark.parametrize("who", ["bench-rep-1", None])
@pytest.mark.parametrize("limit", [5, 50, 500])
def test_the_agenda_and_the_bare_sql_give_the_same_items_in_the_same_order(loaded, who, limit):
    user = User.objects.get(username=who) if who else None
    today = Business.get().today()
    product = agenda_bench.product_items(services.agenda(user, today, limit=limit))
    bare = agenda_bench.Bare(user.pk if user else None, today, limit=limit)
    assert product == agenda_bench.bare_items(bare.agenda())
    assert product, "an agenda with nothing on it compares nothing"
    assert any(kind == "contact" for kind, _, _ in product)
    if limit == 500 and who is None:
        assert any(kind == "occasion" for kind, _, _ in product)
    # Each source alone, too.
    day = services.Day.of(today)
    customers = services.customers_for(user)
    contacts = services._sources["contact"](customers, day, limit, False)
    assert [i.customer_id for i in contacts] == [row[0] for row in bare.due()]
    found = services._sources["occasion"](customers, day, limit, False)
    assert [(i.key, i.customer_id) for i in found] == [
        (f"occasion:{row[0]}:{row[3]}", row[4]) for row in bare.occasions()
    ]


def test_measure_and_the_report(loaded, tmp_path):
    measured = agenda_bench.measure(2, explain=False)
    assert all(check["same"] for check in measured["checks"].values())
    result = {
        "size": SIZE,
        "backend": "SQLite",
        "built": loaded,
        "rows": agenda_bench.row_counts(),
        "due": agenda_bench.due_share(),
        "database_mb": 0.1,
        "load_before": 0.0,
        "load_after": 0.0,
        **measured,
    }
    saved = {"command": "test", "runs": 2, "date": "2026-01-01", "machine": {}, "results": [result]}
    report = tmp_path / "benchmarks.md"
    report.write_text("# Other\n\nkept\n")
    agenda_bench.write_report(report, saved)
    agenda_bench.write_report(report, saved)  # replaces its own section, once
    text = report.read_text()
    assert text.startswith("# Other\n\nkept\n")
    assert text.count(agenda_bench.START_MARK) == 1
    assert text.rstrip().endswith(agenda_bench.END_MARK)
