"""The Today page, the weekly plan and the one-click actions on their items."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lifelong.accounts.models import Business
from lifelong.agenda import services
from lifelong.customers.views import is_htmx
from lifelong.touches.models import Channel

PAGE = 50
MAX_LIMIT = 500


def _limit(request: HttpRequest) -> int:
    try:
        return max(PAGE, min(int(request.GET.get("limit", PAGE)), MAX_LIMIT))
    except ValueError:
        return PAGE


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """Today's agenda of the user (everybody's for owners and managers who ask for it)."""
    business = Business.get()
    day = business.today()
    everyone = request.user.sees_all_customers and request.GET.get("who") == "all"
    limit = _limit(request)
    # Everybody plans their own day by default; owners and managers may ask for everyone's.
    items = services.agenda(request.user, day, limit=limit + 1, everyone=everyone)
    context = {
        "day": day,
        "items": items[:limit],
        "more": len(items) > limit,
        "next_limit": min(limit + PAGE, MAX_LIMIT),
        "at_max": limit >= MAX_LIMIT,
        "everyone": everyone,
        "channels": Channel.choices,
    }
    return render(request, "agenda/today.html", context)


@login_required
def week(request: HttpRequest) -> HttpResponse:
    everyone = request.user.sees_all_customers and request.GET.get("who") == "all"
    day = Business.get().today()
    plan = services.week(request.user, day, everyone=everyone)
    return render(
        request,
        "agenda/week.html",
        {"day": day, "plan": plan, "everyone": everyone, "channels": Channel.choices},
    )


@login_required
@require_POST
def act(request: HttpRequest) -> HttpResponse:
    """done / snooze / dismiss one item. htmx gets the row's replacement (a one-line note);
    a plain form post is redirected back to where it came from."""
    # "snooze:7" is a snooze for 7 days: one button, one value, with or without JavaScript.
    action, _, days = request.POST.get("action", "").partition(":")
    try:
        said = services.act(
            request.user,
            request.POST.get("key", ""),
            action,
            days=int(days) if days.isdigit() else 1,
            channel=request.POST.get("channel", "call"),
            note=request.POST.get("note", "")[:500],
        )
    except ValueError as e:
        if is_htmx(request):
            return HttpResponseBadRequest(str(e))
        messages.error(request, str(e))
        return redirect(_back(request))
    if is_htmx(request):
        return render(request, "agenda/_done.html", {"said": said})
    messages.success(request, said)
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    return "agenda:week" if request.POST.get("from") == "week" else "agenda:today"
