import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from conftest import bearer
from lifelong.outreach.models import Message
from lifelong.promises import services
from lifelong.promises.models import Promise, Status
from lifelong.promises.tests.conftest import NOW, TODAY, make
from lifelong.touches.models import Touch

pytestmark = pytest.mark.django_db
API = "/api/v1"


def call(user, method: str, path: str, body: dict | None = None):
    client = Client()
    kwargs = {"content_type": "application/json", "headers": bearer(user)}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(API + path, **kwargs)


@time_machine.travel(NOW, tick=False)
def test_the_outsider_gets_404_on_every_operation(outsider, rep, customer):
    p = make(customer, rep)
    c = customer.pk
    for method, path, body in [
        ("get", f"/customers/{c}/promises", None),
        ("post", f"/customers/{c}/promises", {"what": "x", "due_on": "2025-06-12"}),
        ("get", f"/promises/{p.pk}", None),
        ("post", f"/promises/{p.pk}/keep", {}),
        ("post", f"/promises/{p.pk}/break", {"reason": "x"}),
        ("post", f"/promises/{p.pk}/renegotiate", {"due_on": "2025-06-20"}),
        ("get", f"/promises/kept-rate?customer_id={c}", None),
    ]:
        response = call(outsider, method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "Not found"}
    assert Promise.objects.get(pk=p.pk).status == Status.OPEN
    assert call(outsider, "get", "/promises?mine=false").json()["items"] == []


@time_machine.travel(NOW, tick=False)
def test_create_list_and_get(rep, customer):
    touch = Touch.objects.create(customer=customer, user=rep, channel="call", summary="Quote")
    response = call(
        rep,
        "post",
        f"/customers/{customer.pk}/promises",
        {
            "what": "Send the quote",
            "window_start": "2025-06-12T14:00:00+02:00",
            "window_end": "2025-06-12T16:00:00+02:00",
            "notify_customer": True,
            "touch_id": touch.pk,
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["customer_name"] == "Anna Berg"
    assert data["owner"]["username"] == "ruben"
    assert (data["status"], data["overdue"], data["source"]) == ("open", False, "touch")
    assert data["deadline"] == "2025-06-12T14:00:00Z"  # 16:00 in Stockholm, in UTC
    assert Message.objects.count() == 1
    listed = call(rep, "get", f"/customers/{customer.pk}/promises").json()
    assert [p["id"] for p in listed["items"]] == [data["id"]]
    assert call(rep, "get", f"/promises/{data['id']}").json()["what"] == "Send the quote"
    mine = call(rep, "get", "/promises?due=true").json()["items"]
    assert [p["id"] for p in mine] == [data["id"]]


@time_machine.travel(NOW, tick=False)
def test_validation_errors_are_422_by_field(rep, outsider, customer):
    path = f"/customers/{customer.pk}/promises"
    for body, field in [
        ({"what": "", "due_on": "2025-06-12"}, "what"),
        ({"what": "x", "due_on": "2025-06-01"}, "due_on"),
        ({"what": "x"}, "due_on"),
        (
            {
                "what": "x",
                "window_start": "2025-06-12T16:00:00+02:00",
                "window_end": "2025-06-12T14:00:00+02:00",
            },
            "window_end",
        ),
        ({"what": "x", "window_start": "2025-06-12T14:00:00", "window_end": "x"}, None),
        ({"what": "x", "due_on": "2025-06-12", "owner_id": outsider.pk}, "owner"),
        ({"what": "x", "due_on": "2025-06-12", "touch_id": 999}, "touch_id"),
    ]:
        response = call(rep, "post", path, body)
        assert response.status_code == 422, body
        if field:
            assert field in [d["field"] for d in response.json()["detail"]], response.json()
    assert not Promise.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_keep_break_renegotiate(rep, customer):
    a, b, c = (make(customer, rep, what=w) for w in "ABC")
    response = call(rep, "post", f"/promises/{a.pk}/keep", {"channel": "email"})
    assert response.status_code == 200
    assert response.json()["status"] == "kept"
    assert Touch.objects.get().channel == "email"
    again = call(rep, "post", f"/promises/{a.pk}/keep", {})
    assert again.status_code == 422
    assert call(rep, "post", f"/promises/{b.pk}/break", {"reason": ""}).status_code == 422
    response = call(rep, "post", f"/promises/{b.pk}/break", {"reason": "Forgot"})
    assert response.json()["status"] == "broken"
    response = call(rep, "post", f"/promises/{c.pk}/renegotiate", {"due_on": "2025-06-20"})
    assert response.status_code == 201
    new = response.json()
    assert (new["status"], new["due_on"], new["what"]) == ("open", "2025-06-20", "C")
    assert call(rep, "get", f"/promises/{c.pk}").json()["renegotiated_to"] == new["id"]


def test_kept_late_by_kept_at(rep, customer):
    with time_machine.travel(NOW, tick=False):
        p = make(customer, rep, due_on=TODAY)
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        body = {"kept_at": "2025-06-11T09:00:00+02:00"}
        assert call(rep, "post", f"/promises/{p.pk}/keep", body).json()["status"] == "kept_late"


@time_machine.travel(NOW, tick=False)
def test_the_kept_rate(rep, manager, customer):
    for what in "AB":
        services.keep(make(customer, rep, what=what), by=rep)
    services.break_promise(make(customer, manager), by=manager, reason="x")
    data = call(manager, "get", "/promises/kept-rate").json()
    assert data["total"] == {"kept": 2, "kept_late": 0, "broken": 1, "decided": 3, "rate": 0.6667}
    assert len(data["months"]) == 12 and data["months"][-1]["month"] == "2025-06"
    assert [(o["owner_name"], o["total"]["rate"]) for o in data["owners"]] == [
        ("Ruben Rep", 1.0),
        ("Maja Manager", 0.0),
    ]
    mine = call(rep, "get", f"/promises/kept-rate?owner_id={rep.pk}").json()
    assert mine["total"]["decided"] == 2
