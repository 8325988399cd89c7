"""Hostile field values come out as text, never as markup: in the pages and in HTML email.

Hypothesis puts HTML, script, event-handler attributes, template syntax and unusual
unicode into customer names, companies, relatives, tags, touch and promise notes, event
and survey texts; then renders the customer page and list, Today, the value and at-risk
pages, a template's preview, the HTML part of the outreach email and of an event
invitation, an event's page and the public survey page. Each page is parsed
(html.parser): no element or event-handler attribute may come from the data, and the
value must be there as text (escaped in the source).

LIFELONG_HOSTILE_EXAMPLES (default 8) sets the examples per test; the same ones every run
unless LIFELONG_HOSTILE_RANDOM=1. See docs/fuzzing.md.
"""

from __future__ import annotations

import datetime as dt
import os
from email import message_from_bytes
from email.policy import default as default_policy
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifelong.accounts.models import Business, Role, User
from lifelong.commerce import services as commerce
from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import (
    normalise_tag,
    save_customer,
    save_relative,
    set_answer,
)
from lifelong.events import services as events
from lifelong.events.models import Event
from lifelong.outreach import rendering, sending
from lifelong.outreach.models import Message, Program, Template
from lifelong.promises.services import make_promise
from lifelong.surveys import services as surveys
from lifelong.surveys.models import Survey
from lifelong.touches.services import log_touch
from lifelong.value.records import RiskScore
from lifelong.value.risk import refresh_risk
from lifelong.value.services import refresh_values

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("LIFELONG_HOSTILE_EXAMPLES", "8"))
HOSTILE_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("LIFELONG_HOSTILE_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every payload that would run names "hostile", so an element or handler that came from
# the data is told apart from the page's own.
PAYLOADS = [
    "<script>hostile()</script>",
    '"><img src=x onerror=hostile()>',
    "'><svg onload=hostile()>",
    "<hostile-tag>x</hostile-tag>",
    "</textarea></title><script>hostile()</script>",
    '<a href="javascript:hostile()">x</a>',
    "{{ business_name }}{% now 'Y' %}{# c #}",
    "{% if 1 %}hostile{% endif %}",
    "&lt;script&gt;hostile() &amp; &#60;",
    "\u202eevil\u202c \U0001f389 Åsa Ölund ß 漢字",
]
# Around a payload: letters only (the services strip and fold whitespace).
AFFIX = st.text(alphabet="abcÅäöéñ漢字ßΩ", max_size=3)


@st.composite
def hostile(draw: st.DrawFn, max_size: int = 100) -> str:
    value = draw(AFFIX) + draw(st.sampled_from(PAYLOADS)) + draw(AFFIX)
    return value[:max_size]


# ---------------------------------------------------------------- the check


class _Page(HTMLParser):
    """What a page's markup holds: its elements with their attributes, the text of each
    script element, and all text (character references resolved)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))
        self.text.extend(value for _, value in attrs if value)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        self.text.append(data)


def _squash(text: str) -> str:
    return " ".join(text.split())


def injected(html: str) -> list[str]:
    """The elements and attributes of `html` that came from a payload."""
    page = _Page()
    page.feed(html)
    page.close()
    found = []
    for tag, attrs in page.elements:
        if tag.startswith("hostile"):
            found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") and "hostile" in value:
                found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and value.startswith("javascript:"):
                found.append(f"<{tag} {name}={value!r}>")
    # A script element the data opened starts with the payload's call; the page's own
    # scripts (and json_script data, where < is \u003C) do not.
    found.extend(f"<script>{s.strip()}" for s in page.scripts if s.strip().startswith("hostile"))
    return found


def assert_safe(html: str, *values: str, where: str) -> None:
    """No markup from the data in `html`, and each of `values` there as text."""
    bad = injected(html)
    assert not bad, f"{where}: markup from the data: {bad}"
    page = _Page()
    page.feed(html)
    page.close()
    text = _squash(" ".join(page.text))
    for value in values:
        assert _squash(value) in text, f"{where}: {value!r} is not on the page as text"


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def boss(db) -> User:
    user = User.objects.create_user(
        "hostile-owner", role=Role.OWNER, first_name="Olga", email="olga@shop.example"
    )
    business = Business.get()
    business.sender_email = "hello@shop.example"
    business.postal_address = "Storgatan 1, Stockholm"
    business.save()
    return user


@pytest.fixture
def boss_client(boss: User) -> Client:
    client = Client()
    client.force_login(boss)
    return client


def rolled_back(test):
    """Run each example in a savepoint that is rolled back, so examples do not see each
    other's rows (and unique names never clash)."""

    def run(*args, **kwargs):
        with transaction.atomic():
            test(*args, **kwargs)
            transaction.set_rollback(True)

    return run


# ---------------------------------------------------------------- the pages


@HOSTILE_SETTINGS
@given(
    first=hostile(100),
    last=hostile(100),
    company=hostile(200),
    relative=hostile(200),
    tag=hostile(50),
    summary=hostile(200),
    outcome=hostile(500),
    note=hostile(500),
    promise=hostile(200),
)
def test_customer_pages_show_hostile_values_as_text(
    boss, boss_client, first, last, company, relative, tag, summary, outcome, note, promise
) -> None:
    @rolled_back
    def check() -> None:
        customer = save_customer(
            Customer(owner=boss, first_name=first, last_name=last, company=company),
            emails=["anna@shop.example"],
            tags=[tag],
        )
        save_relative(Relative(customer=customer, name=relative, relationship="child"))
        log_touch(customer, user=boss, channel="call", summary=summary, outcome=outcome)
        question = ProfileQuestion.objects.create(
            section="personal", key="hostile", text="Notes", kind="text"
        )
        set_answer(customer, question, note, by=boss)
        today = Business.get().today()
        make_promise(customer, what=promise, owner=boss, by=boss, due_on=today)
        product = commerce.add_product(name="Boiler", sku="B-1")
        version = commerce.add_version(product, label="v1")
        # Every hundred days until three hundred days ago: overdue, so at risk.
        for days in (600, 500, 400, 300):
            commerce.record_purchase(
                customer,
                occurred_at=timezone.now() - dt.timedelta(days=days),
                total="1200",
                lines=[commerce.Line(amount="1200", product_version=version)],
            )
        customer.refresh_from_db()
        name = customer.display_name

        page = boss_client.get(reverse("customers:detail", args=[customer.pk]))
        assert page.status_code == 200
        assert_safe(
            page.content.decode(),
            customer.first_name,
            customer.company,
            relative.strip(),
            normalise_tag(tag),
            summary.strip(),
            note.strip(),
            where="customer page",
        )
        url = reverse("touches:timeline", args=[customer.pk])
        page = boss_client.get(url, headers={"HX-Request": "true"})  # the timeline's items
        assert_safe(page.content.decode(), summary.strip(), outcome.strip(), where="timeline")
        page = boss_client.get(reverse("customers:list"))
        assert_safe(page.content.decode(), name, where="customer list")
        page = boss_client.get(reverse("agenda:today"))
        assert_safe(page.content.decode(), name, promise.strip(), where="Today")

        refresh_values()
        refresh_risk()
        page = boss_client.get(reverse("value:index"))
        assert_safe(page.content.decode(), name, where="value page")
        assert RiskScore.objects.filter(customer=customer).exists()
        page = boss_client.get(reverse("value:at_risk"))
        assert_safe(page.content.decode(), name, where="at-risk page")

    check()


@HOSTILE_SETTINGS
@given(first=hostile(100), company=hostile(200), relative=hostile(200), business=hostile(100))
def test_outreach_preview_and_html_email_escape_hostile_values(
    boss, boss_client, first, company, relative, business
) -> None:
    @rolled_back
    def check() -> None:
        shop = Business.get()
        shop.name = business.strip()
        shop.save()
        customer = save_customer(
            Customer(owner=boss, first_name=first, last_name="Berg", company=company),
            emails=["anna@shop.example"],
        )
        save_relative(Relative(customer=customer, name=relative, relationship="child"))
        template = rendering.save_template(
            Template(
                name="News",
                subject="News for {{ first_name }}",
                body_text="Hello {{ first_name }} of {{ company }}",
                body_html=(
                    "<p>Hello {{ first_name }} of {{ company }}, from {{ business_name }}</p>"
                    "<ul>{% for r in relatives %}<li>{{ r.name|urlize }}</li>{% endfor %}</ul>"
                ),
            )
        )
        customer.refresh_from_db()
        values = (customer.first_name, customer.company, relative.strip(), shop.name)

        url = reverse("outreach:template", args=[template.pk])
        page = boss_client.get(url, {"customer": customer.pk})
        assert page.status_code == 200
        html = page.content.decode()
        assert_safe(html, where="template preview")
        # The preview's HTML body is a document of its own, in the iframe's srcdoc.
        preview = _Page()
        preview.feed(html)
        (srcdoc,) = [dict(a)["srcdoc"] for t, a in preview.elements if t == "iframe"]
        assert_safe(srcdoc, *values, where="preview's HTML body")

        parts = rendering.render(template, rendering.context_for(customer, sender=boss))
        program = Program.objects.create(
            name="News", kind="one_off", template=template, approval="drafts", created_by=boss
        )
        message = Message.objects.create(
            program=program,
            customer=customer,
            occurrence="hostile",
            status="queued",
            to_address="anna@shop.example",
            subject=parts.subject,
            body_text=parts.body_text,
            body_html=parts.body_html,
            message_id="<hostile@shop.example>",
        )
        assert_safe(_html_part(message), *values, where="HTML email")
        page = boss_client.get(reverse("outreach:message", args=[message.pk]))
        assert_safe(page.content.decode(), where="outbox message page")

    check()


@HOSTILE_SETTINGS
@given(first=hostile(100), event_name=hostile(200), place=hostile(200))
def test_event_invitation_escapes_hostile_values(
    boss, boss_client, first, event_name, place
) -> None:
    @rolled_back
    def check() -> None:
        customer = save_customer(
            Customer(owner=boss, first_name=first, last_name="Berg"),
            emails=["anna@shop.example"],
        )
        start = (timezone.now() + dt.timedelta(days=20)).replace(microsecond=0)
        event = events.save_event(
            Event(
                name=event_name,
                kind="open_house",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                place=place,
            ),
            by=boss,
        )
        events.invite(event, Customer.objects.filter(pk=customer.pk), by=boss)
        message = Message.objects.get(customer=customer)
        event.refresh_from_db()
        customer.refresh_from_db()
        assert message.body_html, "the invitation template has an HTML body"
        assert_safe(_html_part(message), event.name, event.place, where="event invitation email")
        page = boss_client.get(reverse("events:detail", args=[event.pk]))
        assert page.status_code == 200
        assert_safe(
            page.content.decode(),
            event.name,
            event.place,
            customer.display_name,
            where="event page",
        )

    check()


@HOSTILE_SETTINGS
@given(
    first=hostile(100),
    name=hostile(200),
    follow_up=hostile(250),
    choice=hostile(90),
    comment=hostile(500),
)
def test_survey_page_escapes_hostile_values(boss, first, name, follow_up, choice, comment) -> None:
    @rolled_back
    def check() -> None:
        customer = save_customer(Customer(owner=boss, first_name=first, last_name="Berg"))
        survey = surveys.save_survey(
            Survey(
                name=name,
                question="{{ first_name }}, would you recommend {{ business_name }}?",
                follow_ups=[
                    {"text": follow_up, "kind": "text"},
                    {"text": "Which?", "kind": "choice", "choices": [choice, "Other"]},
                ],
            ),
            by=boss,
        )
        invitation = surveys.link_invitation(survey, customer)
        surveys.answer(invitation, score=7, comment=comment)
        survey.refresh_from_db()
        customer.refresh_from_db()
        token_url = surveys.survey_url(invitation, root="")
        page = Client().get(token_url)
        assert page.status_code == 200, token_url
        assert_safe(
            page.content.decode(),
            survey.name,
            # Escaped once: the question was escaped when filled in, then again on the page.
            f"{customer.first_name}, would you recommend {Business.get().name}?",
            survey.follow_ups[0]["text"],
            survey.follow_ups[1]["choices"][0],
            comment.strip(),
            where="survey page",
        )

    check()


def _html_part(message: Message) -> str:
    """The text/html part of the email the worker would send for `message`."""
    message = Message.objects.select_related("program", "customer__owner", "sender").get(
        pk=message.pk
    )
    raw = sending.email_bytes(message, sending.Envelope.current(), now=timezone.now())
    part = message_from_bytes(raw, policy=default_policy).get_body(("html",))
    assert part is not None, "the email has no HTML part"
    return part.get_content()


# ---------------------------------------------------------------- the check itself


@pytest.mark.parametrize(
    "html",
    [
        "<p><script>hostile()</script></p>",
        '<p><img src=x onerror="hostile()"></p>',
        "<p><hostile-tag>x</hostile-tag></p>",
        '<a href="javascript:hostile()">x</a>',
    ],
)
def test_the_check_sees_markup_from_the_data(html: str) -> None:
    assert injected(html)


def test_the_check_passes_escaped_text() -> None:
    html = "<p>&lt;script&gt;hostile()&lt;/script&gt; &quot;&gt;&lt;img onerror=hostile()&gt;</p>"
    assert injected(html) == []
    assert_safe(html, unescape("<script>hostile()</script>"), where="escaped")
