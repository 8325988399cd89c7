"""`lifelong import purchases`: good rows in, every bad row reported by its line number."""

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from conftest import make_user
from lifelong.accounts.models import Business, Role
from lifelong.commerce.importer import PurchaseImport, UnusableFile, import_purchases
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.commerce.services import add_product, add_version
from lifelong.customers.models import Customer, SearchTerm
from lifelong.customers.services import save_customer

NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)
STOCKHOLM = Business().tzinfo


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


class Result:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    @property
    def lines(self) -> list[str]:
        """The rejections, as printed on stderr."""
        return [ln for ln in self.err.splitlines() if ln.startswith("line ")]


def run(path: Path, *args: str) -> Result:
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "import", "purchases", str(path), "--no-progress", *args, stdout=out, stderr=err
        )
    except CommandError as e:
        err.write(f"CommandError: {e}\n")
        return Result(e.returncode, out.getvalue(), err.getvalue())
    return Result(0, out.getvalue(), err.getvalue())


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "purchases.csv", *, bom: bool = False) -> Path:
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        return path

    return write


@pytest.fixture
def known(customer, rep):
    """Anna (external id A1, email anna@berg.example) and Bo (external id B2)."""
    customer.external_id = "A1"
    save_customer(customer)
    bo = save_customer(
        Customer(owner=rep, first_name="Bo", external_id="B2"), emails=["bo@x.example"]
    )
    return customer, bo


def test_a_good_file_is_imported_whole(known, write):
    anna, bo = known
    path = write(
        "customer,date,amount,currency,product,sku,version,quantity\n"
        "A1,2024-01-15,12.50,,,,,\n"
        'B2,20240116,"1 234,50",sek,Printer,PRN,P7,2\n'
        "ANNA@Berg.Example,2024-01-17T10:00:00+01:00,0,,,PRN,P7,\n"
        "\n"
        "bo@x.example,2024-01-18,7,,Toner,,,\n"
    )
    result = run(path)
    assert result.status == 0, result.err
    assert result.lines == []
    assert "4 rows read, 4 imported, 0 rejected, 0 customers created" in result.out
    purchases = list(Purchase.objects.order_by("occurred_at"))
    assert [(p.customer, p.total, p.currency) for p in purchases] == [
        (anna, Decimal("12.50"), "EUR"),
        (bo, Decimal("1234.50"), "SEK"),
        (anna, Decimal("0.00"), "EUR"),
        (bo, Decimal("7.00"), "EUR"),
    ]
    assert purchases[0].occurred_at == dt.datetime(2024, 1, 15, 12, tzinfo=STOCKHOLM)
    assert purchases[1].occurred_at == dt.datetime(2024, 1, 16, 12, tzinfo=STOCKHOLM)
    assert purchases[2].occurred_at == dt.datetime(2024, 1, 17, 9, tzinfo=dt.UTC)
    assert not purchases[0].lines.exists()  # no product: no line
    printer = Product.objects.get(sku="PRN")
    assert printer.name == "Printer"
    p7 = ProductVersion.objects.get(product=printer, label="P7")
    line = purchases[1].lines.get()
    assert (line.product_version, line.quantity, line.amount, line.customer) == (
        p7,
        2,
        Decimal("1234.50"),
        bo,
    )
    assert purchases[2].lines.get().product_version == p7  # found by SKU alone
    toner = purchases[3].lines.get()
    assert (toner.product_version.product.name, toner.product_version.label) == (
        "Toner",
        "unversioned",
    )
    assert toner.quantity == 1


def test_existing_products_and_versions_are_used(known, write):
    product = add_product(name="Conference camera", sku="CAM")
    c3 = add_version(product, label="C300")
    path = write("customer,date,amount,product,version\nA1,2024-02-01,10,conference CAMERA,C300\n")
    assert run(path).status == 0
    assert PurchaseLine.objects.get().product_version == c3
    assert Product.objects.count() == 1 and ProductVersion.objects.count() == 1


def test_every_bad_row_is_reported_by_its_physical_line(known, write):
    path = write(
        "customer,date,amount,currency,quantity,reference\n"  # 1
        "A1,2024-01-01,10,,,\n"  # 2 good
        "A1,2024-01-02,-5,,,\n"  # 3 negative
        'B2,2024-01-03,3,,,"an order\n'  # 4 a quoted field over three lines
        "with a note\n"  # 5
        'on three lines"\n'  # 6 — still a good row (the reference is too long? no: 33 chars)
        "nobody,2024-01-04,5,,,\n"  # 7 unknown customer
        "A1,2024-13-01,5,,,\n"  # 8 bad date
        "A1,2025-03-15,5,,,\n"  # 9 tomorrow
        "A1,01/02/2024,abc,EURO,0,\n"  # 10 several problems at once
        ",2024-01-05,5,,,\n"  # 11 no customer
        "A1,2024-01-06,5\n"  # 12 too few fields
        "A1,2024-01-07,1.234,,,\n"  # 13 ambiguous amount
        "nobody@example.com,2024-01-08,5,,,\n"  # 14 unknown email
        "A1,2024-01-09,9,,,\n"  # 15 good
    )
    result = run(path)
    assert result.status == 1
    numbers = [int(ln.split(":")[0].removeprefix("line ")) for ln in result.lines]
    assert numbers == [3, 7, 8, 9, 10, 11, 12, 13, 14]
    text = "\n".join(result.lines)
    assert "line 3: Amount '-5' is negative" in text
    assert "line 7: no customer has the external id or email address 'nobody'" in text
    assert "line 8: Date '2024-13-01' is not a date" in text
    assert "line 9: 2025-03-15 is in the future" in text
    assert "line 10: Date '01/02/2024' is not a date" in text
    assert "Amount 'abc' is not a number" in text
    assert "Currency 'EURO'" in text and "Quantity must be at least 1" in text
    assert "line 11: the customer is missing" in text
    assert "line 12: 3 fields where the header has 6" in text
    assert "line 13: Amount '1.234' is ambiguous" in text
    assert "line 14: no customer has the email address 'nobody@example.com'" in text
    assert "13 rows read, 3 imported, 10 rejected" not in result.out
    assert "12 rows read, 3 imported, 9 rejected" in result.out
    assert "CommandError: 9 of 12 rows rejected" in result.err
    assert sorted(Purchase.objects.values_list("total", flat=True)) == [
        Decimal("3.00"),
        Decimal("9.00"),
        Decimal("10.00"),
    ]
    assert Purchase.objects.get(total=3).reference == "an order\nwith a note\non three lines"


def test_an_open_quote_is_pointed_out(known, write):
    path = write('customer,date,amount\nA1,2024-01-01,"10\nA1,2024-01-02,11\n')
    result = run(path)
    assert result.status == 1
    assert result.lines == [
        "line 2: Amount '10\\nA1,2024-01-02,11' is not a number "
        "(the row runs to line 3: is a quote left open?)"
    ]
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "has no header row"),
        (b"\n\n", "has no header row"),
        (b"customer,when,amount\nA1,2024-01-01,1\n", "lacks the column date"),
        (b"id;total\n", "lacks the columns customer, date, amount"),
        (b"customer,date,amount,Amount\n", "the column 'amount' appears twice"),
        (b"customer,date,amount\nA1,2024-01-01,1\nA\xe9,2024-01-01,1\n", "not UTF-8 text (line 3"),
        (b"\xff\xfecustomer,date,amount\n", "not UTF-8 text (line 1"),
    ],
    ids=["empty", "blank", "one-missing", "all-missing", "twice", "latin-1", "utf-16"],
)
def test_an_unusable_file_exits_2_and_writes_nothing(known, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run(path)
    assert result.status == 2
    assert "File unusable" in result.err and message in result.err
    assert not Purchase.objects.exists()


def test_a_missing_file_and_an_unknown_owner_exit_2(known, tmp_path, write):
    result = run(tmp_path / "nowhere.csv")
    assert result.status == 2 and "No such file" in result.err
    result = run(write("customer,date,amount\n"), "--create-customers", "--owner", "nobody")
    assert result.status == 2 and "No active user called 'nobody'" in result.err


def test_extra_columns_are_a_warning_not_an_error(known, write):
    path = write(" Customer ,DATE,Amount,note,\nA1,2024-01-01,5,hello,\n")
    result = run(path)
    assert result.status == 0
    assert "warning: column 'note' is not used" in result.err
    assert "warning: column 5 has no name" in result.err
    assert Purchase.objects.count() == 1


def test_bom_and_semicolons_with_decimal_commas(known, write):
    path = write("customer;date;amount\nA1;2024-01-01;12,50\n", bom=True)
    result = run(path)
    assert result.status == 0, result.err
    assert Purchase.objects.get().total == Decimal("12.50")
    tabbed = write("customer\tdate\tamount\nA1\t2024-01-02\t1\n", "tabs.csv")
    assert run(tabbed).status == 0
    piped = write("customer|date|amount\nA1|2024-01-03|2\n", "pipes.csv")
    assert run(piped, "--delimiter", "|").status == 0
    assert Purchase.objects.count() == 3


def test_dry_run_reports_the_same_and_writes_nothing(known, write, owner):
    path = write(
        "customer,date,amount,product\n"
        "A1,2024-01-01,5,Printer\n"
        "NEW-1,2024-01-02,6,Printer\n"
        "NEW-1,2024-01-03,7,\n"
        "A1,2024-01-04,-1,\n"
    )
    before = Customer.objects.count()
    dry = run(path, "--dry-run", "--create-customers")
    assert dry.status == 1
    assert dry.lines == ["line 5: Amount '-1' is negative"]
    assert dry.out.startswith("Dry run, nothing written: 4 rows read, 3 to import, 1 rejected")
    assert "1 customer to create" in dry.out
    assert "1 product and 1 version to create" in dry.out
    assert Customer.objects.count() == before
    assert not Purchase.objects.exists() and not Product.objects.exists()
    real = run(path, "--create-customers")
    assert real.lines == dry.lines
    assert "4 rows read, 3 imported, 1 rejected, 1 customer created" in real.out
    assert Purchase.objects.count() == 3


def test_create_customers_for_unknown_external_ids(known, write, owner):
    path = write(
        "customer,date,amount\n"
        "X-9,2024-01-01,5\n"
        "X-9,2024-01-02,6\n"
        "X-10,2024-01-03,-6\n"  # rejected: no customer made for it
        "new@example.com,2024-01-04,6\n"  # an unknown email makes nobody
    )
    result = run(path, "--create-customers")
    assert result.status == 1
    assert result.lines == [
        "line 4: Amount '-6' is negative",
        "line 5: no customer has the email address 'new@example.com' "
        "(only external ids make new customers)",
    ]
    made = Customer.objects.get(external_id="X-9")
    assert made.display_name == "Customer X-9"
    assert made.owner == owner
    assert made.purchases.count() == 2
    assert not Customer.objects.filter(external_id="X-10").exists()
    # Made through save_customer: searchable like any other.
    assert SearchTerm.objects.filter(customer=made, term="x-9").exists()


def test_create_customers_with_another_owner(known, write, manager):
    path = write("customer,date,amount\nZ1,2024-01-01,5\n")
    make_user("second_owner", Role.OWNER)
    assert run(path, "--create-customers", "--owner", manager.username).status == 0
    assert Customer.objects.get(external_id="Z1").owner == manager


def test_create_customers_needs_an_owner(known, write):
    result = run(write("customer,date,amount\nZ1,2024-01-01,5\n"), "--create-customers")
    assert result.status == 2 and "no active owner" in result.err


def test_an_email_two_customers_share_is_refused(known, write, rep):
    save_customer(Customer(owner=rep, first_name="Twin"), emails=["bo@x.example"])
    result = run(write("customer,date,amount\nbo@x.example,2024-01-01,5\nB2,2024-01-01,5\n"))
    assert result.lines == [
        "line 2: 2 customers have the email address 'bo@x.example'; use their external id"
    ]
    assert Purchase.objects.count() == 1


def test_an_external_id_wins_over_an_email(known, write, rep):
    anna, _ = known
    other = save_customer(Customer(owner=rep, first_name="Odd", external_id="anna@berg.example"))
    assert run(write("customer,date,amount\nanna@berg.example,2024-01-01,5\n")).status == 0
    assert Purchase.objects.get().customer == other != anna


def test_importing_again_adds_the_rows_again_unless_they_have_references(known, write):
    plain = write("customer,date,amount\nA1,2024-01-01,5\nB2,2024-01-02,6\n")
    assert run(plain).status == 0
    assert run(plain).status == 0
    assert Purchase.objects.count() == 4  # no reference: nothing tells the rows apart

    referenced = write(
        "customer,date,amount,reference\n"
        "A1,2024-02-01,5,ORD-1\n"
        "A1,2024-02-01,2,ORD-1\n"  # a second line of the same order: kept
        "B2,2024-02-02,6,ORD-2\n",
        "referenced.csv",
    )
    first = run(referenced)
    assert "3 imported" in first.out
    again = run(referenced)
    assert again.status == 0
    assert "0 imported" in again.out and "3 skipped" in again.out
    assert Purchase.objects.count() == 7
    # The same order number of another customer is another order.
    other = write("customer,date,amount,reference\nB2,2024-02-01,5,ORD-1\n", "other.csv")
    assert "1 imported" in run(other).out


def test_batches_share_the_caches(known, tmp_path, owner):
    anna, _ = known
    path = tmp_path / "many.csv"
    rows = [f"{'A1' if i % 2 else 'NEW'},2024-01-{1 + i % 28:02d},{i},Printer" for i in range(25)]
    path.write_text("customer,date,amount,product\n" + "\n".join(rows) + "\n")
    job = PurchaseImport(path, create_customers=True, batch_size=4)
    job.check()
    report = job.run()
    assert (report.rows, report.imported, report.customers_created) == (25, 25, 1)
    assert report.products_created == 1 and report.versions_created == 1
    assert Purchase.objects.count() == 25
    assert PurchaseLine.objects.filter(customer=anna).count() == 12
    ids = list(Purchase.objects.values_list("id", flat=True))
    assert len(set(ids)) == 25
    for purchase in Purchase.objects.prefetch_related("lines"):
        [line] = purchase.lines.all()
        assert line.customer_id == purchase.customer_id and line.amount == purchase.total


def test_new_ids_follow_deleted_ones(known, write):
    assert run(write("customer,date,amount\nA1,2024-01-01,5\n")).status == 0
    first = Purchase.objects.get().pk
    Purchase.objects.all().delete()
    assert run(write("customer,date,amount\nA1,2024-01-02,5\n", "b.csv")).status == 0
    assert Purchase.objects.get().pk > first


def test_the_job_refuses_an_unusable_file_before_any_row(known, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("customer,date\n")
    with pytest.raises(UnusableFile, match="lacks the column amount"):
        PurchaseImport(path).run()


def lifelong(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lifelong")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lifelong"]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_the_exit_status_of_the_console_script(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELONG_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'lifelong.sqlite3'}"
    env["LIFELONG_VAR_DIR"] = str(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    assert lifelong("migrate", "--no-input", env=env).returncode == 0
    created = lifelong("createuser", "boss", "--role", "owner", "--password-env", "PW", env={
        **env, "PW": "a long enough passphrase"})  # fmt: skip
    assert created.returncode == 0, created.stderr
    good = tmp_path / "good.csv"
    good.write_text("customer,date,amount\nC1,1997-01-01,29.33\nC1,19970118,12\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,date,amount\nC1,1997-01-01,29.33\nC2,1997-01-01,-1\n")
    unusable = tmp_path / "unusable.csv"
    unusable.write_text("who,when\n")

    ok = lifelong("import", "purchases", str(good), "--create-customers", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "2 rows read, 2 imported, 0 rejected, 1 customer created" in ok.stdout
    some = lifelong("import", "purchases", str(bad), "--create-customers", env=env)
    assert some.returncode == 1
    assert "line 3: Amount '-1' is negative" in some.stderr
    none = lifelong("import", "purchases", str(unusable), env=env)
    assert none.returncode == 2
    assert "File unusable" in none.stderr


def test_import_purchases_as_a_function_on_cdnow_shaped_rows(known, tmp_path, owner):
    """The value app's whole path (CSV import, SQL summary, fit) starts like this."""
    path = tmp_path / "cdnow.csv"
    path.write_text(
        "customer,date,amount,quantity\n"
        "00001,19970101,11.77,1\n"
        "00002,19970112,12.00,1\n"
        "00002,19970112,77.00,5\n"  # the same day twice: two purchases, merged by the summary
        "00003,19970102,20.76,2\n"
        "00003,19970330,20.76,2\n"
    )
    seen = []
    report = import_purchases(path, create_customers=True, on_reject=seen.append)
    assert (report.rows, report.imported, report.customers_created, seen) == (5, 5, 3, [])
    assert report.exit_status == 0
    three = Customer.objects.get(external_id="00003")
    assert [p.occurred_at.date() for p in three.purchases.order_by("occurred_at")] == [
        dt.date(1997, 1, 2),
        dt.date(1997, 3, 30),
    ]
    assert Purchase.objects.filter(customer__external_id="00002").count() == 2
