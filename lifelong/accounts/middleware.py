from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from lifelong.accounts.models import Business


class BusinessTimezoneMiddleware:
    """Show dates and times in the business's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        business = Business.get()
        request.business = business
        timezone.activate(business.tzinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
