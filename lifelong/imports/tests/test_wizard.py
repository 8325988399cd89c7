"""The import wizard's pages: upload, preview and mapping, dry run, import, progress, undo."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lifelong.customers.models import Customer
from lifelong.imports.models import ImportBatch

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Förnamn;Efternamn;E-post;Telefon;Född\r\n"
    "Åsa;Müller;asa@example.com;070-123 45 67;03/04/1980\r\n"
    "Bo;Ek;not-an-email;;\r\n"
    "Cia;Lund;cia@example.com;;--0412\r\n"
).encode("cp1252")


def upload(client, data=CSV, name="kunder.csv", **extra):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("imports:upload"), {"file": file, "format": "auto",
                       "date_order": "DMY", **extra})  # fmt: skip


def token_of(response) -> str:
    return response.url.split("/")[-3]


def test_upload_preview_map_dry_run_import_and_undo(rep, rep_client):
    r = upload(rep_client)
    assert r.status_code == 302
    token = token_of(r)
    page = rep_client.get(reverse("imports:mapping", args=[token]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Müller" in text and "cp1252" in text and "semicolons" in text
    mapping = {"col-0": "first_name", "col-1": "last_name", "col-2": "email", "col-3": "phone",
               "col-4": "birthday", "on_duplicate": "skip"}  # fmt: skip
    dry = rep_client.post(reverse("imports:mapping", args=[token]), mapping)
    assert dry.status_code == 200
    text = dry.content.decode()
    assert "Dry run: nothing written yet" in text and "line 3:" in text
    assert Customer.objects.count() == 0
    r = rep_client.post(reverse("imports:start", args=[token]))
    assert r.status_code == 302
    for _ in range(100):  # the import runs in a thread; the page polls
        progress = rep_client.get(reverse("imports:progress", args=[token]), HTTP_HX_REQUEST="1")
        if b"Imported" in progress.content:
            break
        time.sleep(0.1)
    assert b"Imported" in progress.content
    assert set(Customer.objects.values_list("last_name", flat=True)) == {"Müller", "Lund"}
    assert set(Customer.objects.values_list("owner", flat=True)) == {rep.pk}
    batch = ImportBatch.objects.get()
    undo = rep_client.get(reverse("imports:undo", args=[batch.pk]))
    assert b"Undo the import" in undo.content
    rep_client.post(reverse("imports:undo", args=[batch.pk]))
    assert Customer.objects.count() == 0


def test_an_unusable_file_is_refused_with_a_reason(rep_client):
    r = upload(rep_client, data=b"\x00\x01\x02binary" * 20, name="photo.jpg")
    assert r.status_code == 400
    assert b"This file cannot be imported" in r.content


def test_nobody_else_reaches_an_upload_or_a_batch(rep, rep_client, outsider_client):
    token = token_of(upload(rep_client))
    for name in ("imports:mapping", "imports:progress"):
        assert outsider_client.get(reverse(name, args=[token])).status_code == 404
    assert outsider_client.post(reverse("imports:start", args=[token])).status_code == 404
    rep_client.post(reverse("imports:mapping", args=[token]), {"col-0": "first_name"})
    rep_client.post(reverse("imports:start", args=[token]))
    for _ in range(100):
        if ImportBatch.objects.exists():
            break
        time.sleep(0.1)
    batch = ImportBatch.objects.get()
    assert outsider_client.get(reverse("imports:undo", args=[batch.pk])).status_code == 404
    assert outsider_client.post(reverse("imports:undo", args=[batch.pk])).status_code == 404


def test_a_mapping_to_nothing_is_refused(rep_client):
    token = token_of(upload(rep_client))
    r = rep_client.post(reverse("imports:mapping", args=[token]), {"col-0": ""})
    assert r.status_code == 400 and b"Choose at least one column" in r.content
