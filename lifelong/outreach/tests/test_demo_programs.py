"""On the demo data, the quarterly update and the birthday greetings run end to end to a
real SMTP server on loopback."""

import datetime as dt

import pytest
import time_machine

from lifelong import demo
from lifelong.customers.models import Customer
from lifelong.occasions import services as occasions
from lifelong.occasions.models import Occasion
from lifelong.outreach import programs
from lifelong.outreach.models import Message, MessageStatus, Program
from lifelong.outreach.sending import Worker
from lifelong.touches.models import Touch

NOW = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_quarterly_update_and_birthday_greetings_reach_the_smtp_server(smtp_server, business):
    demo.generate(80, seed=3, progress=False)
    quarterly = Program.objects.get(name="Quarterly update")
    birthdays = Program.objects.get(name="Birthday greetings")
    assert quarterly.next_run_at > NOW  # planned for the next quarter

    sent_to = programs.run_now(quarterly)
    expected = (
        Customer.objects.filter(
            status="customer", email_consent=True, archived_at__isnull=True, emails__isnull=False
        )
        .distinct()
        .count()
    )
    assert sent_to == expected > 0
    # Greetings on the next day with a birthday, as drafts for the owner to review.
    day = min(
        occasions.next_occurrence(o, NOW.date())
        for o in Occasion.objects.filter(kind="birthday", customer__emails__isnull=False)
    )
    made = programs.run_greetings(birthdays, day)
    assert made > 0
    drafts = Message.objects.filter(program=birthdays, status=MessageStatus.DRAFT)
    assert drafts.count() == made
    for message in drafts:
        programs.approve(message, by=message.customer.owner)

    tally = Worker(batch=50).run(once=True)
    queued = Message.objects.filter(program__in=[quarterly, birthdays])
    assert tally.sent == queued.filter(status=MessageStatus.SENT).count() == sent_to + made
    assert len(smtp_server.received) == sent_to + made
    ids = {r.email["Message-ID"] for r in smtp_server.received}
    assert len(ids) == len(smtp_server.received)
    # Each sent message is an email touch on its customer, from the customer's owner.
    sample = queued.filter(status=MessageStatus.SENT).select_related("customer").first()
    touch = Touch.objects.get(pk=sample.touch_id)
    assert (touch.channel, touch.customer_id) == ("email", sample.customer_id)
    got = smtp_server.by_recipient(sample.to_address)[0].email
    assert got["From"].addresses[0].display_name == sample.customer.owner.get_full_name()
    # Running the same again sends nothing more.
    assert programs.run_now(quarterly) == 0
    assert programs.run_greetings(birthdays, day) == 0
    assert Worker(batch=50).run(once=True).sent == 0
