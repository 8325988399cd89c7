"""The panel, the occasions page, adding and deleting dates, and the calendar feed."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from lifelong.customers.models import Customer
from lifelong.customers.panels import render_panels
from lifelong.occasions.feed import feed_for
from lifelong.occasions.models import CalendarFeed, Kind, Occasion
from lifelong.occasions.tests.conftest import add_child, make_customer, with_birthday

NOW = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_panel_lists_dates_with_their_next_day(rf, customer, rep, birthday_question):
    with_birthday(customer, birthday_question, "1980-11-27")
    add_child(customer, "Emma", "--12-02")
    Occasion.objects.create(customer=customer, kind=Kind.CUSTOM, month=1, day=5, label="Renewal")
    request = rf.get("/")
    request.user = rep
    html = "".join(render_panels(request, customer, "side"))
    assert "Occasions" in html
    assert "Birthday" in html and "Fri 27 Nov" in html and "turns 46" in html
    assert "Emma&#x27;s birthday (child)" in html
    assert "Change it in the profile sheet" in html
    assert reverse("occasions:add", args=[customer.pk]) in html
    assert html.count("Delete</a>") == 1  # only the one a person added


def test_add_a_date_and_show_errors(rep_client, customer):
    url = reverse("occasions:add", args=[customer.pk])
    bad = rep_client.post(url, {"kind": "one_off", "label": "", "date": "--02-30"})
    assert bad.status_code == 422
    assert "Say what the date is" in bad.content.decode()
    assert "not a date on the calendar" in bad.content.decode()
    yearless = rep_client.post(url, {"kind": "one_off", "label": "Call", "date": "--03-01"})
    assert "needs its year" in yearless.content.decode()
    ok = rep_client.post(url, {"kind": "custom", "label": "Renewal", "date": "--03-01"})
    assert ok.status_code == 302
    assert Occasion.objects.get(customer=customer).label == "Renewal"


def test_delete_asks_then_deletes_only_added_dates(rep_client, customer):
    added = Occasion.objects.create(customer=customer, kind=Kind.CUSTOM, month=1, day=5, label="R")
    derived = add_child(customer, "Emma", "--12-02").occasions.get()
    url = reverse("occasions:delete", args=[customer.pk, added.pk])
    assert "Delete this date?" in rep_client.get(url).content.decode()
    assert rep_client.post(url).status_code == 302
    assert not Occasion.objects.filter(pk=added.pk).exists()
    rep_client.post(reverse("occasions:delete", args=[customer.pk, derived.pk]))
    assert Occasion.objects.filter(pk=derived.pk).exists()


def test_the_page_shows_the_feed_and_the_next_30_days(rep_client, rep, customer, outsider):
    add_child(customer, "Emma", "--12-02")
    page = rep_client.get(reverse("occasions:index")).content.decode()
    assert feed_for(rep).token in page
    assert "Emma&#x27;s birthday (child)" in page
    other = Client()
    other.force_login(outsider)
    empty = other.get(reverse("occasions:index")).content.decode()
    assert "Nothing in the next 30 days" in empty


def test_reset_makes_a_new_address(rep_client, rep):
    old = feed_for(rep).token
    assert rep_client.get(reverse("occasions:reset")).status_code == 200  # the confirm step
    assert feed_for(rep).token == old
    assert rep_client.post(reverse("occasions:reset")).status_code == 302
    new = feed_for(rep).token
    assert new != old
    assert Client().get(reverse("occasions:feed", args=[old])).status_code == 404
    assert Client().get(reverse("occasions:feed", args=[new])).status_code == 200


def events(response) -> dict[str, object]:
    cal = Calendar.from_ical(response.content)
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_the_feed_holds_one_event_per_occasion_with_yearly_rules(
    settings, rep, customer, outsider, birthday_question
):
    with_birthday(customer, birthday_question, "1980-02-29")
    Occasion.objects.create(
        customer=customer, kind=Kind.ONE_OFF, month=12, day=1, year=2026, label="Contract ends"
    )
    add_child(make_customer(outsider, "Bo", "Ek"), "Lisa", "--05-05")
    url = reverse("occasions:feed", args=[feed_for(rep).token])
    response = Client().get(url)
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response)
    assert set(found) == {"Anna Berg: birthday", "Anna Berg: Contract ends"}  # no Bo
    birthday = found["Anna Berg: birthday"]
    assert birthday["dtstart"].dt == dt.date(1980, 2, 29)
    assert birthday["dtstart"].params.get("VALUE") == "DATE"
    assert birthday["rrule"] == {"FREQ": ["YEARLY"], "BYMONTH": [2], "BYMONTHDAY": [-1]}
    assert f"/customers/{customer.pk}/" in str(birthday["description"])
    assert str(birthday["uid"]).startswith(
        f"occasion-{customer.occasions.get(kind='birthday').pk}@"
    )
    once = found["Anna Berg: Contract ends"]
    assert "rrule" not in once
    assert once["dtstart"].dt == dt.date(2026, 12, 1)

    settings.LIFELONG_OCCASIONS = {"leap_day": "mar1"}
    birthday = events(Client().get(url))["Anna Berg: birthday"]
    assert birthday["rrule"] == {"FREQ": ["YEARLY"], "BYYEARDAY": [60]}


def test_the_owners_feed_has_everyones_and_a_wrong_token_is_404(owner, customer, outsider):
    add_child(customer, "Emma", "--12-02")
    add_child(make_customer(outsider, "Bo", "Ek"), "Lisa", "--05-05")
    found = events(Client().get(reverse("occasions:feed", args=[feed_for(owner).token])))
    assert set(found) == {"Anna Berg: Emma's birthday (child)", "Bo Ek: Lisa's birthday (child)"}
    assert Client().get(reverse("occasions:feed", args=["nope"])).status_code == 404
    assert CalendarFeed.objects.count() == 1


def test_outsider_gets_404_on_every_occasion_page(outsider_client, customer):
    occasion = Occasion.objects.create(
        customer=customer, kind=Kind.CUSTOM, month=1, day=2, label="x"
    )
    add = reverse("occasions:add", args=[customer.pk])
    delete = reverse("occasions:delete", args=[customer.pk, occasion.pk])
    assert outsider_client.get(add).status_code == 404
    assert (
        outsider_client.post(add, {"kind": "custom", "label": "x", "date": "--01-01"}).status_code
        == 404
    )
    assert outsider_client.get(delete).status_code == 404
    assert outsider_client.post(delete).status_code == 404
    assert Occasion.objects.filter(pk=occasion.pk).exists()
    assert Customer.objects.get(pk=customer.pk).occasions.count() == 1
