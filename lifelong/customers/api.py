"""API for customers, their relatives and their profile sheet.

Every customer-scoped handler starts with get_customer_for_user, so a customer the
caller may not see answers 404 exactly like one that does not exist.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from lifelong.audit.log import record_request
from lifelong.customers import duplicates, services
from lifelong.customers.access import (
    assignable_owner,
    customers_visible_to,
    get_customer_for_user,
    get_relative_for_user,
    visible_referrer,
)
from lifelong.customers.listing import Filters, list_customers
from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.schemas import (
    CLIENT_ERRORS,
    CUSTOMER_FIELDS,
    RELATIVE_FIELDS,
    AnswerIn,
    CustomerIn,
    CustomerOut,
    CustomerPageOut,
    CustomerPatch,
    CustomerQuery,
    DuplicatePageOut,
    DuplicateQuery,
    MergeIn,
    MergeOut,
    ProfileOut,
    ProfileRowOut,
    QuestionOut,
    RelativeIn,
    RelativeOut,
    RelativePatch,
    profile_out,
    profile_row,
)

router = Router(tags=["customers"])

# Customer ids are matched as integers in the URL: /customers/abc is a 404 like any other.
CUSTOMER = "/customers/{int:customer_id}"


def _save(request: HttpRequest, customer: Customer, data: dict[str, Any]) -> Customer:
    """Copy the known fields of `data` (a validated schema dump) onto `customer` and save it.

    Raises ValidationError with every field's problems together, and writes nothing then.
    """
    audit_action = "change" if customer.pk else "create"
    errors: dict[str, list[str]] = {}
    try:
        if "owner" in data:
            current = customer.owner if customer.pk else None
            customer.owner = assignable_owner(request.user, data["owner"], current=current)
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        if "referred_by" in data:
            customer.referred_by = visible_referrer(request.user, data["referred_by"])
    except ValidationError as e:
        errors.update(e.message_dict)
    for name in CUSTOMER_FIELDS:
        if name in data:
            setattr(customer, name, data[name])
    emails = phones = None
    if data.get("emails") is not None:
        emails = [services.ContactPoint(e["address"], e.get("label") or "") for e in data["emails"]]
    if data.get("phones") is not None:
        phones = [services.ContactPoint(p["number"], p.get("label") or "") for p in data["phones"]]
    with transaction.atomic():
        try:
            services.save_customer(
                customer,
                emails=emails,
                phones=phones,
                tags=data.get("tags"),
                consent_how="api",
                consent_by=request.user,
            )
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            # Raised inside the transaction, so a save that passed on its own is undone.
            raise ValidationError(errors)
    record_request(request, audit_action, customer_id=customer.pk, target="customer")
    return customer


# ---------------------------------------------------------------- customers


@router.get("/customers", response={200: CustomerPageOut, **CLIENT_ERRORS})
def customer_list(request: HttpRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    """The customers you may see, a page at a time (keyset pagination by `cursor`)."""
    filters = Filters(
        q=query.q,
        status=query.status or "",
        owner_id=query.owner,
        tag=query.tag,
        archived=query.archived,
        sort=query.sort,
    )
    page = list_customers(request.user, filters, cursor=query.cursor, limit=query.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/customers", response={201: CustomerOut, **CLIENT_ERRORS})
def customer_create(request: HttpRequest, payload: CustomerIn) -> Status:
    """Create a customer. A rep becomes its owner; owners and managers may name another."""
    customer = Customer(owner=request.user)
    _save(request, customer, payload.model_dump())
    return Status(201, customer)


@router.get(CUSTOMER, response={200: CustomerOut, **CLIENT_ERRORS})
def customer_detail(request: HttpRequest, customer_id: int) -> Customer:
    customer = get_customer_for_user(request.user, customer_id)
    record_request(request, "view", customer_id=customer.pk, target="customer")
    return customer


@router.patch(CUSTOMER, response={200: CustomerOut, **CLIENT_ERRORS})
def customer_update(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Customer:
    """Change the fields sent; emails, phones and tags, when sent, replace the old lists."""
    customer = get_customer_for_user(request.user, customer_id)
    return _save(request, customer, payload.model_dump(exclude_unset=True))


@router.put(CUSTOMER, response={200: CustomerOut, **CLIENT_ERRORS})
def customer_replace(request: HttpRequest, customer_id: int, payload: CustomerIn) -> Customer:
    """Replace the whole customer; omitted fields are cleared (the owner is kept if omitted)."""
    customer = get_customer_for_user(request.user, customer_id)
    return _save(request, customer, payload.model_dump())


@router.delete(CUSTOMER, response={200: CustomerOut, **CLIENT_ERRORS})
def customer_archive(request: HttpRequest, customer_id: int) -> Customer:
    """Archive the customer (a soft delete: nothing is erased; POST …/restore undoes it)."""
    customer = get_customer_for_user(request.user, customer_id)
    services.archive_customer(customer)
    record_request(request, "change", customer_id=customer.pk, target="customer archived")
    return customer


@router.post(CUSTOMER + "/restore", response={200: CustomerOut, **CLIENT_ERRORS})
def customer_restore(request: HttpRequest, customer_id: int) -> Customer:
    """Bring an archived customer back."""
    customer = get_customer_for_user(request.user, customer_id)
    services.restore_customer(customer)
    record_request(request, "change", customer_id=customer.pk, target="customer restored")
    return customer


# ---------------------------------------------------------------- duplicates


@router.get(
    "/customers/duplicates", response={200: DuplicatePageOut, **CLIENT_ERRORS}, tags=["duplicates"]
)
def duplicate_list(request: HttpRequest, query: Query[DuplicateQuery]) -> dict[str, Any]:
    """Pairs of the customers you may see that are probably one person, surest first.
    Pairs somebody marked as different people are left out (docs/duplicates.md)."""
    page = duplicates.possible_duplicates(
        customers_visible_to(request.user), limit=query.limit, cursor=query.cursor
    )
    items = [{"a": p.a, "b": p.b, "reasons": p.reasons} for p in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post(CUSTOMER + "/merge", response={200: MergeOut, **CLIENT_ERRORS}, tags=["duplicates"])
def customer_merge(request: HttpRequest, customer_id: int, payload: MergeIn) -> dict[str, Any]:
    """Merge customer `other` into this one: every record moves here, empty fields are
    filled, notes appended, and `other` is deleted. Both must be customers you may see."""
    keep = get_customer_for_user(request.user, customer_id)
    other = get_customer_for_user(request.user, payload.other)
    if keep.pk == other.pk:
        raise ValidationError({"other": ["A customer cannot be merged with themselves."]})
    moved = duplicates.what_moves(other)
    other_pk = other.pk
    keep = duplicates.merge_customers(keep, other, by=request.user)
    record_request(request, "change", customer_id=keep.pk, target="customer merged")
    record_request(request, "delete", customer_id=other_pk, target="customer merged")
    return {"customer": keep, "moved": moved.counts}


# ---------------------------------------------------------------- relatives


def _relative(request: HttpRequest, customer_id: int, relative_id: int) -> Relative:
    return get_relative_for_user(request.user, customer_id, relative_id)


@router.get(
    CUSTOMER + "/relatives",
    response={200: list[RelativeOut], **CLIENT_ERRORS},
    tags=["relatives"],
)
def relative_list(request: HttpRequest, customer_id: int) -> list[Relative]:
    """All the customer's relatives (not paginated: a family is short)."""
    return list(get_customer_for_user(request.user, customer_id).relatives.all())


@router.post(
    CUSTOMER + "/relatives", response={201: RelativeOut, **CLIENT_ERRORS}, tags=["relatives"]
)
def relative_create(request: HttpRequest, customer_id: int, payload: RelativeIn) -> Status:
    customer = get_customer_for_user(request.user, customer_id)
    relative = Relative(customer=customer)
    for name in RELATIVE_FIELDS:
        setattr(relative, name, getattr(payload, name))
    services.save_relative(relative)
    record_request(request, "create", customer_id=customer.pk, target="customer.relatives")
    return Status(201, relative)


@router.get(
    CUSTOMER + "/relatives/{int:relative_id}",
    response={200: RelativeOut, **CLIENT_ERRORS},
    tags=["relatives"],
)
def relative_detail(request: HttpRequest, customer_id: int, relative_id: int) -> Relative:
    return _relative(request, customer_id, relative_id)


@router.patch(
    CUSTOMER + "/relatives/{int:relative_id}",
    response={200: RelativeOut, **CLIENT_ERRORS},
    tags=["relatives"],
)
def relative_update(
    request: HttpRequest, customer_id: int, relative_id: int, payload: RelativePatch
) -> Relative:
    relative = _relative(request, customer_id, relative_id)
    data = payload.model_dump(exclude_unset=True)
    for name in RELATIVE_FIELDS:
        if name in data:
            setattr(relative, name, data[name])
    services.save_relative(relative)
    record_request(request, "change", customer_id=customer_id, target="customer.relatives")
    return relative


@router.delete(
    CUSTOMER + "/relatives/{int:relative_id}",
    response={204: None, **CLIENT_ERRORS},
    tags=["relatives"],
)
def relative_delete(request: HttpRequest, customer_id: int, relative_id: int) -> HttpResponse:
    _relative(request, customer_id, relative_id).delete()
    record_request(request, "delete", customer_id=customer_id, target="customer.relatives")
    return HttpResponse(status=204)


# ---------------------------------------------------------------- profile sheet


@router.get(
    "/profile-questions", response={200: list[QuestionOut], **CLIENT_ERRORS}, tags=["profile"]
)
def question_list(request: HttpRequest) -> list[ProfileQuestion]:
    """Every profile question in sheet order, hidden ones included (marked hidden)."""
    return list(ProfileQuestion.objects.all())


@router.get(CUSTOMER + "/profile", response={200: ProfileOut, **CLIENT_ERRORS}, tags=["profile"])
def profile_detail(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The profile sheet: visible questions by section, the answers, completeness, unknowns."""
    customer = get_customer_for_user(request.user, customer_id)
    record_request(request, "view", customer_id=customer.pk, target="customer.answers")
    return profile_out(services.profile_sheet(customer))


@router.put(
    CUSTOMER + "/profile/{question_key}",
    response={200: ProfileRowOut, **CLIENT_ERRORS},
    tags=["profile"],
)
def answer_set(
    request: HttpRequest, customer_id: int, question_key: str, payload: AnswerIn
) -> dict[str, Any]:
    """Answer one question (dates as YYYY-MM-DD or --MM-DD); a blank value deletes the answer."""
    customer = get_customer_for_user(request.user, customer_id)
    question = get_object_or_404(ProfileQuestion, key=question_key)
    try:
        answer = services.set_answer(customer, question, payload.value, by=request.user)
    except ValidationError as e:
        raise ValidationError({"value": e.messages}) from None
    record_request(request, "change", customer_id=customer.pk, target="customer.answers")
    return profile_row(services.SheetRow(question, answer))
