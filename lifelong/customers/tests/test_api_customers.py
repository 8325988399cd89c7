"""The customers API: listing, creating, editing, archiving, and who may do what."""

import pytest
from django.test import Client

from conftest import bearer
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

URL = "/api/v1/customers"


def send(user, method: str, path: str, body: dict | None = None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method)(path, **kwargs)


def make(owner, first_name: str, **fields) -> Customer:
    return save_customer(Customer(owner=owner, first_name=first_name, **fields))


def errors(response) -> dict[str | None, str]:
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["detail"]}


# ---------------------------------------------------------------- reading


def test_a_rep_lists_only_their_own_customers(rep, outsider, customer):
    make(outsider, "Otto's customer")
    body = send(rep, "get", URL).json()
    assert [c["id"] for c in body["items"]] == [customer.pk]
    assert body["next_cursor"] is None


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_managers_and_owners_list_every_customer(request, role, outsider, customer):
    other = make(outsider, "Olle")
    body = send(request.getfixturevalue(role), "get", URL).json()
    assert {c["id"] for c in body["items"]} == {customer.pk, other.pk}


def test_it_shows_a_customer_in_full(rep, customer):
    body = send(rep, "get", f"{URL}/{customer.pk}").json()
    assert body["id"] == customer.pk
    assert body["owner"] == {"id": rep.pk, "username": "ruben"}
    assert body["emails"] == [{"address": "anna@berg.example", "label": "home"}]
    assert body["phones"] == [{"number": "+46701234567", "label": "mobile"}]
    assert body["tags"] == ["vip"]
    assert body["referred_by"] is None
    assert body["archived_at"] is None
    assert body["created_at"]


def test_it_filters_by_search_tag_and_status(manager, rep, customer):
    make(rep, "Bertil", status="prospect")

    def names(query: str) -> list[str]:
        return [c["first_name"] for c in send(manager, "get", URL + query).json()["items"]]

    assert names("?q=anna") == ["Anna"]
    assert names("?q=0701234567") == ["Anna"]
    assert names("?tag=vip") == ["Anna"]
    assert names("?status=prospect") == ["Bertil"]
    assert names("?owner=" + str(manager.pk)) == []


def test_it_rejects_a_filter_it_does_not_know(rep):
    assert set(errors(send(rep, "get", URL + "?status=vip&sort=random&limit=0"))) == {
        "status",
        "sort",
        "limit",
    }


def test_pages_walk_every_customer_exactly_once(rep):
    created = {make(rep, f"Kund {i}", last_name=["Ek", "Al", "Berg"][i % 3]).pk for i in range(7)}
    for sort in ["name", "-name", "newest", "oldest", "touched", "-touched"]:
        seen, cursor, pages = [], "", 0
        while True:
            body = send(rep, "get", f"{URL}?limit=3&sort={sort}&cursor={cursor}").json()
            seen += [c["id"] for c in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(created), sort
        assert pages == 3


def test_a_cursor_it_did_not_make_is_a_400(rep):
    response = send(rep, "get", URL + "?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_a_limit_above_200_is_refused(rep):
    assert "limit" in errors(send(rep, "get", URL + "?limit=201"))


# ---------------------------------------------------------------- creating


def test_a_rep_creates_a_customer_they_own(rep):
    response = send(
        rep,
        "post",
        URL,
        {
            "first_name": " Cecilia ",
            "last_name": "Dahl",
            "emails": [{"address": "Cecilia@Dahl.example", "label": "work"}],
            "phones": [{"number": "070-765 43 21"}],
            "tags": ["Golf", "golf", "VIP"],
            "became_customer_on": "2020-05-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == rep.pk
    assert body["first_name"] == "Cecilia"
    assert body["emails"] == [{"address": "cecilia@dahl.example", "label": "work"}]
    assert body["phones"] == [{"number": "+46707654321", "label": "mobile"}]
    assert body["tags"] == ["golf", "vip"]
    assert body["became_customer_on"] == "2020-05-01"
    assert Customer.objects.get(pk=body["id"]).owner == rep


def test_a_rep_cannot_give_a_new_customer_to_somebody_else(rep, manager):
    response = send(rep, "post", URL, {"first_name": "Dora", "owner": manager.pk})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Customer.objects.filter(first_name="Dora").exists()


def test_a_manager_names_the_owner(manager, rep):
    response = send(manager, "post", URL, {"first_name": "Dora", "owner": rep.pk})
    assert response.status_code == 201
    assert response.json()["owner"]["id"] == rep.pk


def test_the_owner_must_be_an_active_user(manager, outsider):
    outsider.is_active = False
    outsider.save()
    assert "owner" in errors(send(manager, "post", URL, {"first_name": "E", "owner": outsider.pk}))
    assert "owner" in errors(send(manager, "post", URL, {"first_name": "E", "owner": 9999}))


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"first_name": "F", "emails": [{"address": "not-an-email"}]}, "emails", "valid email"),
        ({"first_name": "F", "phones": [{"number": "12"}]}, "phones", "phone number"),
        ({"nickname": "nameless"}, None, "first name"),
        (
            {"first_name": "F", "emails": [{"address": "f@x.se", "label": "x"}]},
            "emails.0.label",
            "",
        ),
        ({"first_name": "F", "status": "vip"}, "status", ""),
        ({"first_name": "F", "became_customer_on": "yesterday"}, "became_customer_on", ""),
        ({"first_name": "F" * 101}, "first_name", "100"),
    ],
)
def test_an_invalid_customer_is_a_422_naming_the_field(rep, body, field, words):
    found = errors(send(rep, "post", URL, body))
    assert field in found
    assert words in found[field]
    assert not Customer.objects.exists()


def test_every_problem_is_reported_at_once(rep):
    found = errors(
        send(rep, "post", URL, {"emails": [{"address": "x"}], "phones": [{"number": "1"}]})
    )
    assert set(found) == {"emails", "phones", None}


def test_an_external_id_in_use_is_a_field_error(rep, customer):
    customer.external_id = "CRM-1"
    save_customer(customer)
    found = errors(send(rep, "post", URL, {"first_name": "G", "external_id": "CRM-1"}))
    assert "external_id" in found


def test_the_referrer_must_be_a_customer_the_caller_can_see(rep, outsider, customer):
    hidden = make(outsider, "Hidden")
    unseen = errors(send(rep, "post", URL, {"first_name": "H", "referred_by": hidden.pk}))
    unknown = errors(send(rep, "post", URL, {"first_name": "H", "referred_by": 99999}))
    assert "referred_by" in unseen
    assert "referred_by" in unknown
    assert not Customer.objects.filter(first_name="H").exists()

    response = send(rep, "post", URL, {"first_name": "H", "referred_by": customer.pk})
    assert response.status_code == 201
    assert response.json()["referred_by"] == customer.pk


# ---------------------------------------------------------------- editing


def test_patch_changes_only_what_is_sent_and_normalises_phones(rep, customer):
    response = send(
        rep,
        "patch",
        f"{URL}/{customer.pk}",
        {"phones": [{"number": "08-123 456 78", "label": "work"}], "city": "Uppsala"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phones"] == [{"number": "+46812345678", "label": "work"}]
    assert body["city"] == "Uppsala"
    assert body["first_name"] == "Anna"
    assert body["emails"] == [{"address": "anna@berg.example", "label": "home"}]
    assert body["tags"] == ["vip"]
    customer.refresh_from_db()
    assert customer.phones.get().number == "+46812345678"


def test_patch_ignores_keys_it_does_not_know(rep, manager, customer):
    response = send(
        rep,
        "patch",
        f"{URL}/{customer.pk}",
        {"owner_id": manager.pk, "sort_name": "zzz", "id": 999, "archived_at": "2020-01-01"},
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.pk, customer.owner_id, customer.sort_name) == (
        customer.pk,
        rep.pk,
        "berg anna",
    )
    assert customer.archived_at is None


def test_patch_refuses_null_for_a_field_that_cannot_be_empty(rep, customer):
    assert "first_name" in errors(send(rep, "patch", f"{URL}/{customer.pk}", {"first_name": None}))


def test_a_failed_patch_writes_nothing(rep, customer):
    found = errors(
        send(rep, "patch", f"{URL}/{customer.pk}", {"city": "Lund", "referred_by": 99999})
    )
    assert "referred_by" in found
    customer.refresh_from_db()
    assert customer.city == ""


def test_a_rep_cannot_hand_their_customer_over(rep, manager, customer):
    response = send(rep, "patch", f"{URL}/{customer.pk}", {"owner": manager.pk})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.owner == rep


def test_a_manager_reassigns_a_customer(manager, outsider, customer):
    response = send(manager, "patch", f"{URL}/{customer.pk}", {"owner": outsider.pk})
    assert response.json()["owner"]["id"] == outsider.pk


def test_consent_is_stamped_when_it_changes(rep, customer):
    body = send(rep, "patch", f"{URL}/{customer.pk}", {"email_consent": True}).json()
    assert body["email_consent"] is True
    assert body["email_consent_at"] is not None


def test_put_replaces_the_whole_customer_but_keeps_the_owner(rep, customer):
    response = send(rep, "put", f"{URL}/{customer.pk}", {"first_name": "Anna", "city": "Visby"})
    assert response.status_code == 200
    body = response.json()
    assert (body["last_name"], body["company"], body["city"]) == ("", "", "Visby")
    assert body["emails"] == body["phones"] == body["tags"] == []
    assert body["owner"]["id"] == rep.pk


# ---------------------------------------------------------------- archiving


def test_delete_archives_and_restore_brings_back(rep, customer):
    response = send(rep, "delete", f"{URL}/{customer.pk}")
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert send(rep, "get", URL).json()["items"] == []
    assert [c["id"] for c in send(rep, "get", URL + "?archived=true").json()["items"]] == [
        customer.pk
    ]

    response = send(rep, "post", f"{URL}/{customer.pk}/restore")
    assert response.status_code == 200
    assert response.json()["archived_at"] is None
    assert len(send(rep, "get", URL).json()["items"]) == 1


def test_a_known_consent_time_is_kept_and_given_back_in_utc(rep):
    body = {
        "first_name": "I",
        "email_consent": True,
        "email_consent_at": "2023-05-01T12:00:00+02:00",
    }
    response = send(rep, "post", URL, body)
    assert response.json()["email_consent_at"] == "2023-05-01T10:00:00Z"


def test_a_page_costs_the_same_few_queries_however_long(rep, django_assert_max_num_queries):
    for i in range(30):
        save_customer(
            Customer(owner=rep, first_name=f"K{i}"), emails=[f"k{i}@x.example"], tags=["t"]
        )
    headers = bearer(rep)
    Client().get(URL + "?limit=1", headers=headers)  # first use: the token's last_used_at
    # The business's time zone, the token, the page, then emails, phones and tags once each.
    with django_assert_max_num_queries(6):
        response = Client().get(URL + "?limit=30", headers=headers)
    assert len(response.json()["items"]) == 30
