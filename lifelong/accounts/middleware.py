import time
from collections.abc import Callable

from django.conf import settings
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


SEEN_KEY = "_lifelong_seen"


class SessionIdleMiddleware:
    """Restart a signed-in session's idle clock (SESSION_COOKIE_AGE) as it is used.

    The session is written, with a new expiry, when its last renewal is more than
    SESSION_RENEW_SECONDS old: a session used within the age lives on, one left idle for
    it ends (to within that minute), and a burst of requests — a page polling an import's
    progress — costs one write, not one each.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(SEEN_KEY, 0)
            if not isinstance(seen, int) or now - seen >= settings.SESSION_RENEW_SECONDS:
                request.session[SEEN_KEY] = now  # modified: SessionMiddleware saves it
        return self.get_response(request)
