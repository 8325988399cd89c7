import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from lifelong.commerce.models import Purchase
from lifelong.promises import services
from lifelong.promises.models import Promise, Status
from lifelong.promises.tests.conftest import NOW, TODAY, made_earlier, make
from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch

pytestmark = pytest.mark.django_db


def pages(p: Promise) -> list[tuple[str, str]]:
    """Every page of a promise, with the method that changes something."""
    return [
        ("get", reverse("promises:detail", args=[p.pk])),
        ("get", reverse("promises:keep", args=[p.pk])),
        ("post", reverse("promises:keep", args=[p.pk])),
        ("get", reverse("promises:break", args=[p.pk])),
        ("post", reverse("promises:break", args=[p.pk])),
        ("get", reverse("promises:renegotiate", args=[p.pk])),
        ("post", reverse("promises:renegotiate", args=[p.pk])),
        ("get", reverse("promises:new", args=[p.customer_id])),
        ("post", reverse("promises:new", args=[p.customer_id])),
    ]


@time_machine.travel(NOW, tick=False)
def test_the_outsider_gets_404_on_every_page(outsider_client, rep, customer):
    p = make(customer, rep)
    for method, url in pages(p):
        data = {"reason": "x", "due_on": "2025-06-20", "what": "x", "channel": "call"}
        response = getattr(outsider_client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, (method, url)
    assert Promise.objects.get(pk=p.pk).status == Status.OPEN
    assert Promise.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_pages_need_a_login(client, rep, customer):
    p = make(customer, rep)
    for _, url in [*pages(p), ("get", reverse("promises:index"))]:
        assert client.get(url).status_code == 302


@time_machine.travel(NOW, tick=False)
def test_the_panel_on_the_customer_page(rep_client, rep, customer):
    p = make(customer, rep, due_on=TODAY + dt.timedelta(days=1))
    kept = make(customer, rep, what="Send the brochure")
    services.keep(kept, by=rep)
    touch = log_touch(customer, user=rep, channel="call", summary="Asked for a quote")
    response = rep_client.get(reverse("customers:detail", args=[customer.pk]))
    html = response.content.decode()
    assert 'id="promises"' in html
    assert "Call back with the quote" in html and "by 11 Jun 2025" in html
    assert "100% kept" in html
    assert reverse("promises:keep", args=[p.pk]) in html
    assert reverse("promises:renegotiate", args=[p.pk]) in html
    assert reverse("promises:break", args=[p.pk]) in html
    assert f"{reverse('promises:new', args=[customer.pk])}?touch={touch.pk}" in html
    assert "Make a promise" in html


def test_an_overdue_promise_shows_as_overdue(rep_client, rep, customer):
    made_earlier(customer, rep, due_on=TODAY, at=NOW)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        html = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
        assert "badge-overdue" in html
        html = rep_client.get(reverse("promises:index")).content.decode()
        assert "badge-overdue" in html


@time_machine.travel(NOW, tick=False)
def test_making_a_promise_from_the_customer_page(rep_client, rep, customer):
    url = reverse("promises:new", args=[customer.pk])
    data = {"what": "Call back", "due_on": "2025-06-12", "owner": rep.pk, "notify_customer": "on"}
    response = rep_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk]) + "#promises"
    p = Promise.objects.get()
    assert (p.what, p.due_on, p.owner, p.source, p.notify_customer) == (
        "Call back",
        dt.date(2025, 6, 12),
        rep,
        "customer_page",
        True,
    )


@time_machine.travel(NOW, tick=False)
def test_making_one_with_a_window_in_business_time(rep_client, rep, customer):
    url = reverse("promises:new", args=[customer.pk])
    data = {
        "what": "Visit",
        "window_start": "2025-06-12T14:00",
        "window_end": "2025-06-12T16:00",
        "owner": rep.pk,
    }
    assert rep_client.post(url, data).status_code == 302
    p = Promise.objects.get()
    assert p.window_start == dt.datetime(2025, 6, 12, 12, tzinfo=dt.UTC)  # 14:00 in Stockholm


@time_machine.travel(NOW, tick=False)
def test_validation_errors_show_on_the_form(rep_client, rep, customer):
    url = reverse("promises:new", args=[customer.pk])
    response = rep_client.post(url, {"what": "Call", "due_on": "2025-06-01", "owner": rep.pk})
    assert response.status_code == 200
    assert "The due date is in the past." in response.content.decode()
    response = rep_client.post(
        url,
        {
            "what": "Call",
            "window_start": "2025-06-12T16:00",
            "window_end": "2025-06-12T14:00",
            "owner": rep.pk,
        },
    )
    assert "The window must end after it starts." in response.content.decode()
    assert not Promise.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_making_one_from_a_touch_and_from_a_purchase(rep_client, rep, customer):
    touch = log_touch(customer, user=rep, channel="call", summary="Quote", outcome="Send a quote")
    url = reverse("promises:new", args=[customer.pk])
    page = rep_client.get(f"{url}?touch={touch.pk}").content.decode()
    assert "From the touch on" in page and 'value="Send a quote"' in page
    data = {"what": "Send a quote", "due_on": "2025-06-12", "owner": rep.pk, "touch": touch.pk}
    rep_client.post(url, data)
    purchase = Purchase.objects.create(
        customer=customer, occurred_at=NOW, total=100, currency="EUR"
    )
    assert "About the order" in rep_client.get(f"{url}?purchase={purchase.pk}").content.decode()
    data = {"what": "Deliver", "due_on": "2025-06-12", "owner": rep.pk, "purchase": purchase.pk}
    rep_client.post(url, data)
    by_touch, by_purchase = Promise.objects.order_by("id")
    assert (by_touch.source, by_touch.touch) == ("touch", touch)
    assert (by_purchase.source, by_purchase.purchase) == ("purchase", purchase)


@time_machine.travel(NOW, tick=False)
def test_another_customers_touch_is_ignored(rep_client, rep, owner, customer):
    from lifelong.customers.models import Customer

    other = Customer.objects.create(owner=owner, first_name="Eva")
    touch = Touch.objects.create(customer=other, user=owner, channel="call", summary="Secret")
    page = rep_client.get(f"{reverse('promises:new', args=[customer.pk])}?touch={touch.pk}")
    assert "Secret" not in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_keep_break_and_new_date(rep_client, rep, customer):
    a, b, c = (make(customer, rep, what=w) for w in ("A", "B", "C"))
    next_url = reverse("customers:detail", args=[customer.pk]) + "#promises"
    response = rep_client.post(
        reverse("promises:keep", args=[a.pk]), {"channel": "call", "next": next_url}
    )
    assert response["Location"] == next_url
    assert Promise.objects.get(pk=a.pk).status == Status.KEPT
    assert Touch.objects.get().summary == "Kept a promise: A"
    response = rep_client.post(reverse("promises:break", args=[b.pk]), {"reason": ""})
    assert response.status_code == 200  # the reason is required
    rep_client.post(reverse("promises:break", args=[b.pk]), {"reason": "Forgot"})
    assert Promise.objects.get(pk=b.pk).status == Status.BROKEN
    rep_client.post(reverse("promises:renegotiate", args=[c.pk]), {"due_on": "2025-06-20"})
    c.refresh_from_db()
    assert c.status == Status.RENEGOTIATED
    assert c.renegotiated_to.due_on == dt.date(2025, 6, 20)
    # An unsafe next is not followed.
    d = make(customer, rep)
    response = rep_client.post(
        reverse("promises:keep", args=[d.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"].startswith("/customers/")


@time_machine.travel(NOW, tick=False)
def test_the_detail_page_shows_the_chain(rep_client, rep, customer):
    p = make(customer, rep)
    new = services.renegotiate(p, by=rep, due_on=TODAY + dt.timedelta(days=4))
    html = rep_client.get(reverse("promises:detail", args=[new.pk])).content.decode()
    assert "Dates agreed" in html and "by 14 Jun 2025" in html and "by 11 Jun 2025" in html


def test_the_promises_page_lists_overdue_first_and_the_kept_rate(rep_client, rep, customer):
    later = made_earlier(customer, rep, due_on=TODAY + dt.timedelta(days=5), at=NOW, what="Later")
    overdue = made_earlier(customer, rep, due_on=TODAY, at=NOW, what="Overdue one")
    kept = made_earlier(customer, rep, due_on=TODAY, at=NOW, what="Kept one")
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        services.keep(kept, by=rep)
        html = rep_client.get(reverse("promises:index")).content.decode()
        assert html.index("Overdue one") < html.index("Later")
        assert "Kept one" not in html  # open ones by default
        assert "Kept-rate by owner" in html and "Ruben Rep" in html
        assert "<svg" in html and "spark-dot" in html
        html = rep_client.get(reverse("promises:index") + "?status=kept_late").content.decode()
        assert "Kept one" in html and "Later" not in html
        html = rep_client.get(reverse("promises:index") + "?status=overdue").content.decode()
        assert "Overdue one" in html and "Later" not in html
    assert later.pk and overdue.pk


@time_machine.travel(NOW, tick=False)
def test_mine_or_everybodys(owner_client, owner, rep, customer):
    make(customer, rep, what="Rubens promise")
    assert "Rubens promise" not in owner_client.get(reverse("promises:index")).content.decode()
    html = owner_client.get(reverse("promises:index") + "?whose=all").content.decode()
    assert "Rubens promise" in html


@time_machine.travel(NOW, tick=False)
def test_the_page_is_paginated(rep_client, rep, customer):
    for i in range(30):
        make(customer, rep, what=f"Promise number {i:02}")
    html = rep_client.get(reverse("promises:index")).content.decode()
    assert "Page 1 of 2" in html
    html = rep_client.get(reverse("promises:index") + "?page=2").content.decode()
    assert html.count('class="promise-what"') == 5


@time_machine.travel(NOW, tick=False)
def test_the_outsider_sees_no_promises_on_the_list(outsider_client, rep, customer):
    make(customer, rep, what="Secret promise")
    html = outsider_client.get(reverse("promises:index") + "?whose=all&status=any").content
    assert b"Secret promise" not in html and b"Ruben Rep" not in html
