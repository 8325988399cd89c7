from django.http import HttpRequest

from lifelong.accounts.models import Business


def business(request: HttpRequest) -> dict:
    return {"business": getattr(request, "business", None) or Business.get()}
