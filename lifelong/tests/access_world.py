"""A small world with one record of every kind, all belonging to one rep's customers.

The access walk (test_access_walk.py) requests every URL and API operation with the ids
of these records as somebody who owns none of them. Every customer here carries MARKER in
their name, so a page that leaks one shows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from lifelong.accounts.models import ApiToken, Business, User
from lifelong.accounts.services import create_token
from lifelong.commerce import services as commerce
from lifelong.commerce.models import Product, ProductVersion, Purchase
from lifelong.customers.models import Customer, ProfileAnswer, ProfileQuestion, Relative
from lifelong.customers.services import save_customer, save_relative, set_answer
from lifelong.events import services as events
from lifelong.events.models import Event
from lifelong.events.models import Invitation as EventInvitation
from lifelong.extras import services as extras
from lifelong.extras.models import Extra, ExtraGiven, ExtraRule, ExtraSuggestion
from lifelong.imports.models import ImportBatch
from lifelong.occasions.models import CalendarFeed, Occasion
from lifelong.occasions.services import add_occasion
from lifelong.outreach import compliance
from lifelong.outreach.models import Message, Program, Suppression, Template
from lifelong.outreach.programs import save_program
from lifelong.promises.models import Promise
from lifelong.promises.services import make_promise
from lifelong.referrals.models import Referral, ReferralAsk
from lifelong.referrals.services import record_ask, record_referral
from lifelong.segments.models import Segment
from lifelong.segments.services import save_segment
from lifelong.surveys import services as surveys
from lifelong.surveys.models import Invitation as SurveyInvitation
from lifelong.surveys.models import Response, Survey
from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch
from lifelong.value.records import ValueSnapshot

# In every world customer's name; an outsider's page must never contain it.
MARKER = "Worldmarker"
# The world's one purchase, an amount nothing else adds up to: a figure shown to an
# outsider that contains it counts somebody else's customers.
AMOUNT = "1234.56"


@dataclass
class World:
    """Everything the walk needs the ids of; `owner` is the business owner, `rep` owns
    every customer here."""

    owner: User
    rep: User
    customer: Customer
    referred: Customer
    relative: Relative
    question: ProfileQuestion
    answer: ProfileAnswer
    occasion: Occasion
    touch: Touch
    product: Product
    old_version: ProductVersion
    version: ProductVersion
    purchase: Purchase
    promise: Promise
    referral: Referral
    ask: ReferralAsk
    template: Template
    program: Program
    draft: Message
    message: Message
    suppression: Suppression
    segment: Segment
    survey: Survey
    survey_invitation: SurveyInvitation
    response: Response
    extra: Extra
    rule: ExtraRule
    given: ExtraGiven
    suggestion: ExtraSuggestion
    event: Event
    event_invitation: EventInvitation
    batch: ImportBatch
    token: ApiToken
    feed: CalendarFeed


def build_world(owner: User, rep: User) -> World:
    """One of everything, through the apps' own services where they have one."""
    business = Business.get()
    business.name = "Walk AB"
    business.sender_email = "hello@walk.example"
    business.postal_address = "Storgatan 1, Stockholm"
    business.save()
    now = timezone.now()

    customer = save_customer(
        Customer(owner=rep, first_name="Zelda", last_name=MARKER, email_consent=True),
        emails=["zelda@world.example"],
        phones=["+46701112233"],
        tags=["walk"],
    )
    referred = save_customer(
        Customer(owner=rep, first_name="Xavier", last_name=MARKER, email_consent=True),
        emails=["xavier@world.example"],
    )
    relative = save_relative(
        Relative(
            customer=customer, name=f"Yorick {MARKER}", relationship="child", birthday="--05-17"
        )
    )
    question = ProfileQuestion.objects.filter(hidden=False, kind="text").first()
    if question is None:  # the default sheet comes from a migration; be sure of one
        question = ProfileQuestion.objects.create(section="About", key="walk", text="Walk?")
    answer = set_answer(customer, question, f"Likes {MARKER}", by=rep)
    occasion = add_occasion(customer, kind="custom", label="Moved in", date="2020-03-14")
    touch = log_touch(customer, user=rep, channel="call", summary=f"Called {MARKER}")

    product = commerce.add_product(name="Walk boiler", sku="WALK-1")
    old_version = commerce.add_version(product, label="v1")
    version = commerce.add_version(product, label="v2")
    purchase = commerce.record_purchase(
        customer,
        occurred_at=now - dt.timedelta(days=40),
        total=AMOUNT,
        lines=[commerce.Line(amount=AMOUNT, product_version=old_version)],
    )
    promise = make_promise(
        customer, what="Send the brochure", owner=rep, by=rep, due_on=now.date() + dt.timedelta(3)
    )
    referral = record_referral(customer, referred, by=rep)
    ask = record_ask(customer, by=rep)

    # A starter (it has a key), so that it can be restored too.
    template = Template.objects.create(
        key="quarterly-update", name="Walk news", subject="News", body_text="Hi {{ first_name }}"
    )
    segment = save_segment(Segment(), name="Walk segment", filters={}, by=owner)
    program = save_program(
        Program(
            name="Walk program",
            kind="one_off",
            template=template,
            segment=segment,
            approval="drafts",
            starts_at=now + dt.timedelta(days=60),
        ),
        by=owner,
    )
    draft = Message.objects.create(
        program=program,
        customer=customer,
        occurrence="walk-draft",
        status="draft",
        to_address="zelda@world.example",
        subject=f"Draft to {MARKER}",
        message_id="<walk-draft@walk.example>",
    )
    message = Message.objects.create(
        program=program,
        customer=customer,
        occurrence="walk-failed",
        status="failed",
        to_address="zelda@world.example",
        subject=f"Failed to {MARKER}",
        message_id="<walk-failed@walk.example>",
        last_error="refused",
    )
    suppression = compliance.suppress("gone@world.example", "manual", note=MARKER)

    survey = surveys.save_survey(Survey(name="Walk NPS"), by=owner)
    survey_invitation = surveys.link_invitation(survey, customer)
    response = surveys.answer(survey_invitation, score=3, comment=f"From {MARKER}")

    extra = Extra.objects.create(name="Walk delivery", cost=Decimal("15.00"))
    rule = ExtraRule.objects.create(name="Walk rule", min_purchases=1, extra=extra)
    given = extras.give(customer, extra, by=rep, note=MARKER)
    suggestion = ExtraSuggestion.objects.create(customer=customer, rule=rule, purchase=purchase)

    start = (now + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    event = events.save_event(
        Event(
            name="Walk open house",
            kind="open_house",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            place="Storgatan 1",
        ),
        by=owner,
    )
    events.invite(event, Customer.objects.filter(pk=customer.pk), by=owner)
    event_invitation = EventInvitation.objects.get(event=event, customer=customer)

    batch = ImportBatch.objects.create(
        created_by=rep,
        file_name="walk.csv",
        format="csv",
        on_duplicate="skip",
        created=[[referred.pk, referred.pk]],  # ranges of ids
        finished_at=now,
    )
    ValueSnapshot.objects.create(
        customer=customer, revenue=Decimal(AMOUNT), purchase_count=1, purchase_days=1,
        first_purchase_on=purchase.occurred_at.date(), last_purchase_on=purchase.occurred_at.date(),
        recency_score=3, frequency_score=1, monetary_score=3, rfm_cell="313", tier="A",
    )  # fmt: skip
    token, _ = create_token(rep, f"{MARKER} token")
    feed, _ = CalendarFeed.objects.get_or_create(user=rep)

    return World(
        owner=owner,
        rep=rep,
        customer=customer,
        referred=referred,
        relative=relative,
        question=question,
        answer=answer,
        occasion=occasion,
        touch=touch,
        product=product,
        old_version=old_version,
        version=version,
        purchase=purchase,
        promise=promise,
        referral=referral,
        ask=ask,
        template=template,
        program=program,
        draft=draft,
        message=message,
        suppression=suppression,
        segment=segment,
        survey=survey,
        survey_invitation=survey_invitation,
        response=response,
        extra=extra,
        rule=rule,
        given=given,
        suggestion=suggestion,
        event=event,
        event_invitation=event_invitation,
        batch=batch,
        token=token,
        feed=feed,
    )


# Rows that change on any authenticated request or by design of a refusal: an API
# token's last use, the session, and the audit trail (which may record the refusal).
VOLATILE = {"accounts.apitoken", "sessions.session", "audit.auditevent"}


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table (but VOLATILE ones), by model label, to say
    which tables a request changed."""
    digests = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in VOLATILE or model._meta.proxy or not model._meta.managed:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        digest = hashlib.sha256()
        for row in model._default_manager.order_by("pk").values_list(*fields):
            digest.update(repr(row).encode())
        digests[label] = digest.hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in after if before.get(label) != after[label])
