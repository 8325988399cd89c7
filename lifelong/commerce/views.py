"""Commerce pages: the customer page's Purchases panel, recording and deleting a purchase,
and the product catalogue.

A customer is always reached through the access helper, and a purchase is then looked up
within that customer, so nobody reaches a purchase of a customer they cannot see. The
catalogue is shared: everybody reads it, owners and managers change it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from lifelong.accounts.models import Business
from lifelong.accounts.views import confirm_page
from lifelong.audit.log import record_request
from lifelong.commerce import services
from lifelong.commerce.access import get_purchase_for_user
from lifelong.commerce.forms import ProductForm, PurchaseForm, VersionForm
from lifelong.commerce.models import Product, ProductVersion
from lifelong.cursors import BadCursor
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.customers.views import is_htmx

HISTORY_PAGE = 10


def _panel_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#purchases"


def _history(customer: Customer, cursor: str) -> services.PurchasePage:
    """A page of purchases; a cursor that does not fit starts again from the newest."""
    try:
        return services.purchase_page(customer, cursor=cursor, limit=HISTORY_PAGE)
    except BadCursor:
        return services.purchase_page(customer, limit=HISTORY_PAGE)


def purchase_panel_context(request: HttpRequest, customer: Customer) -> dict:
    """Totals, the record form and a page of purchases, for the customer page's panel.

    The page's cursor is ?purchases= (the timeline's is ?cursor=).
    """
    cursor = request.GET.get("purchases", "")
    page = _history(customer, cursor)
    business = _business(request)
    if page.items or cursor:
        totals = services.purchase_totals(customer, currency=business.currency)
    else:  # no purchases at all: no need to ask
        totals = services.PurchaseTotals(0, None, None)
    return {
        "totals": totals,
        "purchases": page.items,
        "next_cursor": page.next_cursor,
        "paged": bool(cursor),
        "purchase_form": PurchaseForm(business=business),
    }


def _business(request: HttpRequest) -> Business:
    # The middleware has read it already.
    return getattr(request, "business", None) or Business.get()


@login_required
def record(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Record a purchase: htmx gets the new entry, fresh totals and a fresh form."""
    customer = get_customer_for_user(request.user, customer_id)
    business = _business(request)
    form = PurchaseForm(request.POST or None, business=business)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            purchase = services.record_purchase(
                customer,
                occurred_at=data["date"],
                total=data["amount"],
                currency=data["currency"],
                channel=data["channel"],
                lines=form.lines(),
            )
        except ValidationError as e:
            form.add_error(None, _form_errors(e))
        else:
            record_request(request, "create", customer_id=customer.pk, target="customer.purchases")
            if not is_htmx(request):
                messages.success(request, "Purchase recorded.")
                return redirect(_panel_url(customer))
            purchase = services.purchases_of(customer).get(pk=purchase.pk)
            context = {
                "customer": customer,
                "purchase": purchase,
                "new": True,
                "purchase_form": PurchaseForm(business=business),
                "totals": services.purchase_totals(customer, currency=business.currency),
            }
            return render(request, "commerce/_recorded.html", context)
    context = {"customer": customer, "purchase_form": form}
    if is_htmx(request):
        response = render(request, "commerce/_purchase_form.html", context)
        # The entry goes to the top of the list; a form with errors replaces the form.
        response["HX-Retarget"] = "#record-purchase"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "commerce/record.html", context)


# The form field that shows each of record_purchase's errors.
_FORM_FIELD = {"occurred_at": "date", "total": "amount", "lines.0.amount": "amount"}


def _form_errors(e: ValidationError) -> ValidationError:
    if not hasattr(e, "error_dict"):
        return e
    mapped: dict[str, list[str]] = {}
    for name, messages_ in e.message_dict.items():
        field = _FORM_FIELD.get(name, name.removeprefix("lines.0."))
        if field not in PurchaseForm.base_fields:
            field = "__all__"
        mapped.setdefault(field, []).extend(messages_)
    return ValidationError(mapped)


@login_required
@require_GET
def history(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Older purchases, after ?cursor=, for the panel's "Older purchases" link."""
    customer = get_customer_for_user(request.user, customer_id)
    cursor = request.GET.get("cursor", "")
    if not is_htmx(request):
        url = reverse("customers:detail", args=[customer.pk])
        return redirect(f"{url}?purchases={cursor}#purchases" if cursor else f"{url}#purchases")
    page = _history(customer, cursor)
    context = {"customer": customer, "purchases": page.items, "next_cursor": page.next_cursor}
    return render(request, "commerce/_purchase_items.html", context)


@login_required
def delete(request: HttpRequest, customer_id: int, purchase_id: int) -> HttpResponse:
    purchase = get_purchase_for_user(request.user, customer_id, purchase_id)
    customer = purchase.customer
    if request.method == "POST":
        services.delete_purchase(purchase)
        record_request(request, "delete", customer_id=customer.pk, target="customer.purchases")
        messages.success(request, "Purchase deleted.")
        return redirect(_panel_url(customer))
    when = purchase.occurred_at.strftime("%Y-%m-%d")
    return confirm_page(
        request,
        title="Delete this purchase?",
        question=f"The purchase of {purchase.total} {purchase.currency} on {when} will be "
        f"removed from {customer.display_name}'s history, with its lines.",
        detail="Their totals and value figures will no longer count it.",
        action=reverse("commerce:delete", args=[customer.pk, purchase.pk]),
        cancel_url=_panel_url(customer),
        confirm_label="Delete",
    )


# ---------------------------------------------------------------- the catalogue


def editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log in first; then only owners and managers may change the catalogue (403)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.may_edit_products(request.user):
            raise PermissionDenied("Only owners and managers can change the products.")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def products(request: HttpRequest) -> HttpResponse:
    """Every product with its versions and how many customers own each."""
    context = {
        "rows": services.product_catalogue(request.user),
        "can_edit": services.may_edit_products(request.user),
    }
    return render(request, "commerce/products.html", context)


def _catalogue_url(product: Product | None = None) -> str:
    url = reverse("commerce:products")
    return f"{url}#product-{product.pk}" if product else url


@editor_required
def product_new(request: HttpRequest) -> HttpResponse:
    return _product_form(request, Product())


@editor_required
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    return _product_form(request, get_object_or_404(Product, pk=product_id))


def _product_form(request: HttpRequest, product: Product) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_product(form.instance)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"{product.name} saved.")
            return redirect(_catalogue_url(product))
    return render(request, "commerce/product_form.html", {"form": form, "product": product})


@editor_required
def version_new(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    return _version_form(request, product, ProductVersion(product=product))


@editor_required
def version_edit(request: HttpRequest, product_id: int, version_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    version = get_object_or_404(ProductVersion, pk=version_id, product=product)
    return _version_form(request, product, version)


def _version_form(request: HttpRequest, product: Product, version: ProductVersion) -> HttpResponse:
    form = VersionForm(request.POST or None, instance=version, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_version(form.instance, supersedes=form.cleaned_data["supersedes"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"{product.name} {version.label} saved.")
            return redirect(_catalogue_url(product))
    context = {"form": form, "product": product, "version": version}
    return render(request, "commerce/version_form.html", context)
