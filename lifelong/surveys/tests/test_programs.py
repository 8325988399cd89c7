"""A program with a survey: each message carries the customer's own working link."""

import re

import pytest
from django.test import Client

from lifelong.outreach import programs
from lifelong.outreach.models import Message, Program, ProgramKind, Template
from lifelong.outreach.rendering import ensure_starter_templates
from lifelong.segments.models import Segment
from lifelong.surveys import services
from lifelong.surveys.models import Invitation, Response
from lifelong.surveys.tests.conftest import BASE_URL


@pytest.fixture
def program(owner, survey, customer) -> Program:
    customer.email_consent = True
    customer.save()
    ensure_starter_templates()
    return programs.save_program(
        Program(
            name="Customer satisfaction (NPS)",
            kind=ProgramKind.ONE_OFF,
            template=Template.objects.get(key="survey-invitation"),
            segment=Segment.objects.create(name="Everyone", filters={}),
            survey=survey,
        ),
        by=owner,
    )


def test_a_program_with_a_survey_sends_a_working_tokenised_link(program, customer):
    assert programs.run_now(program) == 1
    message = Message.objects.get(customer=customer)
    (url,) = re.findall(rf"{re.escape(BASE_URL)}/surveys/r/[\w-]+/", message.body_text)
    assert url in message.body_html
    invitation = Invitation.objects.get(customer=customer)
    assert url.endswith(f"/surveys/r/{invitation.token}/")
    public = Client()
    path = url.removeprefix(BASE_URL)
    assert public.get(path).status_code == 200
    assert public.post(path, {"score": "10", "comment": "Lovely"}).status_code == 302
    assert Response.objects.get(customer=customer).score == 10


def test_running_again_keeps_the_same_link(program, customer):
    programs.run_now(program)
    programs.run_program(program, program.starts_at)
    assert Invitation.objects.filter(customer=customer).count() == 1


def test_the_invitation_finds_its_message_and_counts_once_sent(program, customer):
    programs.run_now(program)
    invitation = Invitation.objects.get()
    customers = customer.__class__.objects.all()
    assert services.response_rate(program.survey, customers).invited == 0  # queued, not sent
    Message.objects.update(status="sent")
    rate = services.response_rate(program.survey, customers)
    invitation.refresh_from_db()
    assert invitation.message == Message.objects.get()
    assert (rate.invited, rate.answered, rate.share) == (1, 0, 0.0)
