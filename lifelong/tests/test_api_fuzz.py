"""Fuzz every operation of /api/v1 with Schemathesis, from the OpenAPI document the app serves.

For each operation, as the owner and as a rep, on a small demo business (customers with
purchases, touches, relatives, promises, events, surveys...): requests generated from the
schema, valid ones and invalid ones, with path ids drawn mostly from records that exist,
each checked for
- no server error (5xx),
- a status code the document lists for the operation,
- a body that matches the document's schema for that status,
- a Content-Type the document lists.

Every example runs in a savepoint that is rolled back, so a DELETE does not take the data
away from the next example and a failure replays the same way.

LIFELONG_FUZZ_EXAMPLES (default 6) is the examples per operation and role;
LIFELONG_FUZZ_RANDOM=1 draws fresh examples instead of the same ones every run. See
docs/fuzzing.md.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import bearer
from lifelong import demo
from lifelong.accounts.models import Role, User
from lifelong.api import api
from lifelong.wsgi import application

EXAMPLES = int(os.environ.get("LIFELONG_FUZZ_EXAMPLES", "6"))
RANDOM = bool(os.environ.get("LIFELONG_FUZZ_RANDOM"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]

# The document /api/v1/openapi.json serves, built in-process: fetching it through the
# WSGI app at import time would need the database, which tests only get later.
PREFIX = reverse("api:openapi-json").removesuffix("openapi.json")
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=PREFIX))
schema.app = application  # requests go to Django's WSGI handler in-process
OPERATIONS = [result.ok() for result in schema.get_all_operations()]

# What the run did, printed at the end of the module (docs/fuzzing.md quotes it).
examples_run: Counter[str] = Counter()


@pytest.fixture(autouse=True, scope="module")
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not examples_run:
        return
    operations = {label.rsplit(" as ", 1)[0] for label in examples_run}
    with capture.global_and_fixture_disabled():  # past pytest's capture, onto the terminal
        reporter.write_line(
            f"\nAPI fuzz: {len(operations)} operations, {len(examples_run)} operation-role "
            f"pairs, {sum(examples_run.values())} requests "
            f"(LIFELONG_FUZZ_EXAMPLES={EXAMPLES} per operation and role)"
        )
    examples_run.clear()  # said once, even if pytest sets the module up again


@pytest.fixture
def raw_wsgi() -> Iterator[None]:
    """Requests go to Django's WSGI handler, not the test client, so keep its request
    signals from closing the connection that holds the test's transaction (as the test
    client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@dataclass
class Business:
    headers: dict[str, dict[str, str]]  # role -> Authorization header
    ids: dict[str, list]  # path parameter name -> ids that exist


# Path parameter -> how to list the ids that exist for it.
def _existing_ids() -> dict[str, list]:
    from lifelong.commerce.models import Product, Purchase
    from lifelong.customers.models import Customer, ProfileQuestion, Relative
    from lifelong.events.models import Event
    from lifelong.occasions.models import Occasion
    from lifelong.outreach.models import Message, Program, Suppression, Template
    from lifelong.promises.models import Promise
    from lifelong.referrals.models import Referral
    from lifelong.segments.models import Segment
    from lifelong.surveys.models import Survey
    from lifelong.touches.models import Touch

    def pks(model: type, n: int = 6) -> list:
        return list(model.objects.order_by("pk").values_list("pk", flat=True)[:n])

    return {
        "customer_id": pks(Customer, 12),
        "relative_id": pks(Relative),
        "touch_id": pks(Touch),
        "purchase_id": pks(Purchase),
        "product_id": pks(Product),
        "occasion_id": pks(Occasion),
        "segment_id": pks(Segment),
        "template_id": pks(Template),
        "program_id": pks(Program),
        "message_id": pks(Message),
        "suppression_id": pks(Suppression),
        "referral_id": pks(Referral),
        "survey_id": pks(Survey),
        "promise_id": pks(Promise),
        "event_id": pks(Event),
        "question_key": list(
            ProfileQuestion.objects.order_by("position").values_list("key", flat=True)[:6]
        ),
    }


@pytest.fixture
def business(db, raw_wsgi) -> Business:
    demo.generate(12, progress=False)
    owner = User.objects.get(role=Role.OWNER)
    rep = User.objects.filter(role=Role.REP, customers__isnull=False).order_by("pk").first()
    return Business(headers={"owner": bearer(owner), "rep": bearer(rep)}, ids=_existing_ids())


def _label(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


HUGE = [2**63, 2**70, -(2**63) - 1]


def _int_spots(value: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key) for every whole number (not a bool) inside `value`."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            yield value, key
        else:
            yield from _int_spots(item)


def fuzz(operation, role: str, headers: dict[str, str], ids: dict[str, list]) -> None:
    """Run EXAMPLES generated requests to `operation` as `role`, checking each answer."""
    label = f"{_label(operation)} as {role}"
    mapped = [p for p in re.findall(r"{(\w+)}", operation.path) if ids.get(p)]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        derandomize=not RANDOM,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def run(case, data) -> None:
        # Three times in four an id that exists, so the operation gets past its 404.
        for name in mapped:
            if data.draw(st.integers(0, 3)) > 0:
                case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
        # One time in four a whole number somewhere in the query or body becomes one
        # past 64 bits: the generator seldom goes there, and that is where SQL overflowed.
        spots = [*_int_spots(case.query), *_int_spots(case.body)]
        if spots and data.draw(st.integers(0, 3)) == 0:
            container, key = data.draw(st.sampled_from(spots))
            container[key] = data.draw(st.sampled_from(HUGE))
        examples_run[label] += 1
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_operation_answers_as_documented(operation, business: Business) -> None:
    for role, headers in business.headers.items():
        fuzz(operation, role, headers, business.ids)


# ---------------------------------------------------------------- what the fuzzer found
# Each was a failure of the test above; these pin the fix with one plain request.


def test_the_document_names_every_schema_once() -> None:
    """Customers' Status and promises' Status (and the two Channels, the two
    InvitationOut) shared one component, so the document gave customers the promise
    statuses. Building the document now refuses a name used twice."""
    components = api.get_openapi_schema(path_prefix=PREFIX)["components"]["schemas"]
    customer = components["CustomerOut"]["properties"]["status"]
    assert components[customer["$ref"].rsplit("/", 1)[1]]["enum"] == [
        "prospect",
        "customer",
        "former",
    ]
    assert "InvitationOut" in components and "SurveyInvitationOut" in components


@pytest.mark.django_db
def test_a_post_to_a_path_with_no_operation_is_a_json_404_even_with_csrf_checks(owner) -> None:
    """A non-numeric id matched no operation, and the catch-all was not CSRF-exempt: a
    token client got Django's HTML 403 "CSRF cookie not set"."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/customers/1e-250/merge",
        data={},
        content_type="application/json",
        headers=bearer(owner),
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.django_db
def test_an_id_past_64_bits_in_a_segment_filter_is_a_422(owner) -> None:
    """It went into pk__in, and SQLite's driver raised OverflowError: a 500."""
    response = Client().post(
        "/api/v1/segments",
        data={"name": "Big", "filters": {"owner": [2**70]}},
        content_type="application/json",
        headers=bearer(owner),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "filters.owner.0"


@pytest.mark.django_db
def test_me_without_a_token_is_the_documented_401(client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    document = api.get_openapi_schema(path_prefix=PREFIX)
    assert 401 in document["paths"]["/api/v1/me"]["get"]["responses"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/at-risk", "/api/v1/referrals/top"])
def test_an_offset_past_64_bits_is_a_422(owner, path: str) -> None:
    """It went into SQL's OFFSET: OverflowError and a 500."""
    response = Client().get(path, {"offset": 2**70}, headers=bearer(owner))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "offset"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["touches", "purchases", "relatives"])
def test_a_customer_id_past_64_bits_in_a_path_is_a_404(owner, kind: str) -> None:
    """The access helpers looked the record up by customer_id, a foreign key, which
    overflowed (a 500) where the customer's own lookup by pk finds nothing."""
    response = Client().get(f"/api/v1/customers/{2**70}/{kind}/1", headers=bearer(owner))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/customers", "owner"),
        ("/api/v1/at-risk", "owner"),
        ("/api/v1/messages", "customer"),
        ("/api/v1/promises/kept-rate", "owner_id"),
    ],
)
def test_a_query_id_past_64_bits_is_a_422(owner, path: str, name: str) -> None:
    """Each filtered a foreign key by it, which overflowed: a 500."""
    response = Client().get(path, {name: 2**70}, headers=bearer(owner))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == name


@pytest.mark.django_db
def test_a_moment_with_a_large_offset_is_stored_and_one_before_year_1_is_a_422(owner) -> None:
    """PostgreSQL refused the offset +23:57 (a 500); SQLite overflowed converting
    0001-01-01T00:00+01:00 to UTC (a 500). Moments are converted to UTC on the way in."""

    def create(starts_at: str, ends_at: str):
        body = {"name": "Lunch", "kind": "working_lunch", "starts_at": starts_at}
        body["ends_at"] = ends_at
        return Client().post(
            "/api/v1/events", body, content_type="application/json", headers=bearer(owner)
        )

    response = create("2031-07-09T19:30:00+23:57", "2031-07-09T23:30:00+23:57")
    assert response.status_code == 201, response.content
    assert response.json()["starts_at"].startswith("2031-07-08T19:33:00")
    response = create("0001-01-01T00:00:00+01:00", "2031-07-09T23:30:00Z")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "starts_at"


@pytest.mark.django_db
@pytest.mark.parametrize("starts_at", ["2030-01-01T09:00:00", "0001-01-01T00:00:00+01:00"])
def test_a_program_start_without_an_offset_or_before_year_1_is_a_422(owner, starts_at) -> None:
    """A naive start was compared with an aware now (TypeError: a 500)."""
    from lifelong.outreach.models import Template
    from lifelong.segments.models import Segment

    template = Template.objects.create(name="T", subject="S", body_text="B")
    segment = Segment.objects.create(name="Everyone", filters={})
    body = {"name": "P", "kind": "one_off", "template": template.pk, "segment": segment.pk}
    body["starts_at"] = starts_at
    response = Client().post(
        "/api/v1/programs", body, content_type="application/json", headers=bearer(owner)
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "starts_at"


@pytest.mark.django_db
def test_a_path_with_an_encoded_newline_is_a_json_404(owner) -> None:
    """The catch-all's `.` did not match a newline, so Django's HTML 404 page answered."""
    response = Client().get("/api/v1/customers/L%0Ax/referral-asks", headers=bearer(owner))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.django_db
def test_a_nul_in_a_body_is_a_422_naming_the_field(owner, customer) -> None:
    """PostgreSQL cannot store a NUL: the profile answer below was a 500 there."""
    response = Client().put(
        f"/api/v1/customers/{customer.pk}/profile/hometown",
        {"value": "Up\x00psala"},
        content_type="application/json",
        headers=bearer(owner),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "value", "message": "A NUL character (U+0000) is not allowed."}
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/customers", {"q": "a\x00b"}),
        ("/surveys/r/a\x00b/", {}),
        ("/customers/", {"q": "\x00"}),
    ],
)
def test_a_nul_in_the_path_or_query_is_a_400(owner_client, owner, path, query) -> None:
    """A search or a survey link with a NUL was a 500 on PostgreSQL."""
    response = owner_client.get(path, query, headers=bearer(owner))
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json() == {"detail": "A NUL character (U+0000) is not allowed."}


@pytest.mark.django_db
def test_a_count_past_the_integer_column_is_a_422(owner) -> None:
    """An event's capacity and a rule's minimum of orders are PositiveIntegerFields:
    2^40 was a 500 on PostgreSQL ("integer out of range"), 2^63 on SQLite too."""
    from lifelong.extras.models import Extra

    extra = Extra.objects.create(name="Delivery", cost="15.00")
    for path, body, field in [
        (
            "/api/v1/events",
            {
                "name": "Open house",
                "kind": "other",
                "starts_at": "2031-01-01T10:00:00Z",
                "ends_at": "2031-01-01T12:00:00Z",
                "capacity": 2**40,
            },
            "capacity",
        ),
        (
            "/api/v1/extras/rules",
            {"name": "R", "min_purchases": 2**40, "extra_id": extra.pk},
            "min_purchases",
        ),
    ]:
        response = Client().post(path, body, content_type="application/json", headers=bearer(owner))
        assert response.status_code == 422, path
        assert response.json()["detail"][0]["field"] == field
