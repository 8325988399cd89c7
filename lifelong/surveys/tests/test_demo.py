import random

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.outreach.models import Program
from lifelong.surveys import services
from lifelong.surveys.demo import SURVEY_NAME, add_demo_surveys
from lifelong.surveys.models import Invitation, Response, Survey
from lifelong.touches.models import Touch


def test_demo_surveys_have_a_realistic_spread_and_a_program(rep):
    customers = [
        save_customer(
            Customer(owner=rep, first_name=f"P{i}", last_name="Demo"), emails=[f"p{i}@x.example"]
        )
        for i in range(200)
    ]
    today = Business.get().today()
    added = add_demo_surveys(customers, random.Random(7), today)
    survey = Survey.objects.get(name=SURVEY_NAME)
    assert Invitation.objects.count() == 70
    assert added == Response.objects.count() > 25
    n = services.nps(Response.objects.all())
    assert n.promoters and n.passives and n.detractors
    assert Touch.objects.filter(summary__startswith="Answered the NPS survey").count() == added
    assert not Response.objects.filter(touch__isnull=True).exists()
    program = Program.objects.get(name=SURVEY_NAME)
    assert program.survey == survey and program.template.key == "survey-invitation"
    add_demo_surveys(customers[:10], random.Random(8), today)
    assert Program.objects.filter(survey=survey).count() == 1
    assert Survey.objects.count() == 1
