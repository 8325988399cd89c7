"""A customer with a row in every kind of record that points at Customer, each carrying
marker strings that appear nowhere else, for the export and erasure tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.customers.models import (
    Customer,
    NotDuplicate,
    ProfileQuestion,
    Relative,
)
from lifelong.customers.partial_dates import PartialDate
from lifelong.customers.services import save_customer, set_answer
from lifelong.events.models import Event
from lifelong.events.models import Invitation as EventInvitation
from lifelong.extras.models import Extra, ExtraGiven, ExtraRule, ExtraSuggestion
from lifelong.imports.mapping import guess_mapping
from lifelong.imports.reading import read_table
from lifelong.imports.services import import_customers
from lifelong.occasions.models import Occasion, OccasionMark
from lifelong.occasions.services import sync_occasions
from lifelong.outreach.models import Message, MessageStatus, Program, ProgramKind, Template
from lifelong.privacy.retention import keep
from lifelong.promises.models import Promise
from lifelong.referrals.models import AgendaMark, ReferralAsk
from lifelong.referrals.services import record_referral, refer_new_prospect
from lifelong.surveys.models import Invitation as SurveyInvitation
from lifelong.surveys.models import Response, Survey
from lifelong.touches.services import log_touch
from lifelong.value.records import AliveHistory, RiskMark, RiskScore, ValueSnapshot

FIRST, LAST = "Zorblax", "Quuxington"
FULL = f"{FIRST} {LAST}"
EMAIL = "zorblax.quux@example.org"
OLD_EMAIL = "zq.old@example.org"  # only in a message sent before they changed address
PHONE = "+46709998877"
BIRTHDAY = dt.date(1971, 8, 19)
RELATIVE = "Mirabel"
# Every way the birthday or the phone might have been written down.
BIRTHDAY_FORMS = ["1971-08-19", "19710819", "19/08/1971", "08/19/1971", "19.08.1971", "1971/08/19"]
# A birthday greeting's outbox key (a future year: no timestamp of the test run has it).
GREETING_KEY = "birthday:self:2030-08-19"
PHONE_FORMS = ["46709998877", "709998877", "070-999 88 77", "0709998877"]


@dataclass
class Marked:
    customer: Customer
    referrer: Customer  # referred Zorblax
    prospect: Customer  # Zorblax referred them
    message: Message
    import_batch_id: int


def make_marked_customer(owner: User, rep: User) -> Marked:
    """Zorblax Quuxington, owned by `rep`, with a row in every relation to Customer.

    The customer arrives by import (so an import batch knows them) and is then updated by
    a second import (so the batch keeps before and after values, for undo)."""
    first = (
        "First name,Last name,Email,Phone,Birthday,Company,Marketing consent\n"
        f"{FIRST},{LAST},{EMAIL},{PHONE},{BIRTHDAY.isoformat()},{LAST} AB,yes\n"
    ).encode()
    table = read_table(first)
    import_customers(table, guess_mapping(table.columns, table.format), by=owner, owner=rep)
    customer = Customer.objects.get(first_name=FIRST)
    second = f"First name,Last name,Email,Notes\n{FIRST},{LAST},{EMAIL},Met {FIRST} at the fair\n"
    second = second.encode()
    table = read_table(second)
    report = import_customers(
        table, guess_mapping(table.columns, table.format), by=owner, on_duplicate="update"
    )
    batch_id = report.batch.pk

    customer.nickname = "Zorbie"
    customer.job_title = f"Chief {LAST} officer"
    customer.street, customer.city = "Quuxgatan 7", "Zorbstad"
    customer.how_we_met = f"{FIRST} walked in"
    save_customer(customer, tags=["zorblax-fan"], consent_by=rep)

    birthday_q = ProfileQuestion.objects.get(key="birthday")
    set_answer(customer, birthday_q, BIRTHDAY.isoformat(), by=rep)
    text_q = ProfileQuestion.objects.filter(kind="text").first()
    set_answer(customer, text_q, f"{FIRST} sails", by=rep)
    Relative.objects.create(
        customer=customer, name=f"{RELATIVE} {LAST}", relationship="child",
        birthday=PartialDate.parse("1999-08-19"), notes=f"{FIRST}'s daughter",
    )  # fmt: skip
    sync_occasions(Customer.objects.filter(pk=customer.pk))
    occasion = Occasion.objects.filter(customer=customer).first()
    OccasionMark.objects.create(occasion=occasion, on=dt.date(2026, 8, 19), status="done", by=rep)

    touch = log_touch(
        customer, user=rep, channel="call", summary=f"Called {FULL}",
        outcome=f"{FIRST} wants a quote; email {EMAIL}",
    )  # fmt: skip
    product = Product.objects.create(name="Widget", category="hardware")
    version = ProductVersion.objects.create(product=product, label="v1")
    purchase = Purchase.objects.create(
        customer=customer, occurred_at=timezone.now(), total=Decimal("120.00"),
        currency="SEK", reference="ORD-1",
    )  # fmt: skip
    PurchaseLine.objects.create(
        purchase=purchase, customer=customer, product_version=version, amount=Decimal("120.00")
    )
    Promise.objects.create(
        customer=customer, owner=rep, what=f"Send {FIRST} the brochure",
        due_on=dt.date(2026, 12, 1), created_by=rep,
    )  # fmt: skip

    template = Template.objects.create(name="News", subject="News", body_text="Hello")
    program = Program.objects.create(
        name="News", kind=ProgramKind.ONE_OFF, template=template, created_by=owner
    )
    message = Message.objects.create(
        program=program, customer=customer, occurrence="2026-Q1", status=MessageStatus.SENT,
        sender=rep, to_address=OLD_EMAIL, from_name="Ruben Rep",
        subject=f"News for {FIRST}", body_text=f"Dear {FULL},\n\nBorn {BIRTHDAY:%d/%m/%Y}.",
        body_html=f"<p>Dear {FULL},</p>", calendar=f"ATTENDEE;CN={FULL}:mailto:{EMAIL}",
        message_id="<m1@example.test>", sent_at=timezone.now(), touch=touch,
    )  # fmt: skip
    queued = Message.objects.create(
        program=program, customer=customer, occurrence="2026-Q2", status=MessageStatus.QUEUED,
        sender=rep, to_address=EMAIL, subject=f"More for {FIRST}", body_text=f"Hi {FIRST}",
        message_id="<m2@example.test>",
    )  # fmt: skip
    greeting = Message.objects.create(
        program=program, customer=customer, occurrence=GREETING_KEY,
        status=MessageStatus.SENT, sender=rep, to_address=EMAIL, subject="Happy birthday",
        body_text="Many happy returns", message_id=f"<9.9.{GREETING_KEY.replace(':', '-')}.x@y>",
    )  # fmt: skip
    assert queued.pk and greeting.pk

    survey = Survey.objects.create(name="NPS", created_by=owner)
    invitation = SurveyInvitation.objects.create(
        survey=survey, customer=customer, occurrence="2026", message=message
    )
    Response.objects.create(
        invitation=invitation, customer=customer, score=9,
        answers=[
            {"question": "Why?", "answer": f"{FIRST} loves it"},
            {"question": "n", "answer": 3},
        ],
        comment=f"Great service - {FULL}",
    )  # fmt: skip

    referrer = save_customer(Customer(owner=rep, first_name="Rita", last_name="Referrer"))
    record_referral(referrer, customer, by=rep, note=f"Rita knows {FIRST}")
    referral_out = refer_new_prospect(
        customer, by=rep, first_name="Pia", last_name="Prospect", note=f"{FIRST}'s neighbour"
    )
    log_touch(referrer, user=rep, channel="call", summary=f"Thanked for introducing {FULL}")
    ReferralAsk.objects.create(customer=customer, asked_by=rep, note=f"Asked {FIRST}")
    AgendaMark.objects.create(customer=customer, key="ask", status="done", by=rep)

    extra = Extra.objects.create(name="Chocolates")
    rule = ExtraRule.objects.create(name="Big order", extra=extra)
    given = ExtraGiven.objects.create(
        customer=customer, extra=extra, cost=Decimal("50"), note=f"For {FIRST}", given_by=rep,
        purchase=purchase,
    )  # fmt: skip
    ExtraSuggestion.objects.create(customer=customer, rule=rule, purchase=purchase, given=given)
    now = timezone.now()
    event = Event.objects.create(
        name="Open house", starts_at=now, ends_at=now + dt.timedelta(hours=2),
        place="Office", description="Come by", created_by=owner,
    )  # fmt: skip
    EventInvitation.objects.create(event=event, customer=customer, message=message)

    ValueSnapshot.objects.create(
        customer=customer, model="bgnbd", revenue=Decimal("120"), purchase_count=1,
        purchase_days=1, first_purchase_on=dt.date(2026, 1, 1),
        last_purchase_on=dt.date(2026, 1, 1), recency_score=3, frequency_score=1,
        monetary_score=2, rfm_cell="312", tier="B",
    )  # fmt: skip
    AliveHistory.objects.create(customer=customer, month=dt.date(2026, 1, 1), p_alive=0.8)
    RiskScore.objects.create(
        customer=customer, score=0.5, value=100, value_at_stake=50,
        action=f"Call {FIRST}", reasons=[f"{FIRST} has gone quiet"],
    )  # fmt: skip
    RiskMark.objects.create(customer=customer, hidden_until=dt.date(2027, 1, 1), action="snooze")

    other = save_customer(Customer(owner=rep, first_name="Zed", last_name="Other"))
    a, b = sorted([customer.pk, other.pk])
    NotDuplicate.objects.create(a_id=a, b_id=b, by=rep)
    keep(customer, by=owner)
    customer.refresh_from_db()
    return Marked(customer, referrer, referral_out.referred, message, batch_id)
