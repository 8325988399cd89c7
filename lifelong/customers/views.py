"""Customer pages: the list, the customer page, its profile sheet and relatives, the forms.

Each view parses, authorises (through lifelong.customers.access), calls a service and
renders. htmx requests get the fragment they swap in; the same URLs serve whole pages
without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from lifelong.accounts.views import confirm_page, owner_required
from lifelong.audit.log import record_request
from lifelong.cursors import BadCursor
from lifelong.customers import services
from lifelong.customers.access import (
    customers_visible_to,
    get_customer_for_user,
    get_relative_for_user,
)
from lifelong.customers.forms import (
    AnswerForm,
    CustomerForm,
    FilterForm,
    QuestionForm,
    RelativeForm,
)
from lifelong.customers.listing import list_customers
from lifelong.customers.models import Customer, ProfileQuestion, Relative, Section
from lifelong.customers.panels import render_panels

UNKNOWN_SHOWN = 8


def is_htmx(request: HttpRequest) -> bool:
    """A request from htmx that wants a fragment (not a boosted whole page)."""
    return request.headers.get("HX-Request") == "true" and "HX-Boosted" not in request.headers


# ---------------------------------------------------------------- list


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET, user=request.user)
    filters = form.filters()
    cursor = request.GET.get("cursor", "")
    cursor_error = ""
    try:
        page = list_customers(request.user, filters, cursor=cursor)
    except BadCursor as e:
        cursor_error, cursor = str(e), ""
        page = list_customers(request.user, filters)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "cursor": cursor,
        "cursor_error": cursor_error,
        "is_filtered": form.is_filtered,
        # Only asked when the page is empty: is there nobody at all, or nobody matching?
        "has_customers": bool(page.items) or customers_visible_to(request.user).exists(),
    }
    # Live search swaps only the results in; a history restore wants the whole page.
    partial = (
        is_htmx(request)
        and request.headers.get("HX-Target") == "results"
        and "HX-History-Restore-Request" not in request.headers
    )
    template = "customers/_results.html" if partial else "customers/list.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a page: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# ---------------------------------------------------------------- customer page


def _sheet_context(customer: Customer) -> dict:
    sheet = services.profile_sheet(customer)
    return {"sheet": sheet, "unknown": sheet.unknown[:UNKNOWN_SHOWN]}


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    context = {
        "customer": customer,
        "emails": customer.emails.all(),
        "phones": customer.phones.all(),
        "tags": customer.tags.all(),
        "relatives": customer.relatives.all(),
        "relative_form": RelativeForm(),
        "referrer": _referrer(request, customer),
        "main_panels": render_panels(request, customer, "main"),
        "side_panels": render_panels(request, customer, "side"),
        **_sheet_context(customer),
    }
    record_request(request, "view", customer_id=customer.pk, target="customer")
    return render(request, "customers/detail.html", context)


def _referrer(request: HttpRequest, customer: Customer) -> Customer | None:
    """Who referred the customer, if the user may see them."""
    if not customer.referred_by_id:
        return None
    return customers_visible_to(request.user).filter(pk=customer.referred_by_id).first()


@login_required
def customer_new(request: HttpRequest) -> HttpResponse:
    customer = Customer(owner=request.user)
    return _customer_form(request, customer, template="customers/form.html")


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    return _customer_form(request, customer, template="customers/form.html")


def _customer_form(request: HttpRequest, customer: Customer, *, template: str) -> HttpResponse:
    creating = customer.pk is None
    name = customer.display_name  # as stored: the form changes the instance as it validates
    if request.method == "POST":
        form = CustomerForm(request.POST, instance=customer, user=request.user)
        if form.is_valid():
            try:
                services.save_customer(
                    form.instance,
                    emails=form.emails(),
                    phones=form.phones(),
                    tags=form.tag_names(),
                    consent_by=request.user,
                )
            except ValidationError as e:
                form.add_service_errors(e)
            else:
                action = "create" if creating else "change"
                record_request(request, action, customer_id=customer.pk, target="customer")
                verb = "added" if creating else "saved"
                messages.success(request, f"{customer.display_name} {verb}.")
                return redirect("customers:detail", customer.pk)
    else:
        form = CustomerForm(instance=customer, user=request.user)
    context = {"form": form, "customer": customer, "creating": creating, "name": name}
    return render(request, template, context)


@login_required
def customer_archive(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    if request.method == "POST":
        services.archive_customer(customer)
        record_request(request, "change", customer_id=customer.pk, target="customer archived")
        messages.success(
            request, f"{customer.display_name} archived. Find them under Archived in the list."
        )
        return redirect("customers:detail", customer.pk)
    return confirm_page(
        request,
        title=f"Archive {customer.display_name}?",
        question="They leave the customer list and reminders, but nothing is deleted.",
        detail="You can restore them at any time from the Archived list.",
        action=reverse("customers:archive", args=[customer.pk]),
        cancel_url=reverse("customers:detail", args=[customer.pk]),
        confirm_label="Archive",
    )


@login_required
@require_POST
def customer_restore(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    services.restore_customer(customer)
    record_request(request, "change", customer_id=customer.pk, target="customer restored")
    messages.success(request, f"{customer.display_name} restored.")
    return redirect("customers:detail", customer.pk)


# ---------------------------------------------------------------- profile sheet


def _question(question_id: int) -> ProfileQuestion:
    return get_object_or_404(ProfileQuestion, pk=question_id, hidden=False)


def _row(customer: Customer, question: ProfileQuestion) -> services.SheetRow:
    answer = customer.answers.filter(question=question).first()
    return services.SheetRow(question, answer)


@login_required
def answer_row(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    """One row of the sheet as shown (what Cancel swaps back in)."""
    customer = get_customer_for_user(request.user, pk)
    question = _question(question_id)
    if not is_htmx(request):
        return redirect(reverse("customers:detail", args=[customer.pk]) + f"#q-{question.pk}")
    context = {"customer": customer, "row": _row(customer, question)}
    return render(request, "customers/_answer_row.html", context)


@login_required
def answer_edit(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    """Edit one answer in place: GET the small form, POST it back to save the row."""
    customer = get_customer_for_user(request.user, pk)
    question = _question(question_id)
    row = _row(customer, question)
    if request.method == "POST":
        form = AnswerForm(request.POST, question=question)
        if form.is_valid():
            try:
                services.set_answer(customer, question, form.cleaned_data["value"], by=request.user)
            except ValidationError as e:
                form.add_error("value", e)
            else:
                record_request(request, "change", customer_id=pk, target="customer.answers")
                if not is_htmx(request):
                    messages.success(request, f"Saved: {question.text}")
                    return redirect(
                        reverse("customers:detail", args=[customer.pk]) + f"#q-{question.pk}"
                    )
                context = {
                    "customer": customer,
                    "row": _row(customer, question),
                    "saved": True,
                    **_sheet_context(customer),
                }
                return render(request, "customers/_answer_saved.html", context)
    else:
        form = AnswerForm(
            initial={"value": row.answer.value if row.answer else ""}, question=question
        )
    context = {"customer": customer, "row": row, "form": form}
    if is_htmx(request):
        return render(request, "customers/_answer_form.html", context)
    return render(request, "customers/answer.html", {**context, "full_page": True})


# ---------------------------------------------------------------- relatives


@login_required
def relative_new(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    return _relative_form(request, customer, Relative(customer=customer))


@login_required
def relative_edit(request: HttpRequest, pk: int, relative_id: int) -> HttpResponse:
    relative = get_relative_for_user(request.user, pk, relative_id)
    return _relative_form(request, relative.customer, relative)


def _relative_form(request: HttpRequest, customer: Customer, relative: Relative) -> HttpResponse:
    creating = relative.pk is None
    if request.method == "POST":
        form = RelativeForm(request.POST, instance=relative)
        if form.is_valid():
            try:
                services.save_relative(form.instance)
            except ValidationError as e:
                form.add_error(None, e)
            else:
                action = "create" if creating else "change"
                record_request(
                    request, action, customer_id=customer.pk, target="customer.relatives"
                )
                verb = "added" if creating else "saved"
                messages.success(request, f"{relative.name} {verb}.")
                return redirect(reverse("customers:detail", args=[customer.pk]) + "#relatives")
    else:
        form = RelativeForm(instance=relative)
    context = {"customer": customer, "relative": relative, "form": form, "creating": creating}
    return render(request, "customers/relative_form.html", context)


@login_required
def relative_delete(request: HttpRequest, pk: int, relative_id: int) -> HttpResponse:
    relative = get_relative_for_user(request.user, pk, relative_id)
    customer = relative.customer
    if request.method == "POST":
        relative.delete()
        record_request(request, "delete", customer_id=customer.pk, target="customer.relatives")
        messages.success(request, f"{relative.name} removed.")
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#relatives")
    return confirm_page(
        request,
        title=f"Remove {relative.name}?",
        question=f"{relative} will be removed from {customer.display_name}'s relatives.",
        action=reverse("customers:relative_delete", args=[customer.pk, relative.pk]),
        cancel_url=reverse("customers:detail", args=[customer.pk]) + "#relatives",
        confirm_label="Remove",
    )


# ---------------------------------------------------------------- profile questions


@owner_required
def questions(request: HttpRequest) -> HttpResponse:
    """The profile sheet's questions by section; the owner adds, orders and hides them."""
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                question = services.add_question(
                    section=data["section"],
                    text=data["text"],
                    kind=data["kind"],
                    choices=form.choice_list(),
                    help_text=data["help_text"],
                )
            except ValidationError as e:
                for key, errors in e.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(request, f"Question added: {question.text}")
                return redirect(reverse("customers:questions") + f"#q-{question.pk}")
    else:
        form = QuestionForm(initial={"section": request.GET.get("section", Section.PERSONAL)})
    by_section = {key: (label, []) for key, label in Section.choices}
    for question in ProfileQuestion.objects.all():
        by_section[question.section][1].append(question)
    sections = [(key, label, qs) for key, (label, qs) in by_section.items()]
    return render(request, "customers/questions.html", {"form": form, "sections": sections})


@owner_required
@require_POST
def question_move(request: HttpRequest, question_id: int) -> HttpResponse:
    question = get_object_or_404(ProfileQuestion, pk=question_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.move_question(question, offset)
    return redirect(reverse("customers:questions") + f"#q-{question.pk}")


@owner_required
@require_POST
def question_visibility(request: HttpRequest, question_id: int) -> HttpResponse:
    question = get_object_or_404(ProfileQuestion, pk=question_id)
    hidden = request.POST.get("hidden") == "1"
    services.set_question_hidden(question, hidden)
    state = "hidden from" if hidden else "shown on"
    messages.success(request, f"“{question.text}” is {state} the profile sheet.")
    return redirect(reverse("customers:questions") + f"#q-{question.pk}")
