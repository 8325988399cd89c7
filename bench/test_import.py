"""The import benchmark at a tiny size: its files import whole, and what the fast
customer import writes is what save_customer would (search terms, sort names, ranges)."""

import csv
import importlib.util
import json
from pathlib import Path

from lifelong.accounts.models import Role, User
from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer, SearchTerm
from lifelong.customers.services import search_terms
from lifelong.imports.models import ImportBatch
from lifelong.occasions.models import Occasion

_spec = importlib.util.spec_from_file_location(
    "import_bench", Path(__file__).with_name("import.py")
)
bench = importlib.util.module_from_spec(_spec)  # "import" is a keyword: load it by path
_spec.loader.exec_module(bench)


def test_a_tiny_run_imports_every_row_as_save_customer_would(db, tmp_path):
    User.objects.create_user("owner", password="x" * 16, role=Role.OWNER)
    customers_csv, purchases_csv = tmp_path / "customers.csv", tmp_path / "purchases.csv"
    bench.write_customers_csv(customers_csv, 300, seed=3)
    bench.write_purchases_csv(purchases_csv, 500, 300, seed=4)
    with customers_csv.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert any("--" in r["Birthday"] for r in rows) and any(r["Tags"] for r in rows)
    assert any(ch in "".join(r["Last name"] for r in rows) for ch in "åäöüé")

    assert (
        bench.timed_command("import", "customers", str(customers_csv), "--no-progress")["status"]
        == 0
    )
    assert Customer.objects.count() == 300
    batch = ImportBatch.objects.get()
    assert len(batch.created_ids()) == 300 and len(batch.created) == 1  # one dense range
    for c in Customer.objects.prefetch_related("emails", "phones"):
        assert c.sort_name == c.compute_sort_name()
        assert c.next_due_at is not None  # keep-in-touch dates were computed
        terms = set(SearchTerm.objects.filter(customer=c).values_list("term", flat=True))
        assert terms == search_terms(
            c, [e.address for e in c.emails.all()], [p.number for p in c.phones.all()]
        )
    with_birthday = sum(1 for r in rows if r["Birthday"])
    assert Occasion.objects.filter(derived=True).count() == with_birthday

    assert (
        bench.timed_command("import", "purchases", str(purchases_csv), "--no-progress")["status"]
        == 0
    )
    assert Purchase.objects.count() == 500


def _result() -> dict:
    return {
        "backend": "SQLite", "size": 1_000_000, "load_before": 1.0, "load_after": 1.2,
        "customers": {"seconds": 100.0, "cpu": 90.0, "status": 0},
        "timings": {"read": 30.0, "insert": 20.0, "search_terms": 10.0, "occasions": 5.0,
                    "commit": 1.0, "duplicates": 3.0},
    }  # fmt: skip


def test_the_report_names_the_target_and_each_phase():
    text = bench.report([_result()], "python bench/import.py", "<!-- s -->", "<!-- e -->")
    assert text.startswith("<!-- s -->") and text.rstrip().endswith("<!-- e -->")
    assert "10,000" in text and "met, 100 s" in text
    assert "| 30.0 s | 3.0 s | 20.0 s | 10.0 s | 5.0 s | 1.0 s |" in text


def test_rewrite_writes_the_report_of_the_last_results_and_runs_nothing(tmp_path):
    (tmp_path / "import-results.json").write_text(json.dumps([_result()]))
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n")
    bench.main(["--dir", str(tmp_path), "--report", str(doc), "--rewrite", "python bench/x.py"])
    text = doc.read_text()
    assert "`python bench/x.py`" in text and "| 30.0 s | 3.0 s | 20.0 s |" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchmarks.md", "import-results.json"]
