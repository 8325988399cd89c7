"""Good moments from the surveys and promises apps, made for tests once those apps land.

surveys.Response is made through its Survey and Invitation; promises.Promise with the
fields its model has (customer, owner, what, status, kept_at).
"""

import datetime as dt

from django.apps import apps


def promoter(customer, *, score: int, at: dt.datetime, kind: str = "nps"):
    """A submitted answer to a survey of `kind` (nps or satisfaction)."""
    from lifelong.surveys.models import Response, Survey
    from lifelong.surveys.services import link_invitation

    survey = Survey.objects.create(name=f"How are we doing ({kind})?", kind=kind)
    invitation = link_invitation(survey, customer)
    return Response.objects.create(
        invitation=invitation, customer=customer, score=score, submitted_at=at
    )


def kept_promise(customer, owner, *, at: dt.datetime, status: str = "kept"):
    promise = apps.get_model("promises", "Promise")
    return promise.objects.create(
        customer=customer, owner=owner, what="Call back with a quote", status=status, kept_at=at
    )
