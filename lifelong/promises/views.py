"""Promise pages: the customer-page panel, making a promise (from the customer page, a
touch or a purchase), keeping, breaking and renegotiating one, and /promises/ with the
user's open promises and the kept-rate per owner.

Every promise is reached through promises.access (through its customer), so a promise
of a customer the user may not see is a 404 like one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from lifelong.commerce.models import Purchase
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.promises import services
from lifelong.promises.access import get_promise_for_user, promises_visible_to
from lifelong.promises.charts import sparkline
from lifelong.promises.forms import (
    BreakForm,
    FilterForm,
    KeepForm,
    PromiseForm,
    RenegotiateForm,
)
from lifelong.promises.models import Promise, Status
from lifelong.touches.models import Touch

PAGE_SIZE = 25
RECENT_SHOWN = 5


def _customer_url(customer: Customer | int) -> str:
    pk = customer if isinstance(customer, int) else customer.pk
    return reverse("customers:detail", args=[pk]) + "#promises"


def _next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a safe `next` from the form, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def decorate(promises: list[Promise]) -> list[Promise]:
    """Each promise with `overdue` and `due_text` for the templates."""
    now = timezone.now()
    for p in promises:
        p.overdue = services.is_overdue(p, now)
        p.due_text = services.due_words(p) if (p.due_on or p.window_end) else ""
    return promises


# ---------------------------------------------------------------- the panel


def promise_panel_context(request: HttpRequest, customer: Customer) -> dict:
    """Open promises (overdue first), the latest decided ones, the customer's kept-rate,
    the "Make a promise" form and links to make one about the latest touch or purchase."""
    mine = customer.promises.select_related("owner")
    now = timezone.now()
    open_ = list(mine.filter(status=Status.OPEN).order_by("deadline", "id"))
    recent = list(mine.exclude(status=Status.OPEN).order_by("-id")[:RECENT_SHOWN])
    return {
        "open_promises": decorate(open_),
        "recent_promises": decorate(recent),
        "promise_rate": services.kept_rate(mine),
        "promise_form": _new_form(request, customer),
        "latest_touch": customer.touches.order_by("-occurred_at", "-id").first(),
        "latest_purchase": customer.purchases.order_by("-occurred_at", "-id").first(),
        "keep_form": KeepForm(),
        "now": now,
    }


def _new_form(request: HttpRequest, customer: Customer, data=None) -> PromiseForm:
    return PromiseForm(
        data,
        owners=services.possible_owners(customer),
        initial={"owner": request.user.pk if request.user.is_authenticated else None},
    )


# ---------------------------------------------------------------- making one


def _origin(customer: Customer, kind: str, raw) -> Touch | Purchase | None:
    """The customer's touch or purchase with id `raw`, or None (never another's)."""
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    model = Touch if kind == "touch" else Purchase
    return model.objects.filter(customer=customer, pk=pk).first()


@login_required
def new(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Make a promise to a customer; ?touch=<id> or ?purchase=<id> says what it came from."""
    customer = get_customer_for_user(request.user, customer_id)
    source = request.POST if request.method == "POST" else request.GET
    touch = _origin(customer, "touch", source.get("touch"))
    purchase = None if touch else _origin(customer, "purchase", source.get("purchase"))
    if request.method == "POST":
        form = _new_form(request, customer, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                promise = services.make_promise(
                    customer,
                    what=data["what"],
                    owner=data["owner"],
                    by=request.user,
                    due_on=data["due_on"],
                    window_start=data["window_start"],
                    window_end=data["window_end"],
                    notify_customer=data["notify_customer"],
                    touch=touch,
                    purchase=purchase,
                )
            except ValidationError as e:
                form.add_service_errors(e)
            else:
                emailed = " The customer will get an email." if promise.notify_customer else ""
                messages.success(request, f"Promise recorded: {promise.what}.{emailed}")
                return redirect(_customer_url(customer))
    else:
        form = _new_form(request, customer)
        form.initial.update({"touch": touch.pk if touch else None})
        form.initial.update({"purchase": purchase.pk if purchase else None})
        if touch is not None and touch.outcome:
            form.initial.setdefault("what", touch.outcome[:500])
    context = {
        "customer": customer,
        "form": form,
        "touch": touch,
        "purchase": purchase,
        "has_email": customer.emails.exists(),
    }
    return render(request, "promises/new.html", context)


# ---------------------------------------------------------------- one promise


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    promise = get_promise_for_user(request.user, pk)
    chain = decorate(services.chain(promise))
    context = {
        "promise": decorate([promise])[0],
        "customer": promise.customer,
        "chain": chain if len(chain) > 1 else [],
        "keep_form": KeepForm(),
    }
    return render(request, "promises/detail.html", context)


@login_required
def keep(request: HttpRequest, pk: int) -> HttpResponse:
    promise = get_promise_for_user(request.user, pk)
    form = KeepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.keep(
                promise,
                by=request.user,
                at=data["kept_at"],
                channel=data["channel"] or None,
                note=data["note"],
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            late = " (late)" if promise.status == Status.KEPT_LATE else ""
            messages.success(request, f"Kept{late}: {promise.what}.")
            return redirect(_next(request, _customer_url(promise.customer_id)))
    return _action_page(request, promise, form, "keep")


@login_required
def break_(request: HttpRequest, pk: int) -> HttpResponse:
    promise = get_promise_for_user(request.user, pk)
    form = BreakForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_promise(promise, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(
                request, f"Marked broken: {promise.what}. An apology is on the agenda."
            )
            return redirect(_next(request, _customer_url(promise.customer_id)))
    return _action_page(request, promise, form, "break")


@login_required
def renegotiate(request: HttpRequest, pk: int) -> HttpResponse:
    promise = get_promise_for_user(request.user, pk)
    form = RenegotiateForm(request.POST or None, initial={"what": promise.what})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_promise = services.renegotiate(
                promise,
                by=request.user,
                due_on=data["due_on"],
                window_start=data["window_start"],
                window_end=data["window_end"],
                what=data["what"] or None,
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(
                request, f"New date agreed: {new_promise.what}, {services.due_words(new_promise)}."
            )
            return redirect(_next(request, _customer_url(promise.customer_id)))
    return _action_page(request, promise, form, "renegotiate")


TITLES = {"keep": "Keep a promise", "break": "A broken promise", "renegotiate": "A new date"}


def _action_page(request: HttpRequest, promise: Promise, form, action: str) -> HttpResponse:
    context = {
        "promise": decorate([promise])[0],
        "customer": promise.customer,
        "form": form,
        "action": action,
        "title": TITLES[action],
        "next": _next(request, ""),
    }
    return render(request, "promises/action.html", context)


# ---------------------------------------------------------------- /promises/


def _filtered(request: HttpRequest, whose: str, status: str):
    promises = promises_visible_to(request.user).select_related("customer", "owner")
    if whose == "mine":
        promises = promises.filter(owner=request.user)
    now = timezone.now()
    if status == "overdue":
        promises = promises.filter(services.overdue_q(now))
    elif status in Status.values:
        promises = promises.filter(status=status)
    return services.open_first(promises, now)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The user's promises (overdue first), filtered, a page at a time; and the kept-rate
    per owner with a 12-month sparkline each."""
    form = FilterForm(request.GET or None)
    whose, status = form.values()
    promises = _filtered(request, whose, status)
    page = Paginator(promises, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = decorate(list(page.object_list))
    visible = promises_visible_to(request.user)
    rates = services.kept_rate_by_owner(visible)
    owner_rows = [(r, sparkline(r.months)) for r in rates]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "whose": whose,
        "status": status,
        "page": page,
        "query": query.urlencode(),
        "owner_rows": owner_rows,
        "overall": services.kept_rate(visible),
        "remind_days": services.remind_days(),
        "keep_form": KeepForm(),
    }
    return render(request, "promises/index.html", context)
