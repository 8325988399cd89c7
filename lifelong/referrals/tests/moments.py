"""Good moments from the surveys and promises apps, made for tests once those apps land.

Written against the model names agreed in issue 7 (surveys.Response: customer, score,
submitted_at; promises.Promise: customer, status, kept_at); the other required fields
are filled in when the models are known.
"""

import datetime as dt

from django.apps import apps


def promoter(customer, *, score: int, at: dt.datetime):
    response = apps.get_model("surveys", "Response")
    return response.objects.create(customer=customer, score=score, submitted_at=at)


def kept_promise(customer, owner, *, at: dt.datetime):
    promise = apps.get_model("promises", "Promise")
    return promise.objects.create(customer=customer, status="kept", kept_at=at)
