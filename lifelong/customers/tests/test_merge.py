"""merge_customers: every record of both customers survives on the one kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lifelong.commerce.models import Purchase, PurchaseLine
from lifelong.commerce.services import Line, record_purchase
from lifelong.customers import duplicates
from lifelong.customers.duplicates import (
    MergeNotSupported,
    customer_relations,
    merge_customers,
    unhandled_fields,
    unhandled_relations,
    what_moves,
)
from lifelong.customers.listing import Filters, list_customers
from lifelong.customers.models import (
    Customer,
    CustomerEmail,
    NotDuplicate,
    ProfileAnswer,
    ProfileQuestion,
    Relative,
    Status,
)
from lifelong.customers.services import save_customer, set_answer
from lifelong.occasions.models import Kind, Occasion, OccasionMark
from lifelong.occasions.services import add_occasion, mark
from lifelong.outreach.models import Message, Program, ProgramKind, Template
from lifelong.referrals.models import Referral, ReferralAsk
from lifelong.referrals.services import record_referral
from lifelong.surveys.models import Invitation as SurveyInvitation
from lifelong.surveys.models import Response, Survey
from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch
from lifelong.value.records import AliveHistory, ValueSnapshot

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def make(owner, first="Anna", last="Berg", emails=(), phones=(), tags=(), **fields) -> Customer:
    return save_customer(
        Customer(owner=owner, first_name=first, last_name=last, **fields),
        emails=list(emails),
        phones=list(phones),
        tags=list(tags),
    )


def question(key: str) -> ProfileQuestion:
    return ProfileQuestion.objects.get(key=key)


def snapshot(customer: Customer, tier: str) -> None:
    ValueSnapshot.objects.create(
        customer=customer, revenue=Decimal(100), purchase_count=1, purchase_days=1,
        first_purchase_on=dt.date(2024, 1, 1), last_purchase_on=dt.date(2024, 1, 1),
        recency_score=3, frequency_score=1, monetary_score=3, rfm_cell="313", tier=tier,
    )  # fmt: skip


def program() -> Program:
    template = Template.objects.create(name="News", subject="News", body_text="Hello")
    return Program.objects.create(name="News", kind=ProgramKind.ONE_OFF, template=template)


def message(customer: Customer, prog: Program, occurrence: str, status: str) -> Message:
    return Message.objects.create(
        program=prog, customer=customer, occurrence=occurrence, status=status,
        message_id=f"<{customer.pk}.{occurrence}@test>",
    )  # fmt: skip


@pytest.fixture
def pair(rep):
    """Two records of one person, each with some of everything."""
    keep = make(
        rep, emails=["anna@berg.se"], phones=["+46701234567"], tags=["vip"],
        company="", notes="Prefers calls.",
    )  # fmt: skip
    other = make(
        rep, first="Anna", last="Berg", emails=["anna.berg@gmail.com", "anna@berg.se"],
        phones=["+46709876543"], tags=["golf"], company="Berg Bygg AB", city="Lund",
        notes="Met at the fair.", external_id="crm-42", status=Status.CUSTOMER,
    )  # fmt: skip
    return keep, other


def test_every_record_of_both_is_kept(rep, pair):
    keep, other = pair
    old = NOW - dt.timedelta(days=40)
    log_touch(keep, user=rep, channel="call", summary="Keep's call", occurred_at=old)
    log_touch(other, user=rep, channel="meeting", summary="Other's lunch", occurred_at=NOW)
    record_purchase(keep, occurred_at=dt.date(2024, 1, 5), lines=[Line("10")], currency="SEK")
    bought = record_purchase(
        other, occurred_at=dt.date(2023, 3, 1), lines=[Line("20"), Line("30")], currency="SEK"
    )
    Relative.objects.create(customer=keep, name="Ella", relationship="child", birthday="--05-01")
    Relative.objects.create(customer=other, name="Olle", relationship="spouse", birthday="--06-02")
    set_answer(keep, question("birthday"), "1980-04-03", by=rep)
    set_answer(other, question("hobbies"), "Golf", by=rep)
    add_occasion(other, kind=Kind.CUSTOM, label="Renewal", date="--09-01")
    ReferralAsk.objects.create(customer=other)

    moving = what_moves(other)
    merged = merge_customers(keep, other, by=rep)

    assert merged.pk == keep.pk
    assert not Customer.objects.filter(pk=other.pk).exists()
    assert sorted(Touch.objects.filter(customer=keep).values_list("summary", flat=True)) == [
        "Keep's call",
        "Other's lunch",
    ]
    assert Purchase.objects.filter(customer=keep).count() == 2
    assert PurchaseLine.objects.filter(purchase=bought).get(amount=20).customer_id == keep.pk
    assert PurchaseLine.objects.filter(customer=keep).count() == 3
    assert sorted(keep.relatives.values_list("name", flat=True)) == ["Ella", "Olle"]
    answers = dict(keep.answers.values_list("question__key", "value"))
    assert answers == {"birthday": "1980-04-03", "hobbies": "Golf"}
    assert list(keep.emails.values_list("address", "position")) == [
        ("anna@berg.se", 0),
        ("anna.berg@gmail.com", 1),
    ]
    assert list(keep.phones.values_list("number", flat=True)) == ["+46701234567", "+46709876543"]
    assert sorted(keep.tags.values_list("name", flat=True)) == ["golf", "vip"]
    assert ReferralAsk.objects.get().customer_id == keep.pk
    kinds = sorted(Occasion.objects.filter(customer=keep).values_list("kind", flat=True))
    relative = Kind.RELATIVE_BIRTHDAY
    assert kinds == sorted([Kind.BIRTHDAY, relative, relative, Kind.CUSTOM, Kind.CUSTOMER_SINCE])
    since = Occasion.objects.get(customer=keep, kind=Kind.CUSTOMER_SINCE)
    assert (since.year, since.month, since.day) == (2023, 3, 1)  # other's first purchase
    # Fields: keep's stay, empty ones are filled, notes appended, last touch recomputed.
    keep.refresh_from_db()
    assert (keep.company, keep.city, keep.external_id) == ("Berg Bygg AB", "Lund", "crm-42")
    assert keep.notes.startswith("Prefers calls.")
    assert f"Merged with customer #{other.pk} (Anna Berg)" in keep.notes
    assert "Met at the fair." in keep.notes
    assert keep.last_touched_at == NOW
    assert keep.next_due_at == NOW + dt.timedelta(days=30)
    assert moving.counts["touches"] == 1 and moving.counts["purchases"] == 1
    assert "1 touch, 1 purchase, 1 relative, 1 answer, 2 emails" in moving.summary


def test_search_finds_the_kept_customer_by_the_others_email(rep, pair):
    keep, other = pair
    merge_customers(keep, other, by=rep)
    page = list_customers(rep, Filters(q="anna.berg@gmail"))
    assert [c.pk for c in page.items] == [keep.pk]


def test_a_conflicting_answer_keeps_keeps_and_notes_the_others(rep, pair):
    keep, other = pair
    set_answer(keep, question("hobbies"), "Sailing", by=rep)
    set_answer(other, question("hobbies"), "Golf", by=rep)
    set_answer(other, question("birthday"), "1980-04-03", by=rep)
    merge_customers(keep, other, by=rep)
    assert ProfileAnswer.objects.get(customer=keep, question__key="hobbies").value == "Sailing"
    keep.refresh_from_db()
    assert "Kept from the merged record:\n- " in keep.notes
    assert "Golf" in keep.notes
    assert Occasion.objects.get(customer=keep, kind=Kind.BIRTHDAY).month == 4


def test_the_others_birthday_marks_survive_on_keeps_birthday(rep, pair):
    keep, other = pair
    set_answer(keep, question("birthday"), "1980-04-03", by=rep)
    set_answer(other, question("birthday"), "1980-04-03", by=rep)
    theirs = Occasion.objects.get(customer=other, kind=Kind.BIRTHDAY)
    mark(theirs, dt.date(2025, 4, 3), "done", by=rep)
    merge_customers(keep, other, by=rep)
    ours = Occasion.objects.get(customer=keep, kind=Kind.BIRTHDAY)
    assert list(OccasionMark.objects.values_list("occasion_id", "on")) == [
        (ours.pk, dt.date(2025, 4, 3))
    ]


def test_referral_pointers_move_to_keep(rep, pair):
    keep, other = pair
    referrer = make(rep, "Rolf", "Ref")
    friend = make(rep, "Fia", "Friend")
    record_referral(referrer, other, by=rep)
    record_referral(other, friend, by=rep)
    merge_customers(keep, other, by=rep)
    keep.refresh_from_db()
    friend.refresh_from_db()
    assert keep.referred_by_id == referrer.pk  # keep had none: it takes other's
    assert friend.referred_by_id == keep.pk
    assert set(Referral.objects.values_list("referrer_id", "referred_id")) == {
        (referrer.pk, keep.pk),
        (keep.pk, friend.pk),
    }


def test_keeps_own_referrer_stays_and_a_referral_between_the_two_goes(rep, pair):
    keep, other = pair
    referrer = make(rep, "Rolf", "Ref")
    record_referral(referrer, keep, by=rep)
    record_referral(keep, other, by=rep)
    merge_customers(keep, other, by=rep)
    keep.refresh_from_db()
    assert keep.referred_by_id == referrer.pk
    assert list(Referral.objects.values_list("referrer_id", "referred_id")) == [
        (referrer.pk, keep.pk)
    ]


def test_a_clashing_message_keeps_the_one_sent(rep, pair):
    keep, other = pair
    prog = program()
    message(keep, prog, "2025-01", "queued")
    sent = message(other, prog, "2025-01", "sent")
    message(keep, prog, "2025-04", "sent")
    unsent = message(other, prog, "2025-04", "failed")
    both = [message(keep, prog, "2025-07", "sent"), message(other, prog, "2025-07", "sent")]
    merge_customers(keep, other, by=rep)
    rows = Message.objects.filter(customer=keep)
    assert rows.count() == 4
    assert rows.get(occurrence="2025-01").pk == sent.pk
    assert not Message.objects.filter(pk=unsent.pk).exists()
    assert rows.get(pk=both[1].pk).occurrence == f"2025-07~merged-{other.pk}"


def test_a_clashing_survey_link_keeps_the_one_answered(rep, pair):
    keep, other = pair
    survey = Survey.objects.create(name="How are we doing?")

    def link(customer: Customer, occurrence: str, answered: bool) -> SurveyInvitation:
        invitation = SurveyInvitation.objects.create(
            survey=survey, customer=customer, occurrence=occurrence
        )
        if answered:
            Response.objects.create(invitation=invitation, customer=customer, score=9)
        return invitation

    link(keep, "2025-01", False)
    answered = link(other, "2025-01", True)
    link(keep, "2025-04", True)
    unanswered = link(other, "2025-04", False)
    both = [link(keep, "2025-07", True), link(other, "2025-07", True)]
    merge_customers(keep, other, by=rep)
    rows = SurveyInvitation.objects.filter(customer=keep)
    assert rows.count() == 4
    assert rows.get(occurrence="2025-01").pk == answered.pk
    assert not SurveyInvitation.objects.filter(pk=unanswered.pk).exists()
    assert rows.get(pk=both[1].pk).occurrence == f"2025-07~merged-{other.pk}"


def test_value_snapshot_and_history(rep, pair):
    keep, other = pair
    snapshot(other, "A")
    AliveHistory.objects.create(customer=other, month=dt.date(2025, 1, 1), p_alive=0.9)
    merge_customers(keep, other, by=rep)
    assert ValueSnapshot.objects.get().customer_id == keep.pk
    assert AliveHistory.objects.get().customer_id == keep.pk


def test_fields_of_keep_are_never_overwritten(rep, pair):
    keep, other = pair
    Customer.objects.filter(pk=keep.pk).update(city="Malmö", status=Status.PROSPECT)
    keep.refresh_from_db()
    merge_customers(keep, other, by=rep)
    keep.refresh_from_db()
    assert keep.city == "Malmö"
    assert keep.status == Status.CUSTOMER  # a customer on either record is a customer


def test_dismissals_of_the_other_carry_over(rep, pair):
    keep, other = pair
    third = make(rep, "Third")
    NotDuplicate.objects.create(a_id=other.pk, b_id=third.pk)
    NotDuplicate.objects.create(a_id=keep.pk, b_id=other.pk)
    merge_customers(keep, other, by=rep)
    assert list(NotDuplicate.objects.values_list("a_id", "b_id")) == [(keep.pk, third.pk)]


def test_a_rep_cannot_merge_anothers_customer(rep, outsider, pair):
    keep, _ = pair
    theirs = make(outsider, "Anna")
    with pytest.raises(PermissionDenied):
        merge_customers(keep, theirs, by=rep)
    assert Customer.objects.filter(pk=theirs.pk).exists()


def test_a_customer_is_not_merged_with_themselves(rep, pair):
    keep, _ = pair
    with pytest.raises(ValidationError):
        merge_customers(keep, keep, by=rep)


def test_an_owner_merges_anybodys(owner, rep, outsider):
    a, b = make(rep, emails=["a@x.se"]), make(outsider, emails=["a@x.se"])
    merge_customers(a, b, by=owner)
    assert list(CustomerEmail.objects.values_list("customer_id", flat=True)) == [a.pk]


# ---------------------------------------------------------------- completeness


def test_merge_handles_every_relation_that_points_at_a_customer():
    """Loud on purpose: a new model with a foreign key to Customer (promises, surveys, …)
    needs a merge handler, or merging two customers would silently delete its rows.
    Add one with duplicates.register_merge_handler("app.Model.field", handler)."""
    assert unhandled_relations() == []
    assert "commerce.PurchaseLine.customer" in customer_relations()  # hidden ones count


def test_merge_knows_every_field_of_customer():
    """A new Customer field must be listed in FILLED_FIELDS or SPECIAL_FIELDS."""
    assert unhandled_fields() == []


def test_merge_refuses_to_run_with_an_unknown_relation(rep, pair, monkeypatch):
    keep, other = pair
    handlers = dict(duplicates.MERGE_HANDLERS)
    del handlers["touches.Touch.customer"]
    monkeypatch.setattr(duplicates, "MERGE_HANDLERS", handlers)
    with pytest.raises(MergeNotSupported, match=r"touches\.Touch\.customer"):
        merge_customers(keep, other, by=rep)
    assert Customer.objects.filter(pk=other.pk).exists()
