"""The profile sheet edited in place, and relatives."""

import pytest
from django.urls import reverse

from lifelong.customers.models import ProfileAnswer, ProfileQuestion, Relative

HTMX = {"HX-Request": "true"}


@pytest.fixture
def birthday(db) -> ProfileQuestion:
    return ProfileQuestion.objects.get(key="birthday")


def answer_url(customer, question) -> str:
    return reverse("customers:answer_edit", args=[customer.pk, question.pk])


def test_customer_page_shows_sheet_and_unknowns(rep_client, customer, birthday):
    body = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "What we don't know yet" in body
    assert "0%" in body
    assert f'id="q-{birthday.pk}"' in body
    assert answer_url(customer, birthday) in body


def test_answer_form_fits_the_kind(rep_client, customer, birthday):
    body = rep_client.get(answer_url(customer, birthday), headers=HTMX).content.decode()
    assert "YYYY-MM-DD or --MM-DD" in body
    assert "<html" not in body
    choice = ProfileQuestion.objects.get(key="marital_status")
    body = rep_client.get(answer_url(customer, choice), headers=HTMX).content.decode()
    assert "<select" in body and ">Married</option>" in body


def test_answer_stores_canonical_value_and_returns_row(rep_client, customer, birthday):
    response = rep_client.post(answer_url(customer, birthday), {"value": "--4-3"}, headers=HTMX)
    assert response.status_code == 200
    assert ProfileAnswer.objects.get(customer=customer, question=birthday).value == "--04-03"
    body = response.content.decode()
    assert "3 April" in body
    assert 'class="answer-row flash-saved"' in body
    assert 'id="profile-summary" hx-swap-oob="true"' in body  # completeness refreshed


def test_answer_rejects_bad_date_inline(rep_client, customer, birthday):
    response = rep_client.post(
        answer_url(customer, birthday), {"value": "2023-02-30"}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="error"' in body
    assert "not a date on the calendar" in body
    assert not ProfileAnswer.objects.filter(customer=customer).exists()


def test_number_answer_is_normalised(rep_client, customer):
    question = ProfileQuestion.objects.get(key="children_count")
    rep_client.post(answer_url(customer, question), {"value": "2,0"}, headers=HTMX)
    assert ProfileAnswer.objects.get(customer=customer, question=question).value == "2"


def test_blank_answer_removes_it(rep_client, rep, customer, birthday):
    from lifelong.customers.services import set_answer

    set_answer(customer, birthday, "1980-04-03", by=rep)
    rep_client.post(answer_url(customer, birthday), {"value": ""}, headers=HTMX)
    assert not ProfileAnswer.objects.filter(customer=customer).exists()


def test_answer_without_javascript_redirects_back(rep_client, customer, birthday):
    page = rep_client.get(answer_url(customer, birthday))
    assert "<html" in page.content.decode()
    assert "hx-post" not in page.content.decode()
    response = rep_client.post(answer_url(customer, birthday), {"value": "1980-04-03"})
    assert response.status_code == 302
    assert response.url.endswith(f"#q-{birthday.pk}")


def test_cancel_returns_the_row(rep_client, customer, birthday):
    url = reverse("customers:answer", args=[customer.pk, birthday.pk])
    body = rep_client.get(url, headers=HTMX).content.decode()
    assert f'id="q-{birthday.pk}"' in body and "Not known" in body


def test_hidden_question_cannot_be_answered(rep_client, customer, birthday):
    birthday.hidden = True
    birthday.save()
    assert rep_client.post(answer_url(customer, birthday), {"value": "--04-03"}).status_code == 404


def test_add_relative(rep_client, customer):
    url = reverse("customers:relative_new", args=[customer.pk])
    response = rep_client.post(
        url, {"name": "Erik", "relationship": "child", "birthday": "--06-01", "notes": ""}
    )
    assert response.status_code == 302
    relative = customer.relatives.get()
    assert relative.birthday.isoformat() == "--06-01"
    body = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Erik" in body and "1 June" in body


def test_relative_bad_birthday_is_shown(rep_client, customer):
    url = reverse("customers:relative_new", args=[customer.pk])
    response = rep_client.post(url, {"name": "Erik", "relationship": "child", "birthday": "june"})
    assert response.status_code == 200
    assert response.context["form"].errors["birthday"]
    assert not customer.relatives.exists()


def test_edit_relative_shows_iso_birthday(rep_client, customer):
    relative = Relative.objects.create(
        customer=customer, name="Eva", relationship="spouse", birthday="1979-12-24"
    )
    url = reverse("customers:relative_edit", args=[customer.pk, relative.pk])
    assert 'value="1979-12-24"' in rep_client.get(url).content.decode()
    rep_client.post(url, {"name": "Eva Berg", "relationship": "spouse", "birthday": "1979-12-24"})
    relative.refresh_from_db()
    assert relative.name == "Eva Berg"


def test_delete_relative_asks_first(rep_client, customer):
    relative = Relative.objects.create(customer=customer, name="Eva", relationship="spouse")
    url = reverse("customers:relative_delete", args=[customer.pk, relative.pk])
    response = rep_client.get(url)
    assert "Remove Eva?" in response.content.decode()
    assert Relative.objects.filter(pk=relative.pk).exists()
    rep_client.post(url)
    assert not Relative.objects.filter(pk=relative.pk).exists()


def test_customer_page_queries_do_not_grow_with_history(rep_client, rep, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lifelong.customers.services import set_answer
    from lifelong.touches.services import log_touch

    url = reverse("customers:detail", args=[customer.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert rep_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    log_touch(customer, user=rep, channel="call", summary="First call")
    Relative.objects.create(customer=customer, name="Kid", relationship="child")
    rep_client.get(url)  # the first request after login also writes the session
    few = queries()
    for i in range(30):
        log_touch(customer, user=rep, channel="call", summary=f"Call {i}")
    for question in ProfileQuestion.objects.filter(kind="text")[:20]:
        set_answer(customer, question, "Something", by=rep)
    for i in range(5):
        Relative.objects.create(customer=customer, name=f"Kid {i}", relationship="child")
    assert queries() == few
