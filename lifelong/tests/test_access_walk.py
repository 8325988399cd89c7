"""The access walk: every URL and every API operation, requested by an outsider.

One world (access_world.py) holds a record of every kind, all belonging to a rep's
customers. The outsider is another rep, who owns nothing. Each URL name and each API
operation has an entry in URLS or OPERATIONS saying what the outsider may get:

- REFUSED: a record of somebody else's, or a page for owners/managers only: every
  method answers 403 or 404 (or 405 for a method the view does not take), and a POST,
  PUT, PATCH or DELETE changes nothing in the database.
- SHARED: the business's shared setup (products, templates, programs, segments, surveys,
  events, extras): a rep may read it (200), without any of the world's customers on the
  page; changing it is refused as above.
- OWN: the outsider's own scope (their lists, agenda, settings): 200, and none of the
  world's customers shows; a POST the entry gives must change nothing of the world's.
- PUBLIC: reached without an account by design (login, links with a secret or signed
  token); requested with a wrong token, it shows nothing of the world's.

A new view or API operation without an entry fails test_every_view_and_operation_has_an_
access_entry: add it to URLS or OPERATIONS below. See docs/access.md.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import bearer, client_for
from lifelong.agenda import services as agenda
from lifelong.api import api
from lifelong.tests.access_world import (
    AMOUNT,
    MARKER,
    World,
    build_world,
    changed_tables,
    fingerprint,
)

REFUSED, SHARED, OWN, PUBLIC = "refused", "shared", "own", "public"
NOT_SERVED = frozenset({403, 404, 405})  # a page the outsider cannot have
API_REFUSED = frozenset({403, 404})

Data = Callable[[World], Any]


@dataclass(frozen=True)
class Access:
    """What an outsider may get from one URL name or API operation."""

    kind: str
    reason: str = ""
    # Path parameters beyond the defaults of PARAMS (e.g. "pk" means a different record
    # on each page).
    kwargs: Data | None = None
    # Query string of the GET (web) or of every method (API).
    query: Data | None = None
    # The POST data (web) or JSON body (API); a list of them tries each. REFUSED pages
    # are always POSTed ({} when not given); OWN and SHARED pages only when given.
    post: Data | None = None
    # What a POST of OWN/SHARED data may answer (it must still change nothing).
    post_status: frozenset[int] = NOT_SERVED
    # What the GET of an OWN/SHARED page answers (405 for a page that only takes POSTs).
    get_status: frozenset[int] = frozenset({200})
    # More GETs, each with this query string, that must be refused (403/404): a shared
    # page asked about one of the world's records.
    refused_queries: Data | None = None
    # Who may have a REFUSED page ("owner": the business owner, "rep": the world's rep),
    # asked the same (then rolled back) to prove the ids point at something real; None
    # with the reason when nobody can.
    control: str | None = "owner"
    # More GETs of an OWN or SHARED page, each with this query string (filters that name
    # the world's rep or "everyone"), that must show nothing of the world's either.
    probes: Data | None = None
    # Why an OWN page is not POSTed (its POST changes the user's own rows by design).
    no_post: str = ""


def refused(reason: str = "", **kw: Any) -> Access:
    return Access(REFUSED, reason, **kw)


def shared(reason: str, **kw: Any) -> Access:
    return Access(SHARED, reason, **kw)


def own(reason: str, **kw: Any) -> Access:
    return Access(OWN, reason, **kw)


def public(reason: str, **kw: Any) -> Access:
    return Access(PUBLIC, reason, **kw)


# Path parameters by name, from the world; entries override the ambiguous ones.
PARAMS: dict[str, Data] = {
    "customer_id": lambda w: w.customer.pk,
    "relative_id": lambda w: w.relative.pk,
    "question_id": lambda w: w.question.pk,
    "question_key": lambda w: w.question.key,
    "touch_id": lambda w: w.touch.pk,
    "purchase_id": lambda w: w.purchase.pk,
    "product_id": lambda w: w.product.pk,
    "version_id": lambda w: w.version.pk,
    "occasion_id": lambda w: w.occasion.pk,
    "referral_id": lambda w: w.referral.pk,
    "promise_id": lambda w: w.promise.pk,
    "event_id": lambda w: w.event.pk,
    "survey_id": lambda w: w.survey.pk,
    "segment_id": lambda w: w.segment.pk,
    "template_id": lambda w: w.template.pk,
    "program_id": lambda w: w.program.pk,
    "message_id": lambda w: w.draft.pk,
    "suppression_id": lambda w: w.suppression.pk,
    "batch_id": lambda w: w.batch.pk,
    "user_id": lambda w: w.rep.pk,
    "token_id": lambda w: w.token.pk,
    "a": lambda w: w.customer.pk,
    "b": lambda w: w.referred.pk,
}


def customer_pk(w: World) -> dict[str, int]:
    return {"pk": w.customer.pk}


def agenda_keys(w: World) -> list[str]:
    """A key of every kind of agenda item, naming the world's records, for the outsider to
    act on: the items on the rep's agenda, and one made up for each kind it lacks today."""
    keys = {item.key for item in agenda.agenda(w.rep, limit=500)}
    for _day, items, _more in agenda.week(w.rep, per_day=50):
        keys.update(item.key for item in items)
    made_up = {
        "contact": f"contact:{w.customer.pk}",
        "at_risk": f"at_risk:{w.customer.pk}",
        "occasion": f"occasion:{w.occasion.pk}:2026-03-14",
        "promise": f"promise:{w.promise.pk}",
        "apology": f"apology:{w.promise.pk}",
        "survey_recovery": f"survey_recovery:{w.response.pk}",
        "referral_ask": f"referral_ask:{w.customer.pk}",
        "referral_thanks": f"referral_thanks:{w.referral.pk}:arrived",
        "extra": f"extra:{w.suggestion.pk}",
        "moved_up": f"moved_up:{w.event_invitation.pk}",
    }
    have = {key.split(":", 1)[0] for key in keys}
    keys.update(key for kind, key in made_up.items() if kind not in have)
    missing = set(agenda.kinds()) - {key.split(":", 1)[0] for key in keys}
    assert not missing, f"agenda_keys() has no key of these kinds; add one: {sorted(missing)}"
    return sorted(keys)


def program_body(w: World) -> dict[str, Any]:
    return {"template": w.template.pk, "segment": w.segment.pk}


# A public page asked with a token nobody was given: 404 to GET and to POST, no change.
WRONG_TOKEN: Data = lambda w: {"token": "wrong-token"}  # noqa: E731
UNKNOWN_TOKEN: dict[str, Any] = {
    "get_status": frozenset({404}),
    "post": lambda w: {},
    "post_status": frozenset({404, 405}),  # 405: the feed takes no POST
}

SETUP = "the business's shared setup: every user reads it, owners and managers change it"

# ---------------------------------------------------------------- the web pages

URLS: dict[str, Access] = {
    "home": public("redirects to Today", get_status=frozenset({302})),
    "login": public("the login form"),
    "logout": public("logs out; the walk never POSTs it", get_status=frozenset({405})),
    "api:openapi-json": public("the API's description, no data"),
    "api:openapi-view": public("the API's documentation page, no data"),
    # accounts
    "accounts:settings": refused("owners only"),
    "accounts:users": refused("owners only"),
    "audit:log": refused("owners only: who viewed and changed personal data"),
    "accounts:user_role": refused("owners only", post=lambda w: {f"u{w.rep.pk}-role": "owner"}),
    "accounts:user_active": refused("owners only"),
    "accounts:tokens": own("the user's own API tokens"),
    "accounts:token_revoke": refused("another user's token", control="rep"),
    "accounts:profile": own("the user's own profile"),
    "accounts:password": own("the user's own password"),
    # customers
    "customers:list": own(
        "the customers the user may see",
        probes=lambda w: [{"owner": w.rep.pk}, {"q": "Zelda"}, {"archived": "on"}],
    ),
    "customers:new": own("a new customer of the user's own"),
    "customers:duplicates": own("duplicates among the customers the user may see"),
    "customers:merge": refused(post=lambda w: {"keep": w.customer.pk}),
    "customers:duplicate_dismiss": refused(),
    "customers:questions": refused("the owner keeps the profile sheet's questions"),
    "customers:question_move": refused("owners only", post=lambda w: {"direction": "up"}),
    "customers:question_visibility": refused("owners only", post=lambda w: {"hidden": "1"}),
    "customers:detail": refused(kwargs=customer_pk),
    "customers:edit": refused(
        kwargs=customer_pk, post=lambda w: {"first_name": "Hacked", "last_name": "X"}
    ),
    "customers:archive": refused(kwargs=customer_pk),
    "customers:restore": refused(kwargs=customer_pk),
    "customers:answer": refused(kwargs=customer_pk),
    "customers:answer_edit": refused(kwargs=customer_pk, post=lambda w: {"value": "Hacked"}),
    "customers:relative_new": refused(
        kwargs=customer_pk, post=lambda w: {"name": "Hacked", "relationship": "child"}
    ),
    "customers:relative_edit": refused(
        kwargs=customer_pk, post=lambda w: {"name": "Hacked", "relationship": "child"}
    ),
    "customers:relative_delete": refused(kwargs=customer_pk),
    # touches
    "touches:coverage": own("coverage of the customers the user may see"),
    "touches:timeline": refused(),
    "touches:log": refused(post=lambda w: {"channel": "call", "summary": "Hacked"}),
    "touches:edit": refused(post=lambda w: {"channel": "call", "summary": "Hacked"}),
    "touches:delete": refused(),
    # commerce
    "commerce:products": shared(SETUP),
    "commerce:product_new": refused("owners and managers change the products"),
    "commerce:product_edit": refused(
        "owners and managers change the products", post=lambda w: {"name": "Hacked"}
    ),
    "commerce:product_version_new": refused("owners and managers change the products"),
    "commerce:product_version_edit": refused("owners and managers change the products"),
    "commerce:product_version_upgrade": shared(
        "counts over the customers the user may see; owners and managers prepare offers",
        post=lambda w: {"price": "100", "expires_on": "2099-01-01"},
    ),
    "commerce:history": refused(),
    "commerce:record": refused(post=lambda w: {"occurred_at": "2026-01-01", "total": "5"}),
    "commerce:delete": refused(),
    # value
    "value:index": own("figures over the customers the user may see"),
    "value:refresh": refused("owners and managers refresh the figures"),
    "value:holdout": own("the holdout group among the customers the user may see"),
    "value:at_risk": own(
        "at-risk customers among those the user may see", probes=lambda w: [{"owner": w.rep.pk}]
    ),
    # occasions
    "occasions:index": own("occasions of the customers the user may see"),
    "occasions:reset": own(
        "the user's own calendar feed",
        no_post="a POST gives the user's own feed a new token (occasions' tests)",
    ),
    "occasions:feed": public(
        "the calendar feed, by its secret token", kwargs=WRONG_TOKEN, **UNKNOWN_TOKEN
    ),
    "occasions:add": refused(
        post=lambda w: {"kind": "custom", "label": "Hacked", "date": "2020-01-01"}
    ),
    "occasions:delete": refused(),
    # agenda
    "agenda:today": own("the user's own agenda", probes=lambda w: [{"who": "all"}]),
    "agenda:week": own("the user's own agenda", probes=lambda w: [{"who": "all"}]),
    "agenda:act": own(
        "acts on the user's own agenda items; the world's are refused",
        get_status=frozenset({405}),
        post_status=frozenset({404}),
        post=lambda w: [
            {"key": key, "action": action}
            for key in agenda_keys(w)
            for action in ("done", "dismiss")
        ],
    ),
    # segments
    "segments:list": shared(SETUP),
    "segments:new": refused("owners and managers change the segments"),
    "segments:count": own(
        "counts the customers the user may see",
        post=lambda w: {},
        post_status=frozenset({200}),
    ),
    "segments:detail": shared("members shown are those the user may see"),
    "segments:edit": refused("owners and managers change the segments"),
    "segments:delete": refused("owners and managers change the segments"),
    # outreach: templates
    "outreach:templates": shared(SETUP),
    "outreach:template_new": refused("owners and managers change templates"),
    "outreach:template": shared(
        "a template; previewed for a customer the user may see only",
        refused_queries=lambda w: [{"customer": w.customer.pk}],
    ),
    "outreach:template_edit": refused("owners and managers change templates"),
    "outreach:template_restore": refused("owners and managers change templates"),
    "outreach:template_delete": refused("owners and managers change templates"),
    # outreach: outbox, suppressions, the public unsubscribe pages
    "outreach:outbox": own(
        "messages to the customers the user may see",
        probes=lambda w: [{"status": "draft"}, {"status": "failed"}],
    ),
    "outreach:message": refused(kwargs=lambda w: {"pk": w.message.pk}),
    "outreach:message_retry": refused(kwargs=lambda w: {"pk": w.message.pk}),
    "outreach:suppressions": refused("owners and managers keep the suppression list"),
    "outreach:suppression_remove": refused(
        "owners and managers keep the suppression list", kwargs=lambda w: {"pk": w.suppression.pk}
    ),
    "outreach:unsubscribe": public(
        "one-click unsubscribe, by a signed token", kwargs=WRONG_TOKEN, **UNKNOWN_TOKEN
    ),
    "outreach:preferences": public(
        "the recipient's preferences, by a signed token", kwargs=WRONG_TOKEN, **UNKNOWN_TOKEN
    ),
    # outreach: programs and drafts
    "outreach:programs": shared(SETUP),
    "outreach:program_new": refused("owners and managers change programs"),
    "outreach:program": shared("a program; its messages counted over the user's customers"),
    "outreach:program_edit": refused("owners and managers change programs"),
    "outreach:program_run": refused("owners and managers run programs"),
    "outreach:program_toggle": refused("owners and managers change programs"),
    "outreach:drafts": own("drafts to the customers the user may see"),
    "outreach:drafts_approve_all": own(
        "approves the drafts the user may see; the world's stay drafts",
        post=lambda w: {},
        post_status=frozenset({302, 403, 404}),
    ),
    "outreach:draft": refused(post=lambda w: {"subject": "Hacked", "body_text": "Hacked"}),
    "outreach:draft_act": refused(post=lambda w: [{"action": "approve"}, {"action": "skip"}]),
    # promises
    "promises:index": own(
        "promises to the customers the user may see",
        probes=lambda w: [{"whose": "all"}, {"status": "open"}],
    ),
    "promises:new": refused(post=lambda w: {"what": "Hacked", "due_on": "2099-01-01"}),
    "promises:detail": refused(kwargs=lambda w: {"pk": w.promise.pk}),
    "promises:keep": refused(kwargs=lambda w: {"pk": w.promise.pk}),
    "promises:break": refused(
        kwargs=lambda w: {"pk": w.promise.pk}, post=lambda w: {"reason": "x"}
    ),
    "promises:renegotiate": refused(
        kwargs=lambda w: {"pk": w.promise.pk},
        post=lambda w: {"what": "Hacked", "due_on": "2099-01-01", "reason": "x"},
    ),
    # surveys
    "surveys:index": shared("surveys; figures over the customers the user may see"),
    "surveys:create": refused("owners and managers change surveys"),
    "surveys:detail": shared("a survey; responses of the customers the user may see"),
    "surveys:edit": refused("owners and managers change surveys"),
    "surveys:csv": shared("responses of the customers the user may see"),
    "surveys:link": refused(post=lambda w: {"survey": w.survey.pk}),
    "surveys:respond": public(
        "the customer answers by the link's token", kwargs=WRONG_TOKEN, **UNKNOWN_TOKEN
    ),
    # referrals
    "referrals:index": own("referrals among the customers the user may see"),
    "referrals:add": refused(post=lambda w: {"name": "Hacked"}),
    "referrals:ask": refused(post=lambda w: {"channel": "call", "answer": "yes"}),
    "referrals:status": refused(post=lambda w: {"status": "lost"}),
    "referrals:delete": refused(),
    # imports
    "imports:upload": own("uploads a file of the user's own"),
    "imports:mapping": refused(
        "an import lives in its uploader's session (so nobody else has walk-token)",
        kwargs=lambda w: {"token": "walk-token"},
        control=None,
    ),
    "imports:start": refused(
        "an import lives in its uploader's session (so nobody else has walk-token)",
        kwargs=lambda w: {"token": "walk-token"},
        control=None,
    ),
    "imports:progress": refused(
        "an import lives in its uploader's session (so nobody else has walk-token)",
        kwargs=lambda w: {"token": "walk-token"},
        control=None,
    ),
    "imports:undo": refused("a rep undoes only their own imports"),
    # extras
    "extras:index": shared("the extras; the report is over the customers the user may see"),
    "extras:add_extra": refused("owners and managers change the extras"),
    "extras:add_rule": refused("owners and managers change the extras"),
    "extras:toggle": refused(
        "owners and managers change the extras",
        kwargs=lambda w: {"kind": "extra", "pk": w.extra.pk},
    ),
    "extras:give": refused(post=lambda w: {"extra": w.extra.pk, "note": "Hacked"}),
    # events
    "events:list": own("the events one of the user's customers is invited to"),
    "events:new": refused("owners and managers change events"),
    "events:detail": refused("a rep sees an event once one of their customers is invited"),
    "events:edit": refused("owners and managers change events"),
    "events:invite": refused("owners and managers invite"),
    "events:attendance": refused(
        "owners and managers record attendance",
        post=lambda w: {"attended": [w.event_invitation.pk]},
    ),
    "events:rsvp": public(
        "the guest answers by a signed link", kwargs=WRONG_TOKEN, **UNKNOWN_TOKEN
    ),
    # privacy
    "privacy:export": refused(kwargs=customer_pk),
    "privacy:erase": refused(
        "owners and managers erase, and only customers they see",
        kwargs=customer_pk,
        post=lambda w: {"name": w.customer.display_name},
    ),
    "privacy:retention": refused("owners and managers review retention"),
    "privacy:retention_keep": refused("owners and managers review retention", kwargs=customer_pk),
}


# ---------------------------------------------------------------- the API operations

OPERATIONS: dict[str, Access] = {
    "GET /api/v1/me": own("the user themself"),
    # customers
    "GET /api/v1/customers": own(
        "the customers the user may see",
        probes=lambda w: [{"owner": w.rep.pk}, {"q": "Zelda"}, {"archived": "true"}],
    ),
    "POST /api/v1/customers": own(
        "creates a customer of the user's own; not called",
    ),
    "GET /api/v1/customers/{customer_id}": refused(),
    "PATCH /api/v1/customers/{customer_id}": refused(post=lambda w: {"first_name": "Hacked"}),
    "PUT /api/v1/customers/{customer_id}": refused(
        post=lambda w: {"first_name": "Hacked", "last_name": "X"}
    ),
    "DELETE /api/v1/customers/{customer_id}": refused(),
    "POST /api/v1/customers/{customer_id}/restore": refused(),
    "GET /api/v1/customers/duplicates": own("duplicates among the customers the user may see"),
    "POST /api/v1/customers/{customer_id}/merge": refused(post=lambda w: {"other": w.referred.pk}),
    "GET /api/v1/customers/{customer_id}/relatives": refused(),
    "POST /api/v1/customers/{customer_id}/relatives": refused(
        post=lambda w: {"name": "Hacked", "relationship": "child"}
    ),
    "GET /api/v1/customers/{customer_id}/relatives/{relative_id}": refused(),
    "PATCH /api/v1/customers/{customer_id}/relatives/{relative_id}": refused(
        post=lambda w: {"name": "Hacked"}
    ),
    "DELETE /api/v1/customers/{customer_id}/relatives/{relative_id}": refused(),
    "GET /api/v1/profile-questions": shared(SETUP),
    "GET /api/v1/customers/{customer_id}/profile": refused(),
    "PUT /api/v1/customers/{customer_id}/profile/{question_key}": refused(
        post=lambda w: {"value": "Hacked"}
    ),
    # touches
    "GET /api/v1/customers/{customer_id}/touches": refused(),
    "POST /api/v1/customers/{customer_id}/touches": refused(
        post=lambda w: {"channel": "call", "summary": "Hacked"}
    ),
    "GET /api/v1/customers/{customer_id}/touches/{touch_id}": refused(),
    "PATCH /api/v1/customers/{customer_id}/touches/{touch_id}": refused(
        post=lambda w: {"summary": "Hacked"}
    ),
    "DELETE /api/v1/customers/{customer_id}/touches/{touch_id}": refused(),
    "GET /api/v1/coverage": own("coverage of the customers the user may see"),
    # commerce
    "GET /api/v1/customers/{customer_id}/purchases": refused(),
    "POST /api/v1/customers/{customer_id}/purchases": refused(
        post=lambda w: {"date": "2026-01-01", "total": "5"}
    ),
    "GET /api/v1/customers/{customer_id}/purchases/{purchase_id}": refused(),
    "DELETE /api/v1/customers/{customer_id}/purchases/{purchase_id}": refused(),
    "GET /api/v1/products": shared(SETUP),
    "POST /api/v1/products": refused("owners and managers change the products"),
    "POST /api/v1/products/{product_id}/versions": refused(
        "owners and managers change the products"
    ),
    # value
    "GET /api/v1/value/summary": own("figures over the customers the user may see"),
    "GET /api/v1/value/tiers": own("figures over the customers the user may see"),
    "GET /api/v1/customers/{customer_id}/value": refused(),
    "POST /api/v1/value/refresh": refused("owners and managers refresh the figures"),
    "GET /api/v1/at-risk": own(
        "at-risk customers among those the user may see", probes=lambda w: [{"owner": w.rep.pk}]
    ),
    # occasions
    "GET /api/v1/occasions/upcoming": own("occasions of the customers the user may see"),
    "GET /api/v1/customers/{customer_id}/occasions": refused(),
    "POST /api/v1/customers/{customer_id}/occasions": refused(
        post=lambda w: {"kind": "custom", "label": "Hacked", "date": "2020-01-01"}
    ),
    "DELETE /api/v1/occasions/{occasion_id}": refused(),
    # segments
    "GET /api/v1/segments": shared(SETUP),
    "POST /api/v1/segments": refused("owners and managers change the segments"),
    "POST /api/v1/segments/count": own(
        "counts the customers the user may see", post=lambda w: {}, post_status=frozenset({200})
    ),
    "GET /api/v1/segments/{segment_id}": shared(SETUP),
    "PATCH /api/v1/segments/{segment_id}": refused("owners and managers change the segments"),
    "DELETE /api/v1/segments/{segment_id}": refused("owners and managers change the segments"),
    "GET /api/v1/segments/{segment_id}/count": shared("counts the customers the user may see"),
    # templates and programs
    "GET /api/v1/templates": shared(SETUP),
    "POST /api/v1/templates": refused("owners and managers change templates"),
    "GET /api/v1/templates/{template_id}": shared(SETUP),
    "PATCH /api/v1/templates/{template_id}": refused("owners and managers change templates"),
    "DELETE /api/v1/templates/{template_id}": refused("owners and managers change templates"),
    "POST /api/v1/templates/{template_id}/preview": refused(
        "previews only for a customer the user may see",
        query=lambda w: {"customer_id": w.customer.pk},
    ),
    "GET /api/v1/programs": shared(SETUP),
    "POST /api/v1/programs": refused("owners and managers change programs", post=program_body),
    "GET /api/v1/programs/{program_id}": shared(SETUP),
    "PUT /api/v1/programs/{program_id}": refused(
        "owners and managers change programs", post=program_body
    ),
    "POST /api/v1/programs/{program_id}/run": refused("owners and managers run programs"),
    "POST /api/v1/drafts/{message_id}/approve": refused(),
    "POST /api/v1/drafts/{message_id}/skip": refused(),
    # agenda
    "GET /api/v1/agenda": own(
        "the user's own agenda", refused_queries=lambda w: [{"everyone": "true"}]
    ),
    "GET /api/v1/agenda/week": own(
        "the user's own agenda", refused_queries=lambda w: [{"everyone": "true"}]
    ),
    "POST /api/v1/agenda/actions": own(
        "acts on the user's own agenda items; the world's are refused",
        post=lambda w: [
            {"key": key, "action": action}
            for key in agenda_keys(w)
            for action in ("done", "dismiss")
        ],
    ),
    # outbox and suppressions
    "GET /api/v1/messages": own(
        "messages to the customers the user may see",
        probes=lambda w: [{"customer": w.customer.pk}, {"status": "draft"}],
    ),
    "GET /api/v1/messages/{message_id}": refused(),
    "GET /api/v1/suppressions": refused("owners and managers keep the suppression list"),
    "POST /api/v1/suppressions": refused("owners and managers keep the suppression list"),
    "DELETE /api/v1/suppressions/{suppression_id}": refused(
        "owners and managers keep the suppression list"
    ),
    # referrals
    "GET /api/v1/customers/{customer_id}/referrals": refused(),
    "POST /api/v1/customers/{customer_id}/referrals": refused(
        post=lambda w: {"referred_id": w.referred.pk}
    ),
    "PATCH /api/v1/referrals/{referral_id}": refused(post=lambda w: {"status": "not_interested"}),
    "GET /api/v1/customers/{customer_id}/referral-asks": refused(),
    "POST /api/v1/customers/{customer_id}/referral-asks": refused(),
    "GET /api/v1/referrals/top": own("referrers among the customers the user may see"),
    # surveys
    "GET /api/v1/surveys": shared(SETUP),
    "GET /api/v1/surveys/{survey_id}": shared(SETUP),
    "GET /api/v1/surveys/{survey_id}/results": shared(
        "responses of the customers the user may see"
    ),
    "GET /api/v1/customers/{customer_id}/survey-responses": refused(),
    "POST /api/v1/surveys/{survey_id}/invitations": refused(
        "links only for customers the user may see",
        post=lambda w: {"customer_ids": [w.customer.pk]},
    ),
    # promises
    "GET /api/v1/customers/{customer_id}/promises": refused(),
    "POST /api/v1/customers/{customer_id}/promises": refused(
        post=lambda w: {"what": "Hacked", "due_on": "2099-01-01"}
    ),
    "GET /api/v1/promises": own(
        "promises to the customers the user may see", probes=lambda w: [{"mine": "false"}]
    ),
    "GET /api/v1/promises/kept-rate": own(
        "promises to the customers the user may see",
        probes=lambda w: [{"owner_id": w.rep.pk}],
        refused_queries=lambda w: [{"customer_id": w.customer.pk}],
    ),
    "GET /api/v1/promises/{promise_id}": refused(),
    "POST /api/v1/promises/{promise_id}/keep": refused(),
    "POST /api/v1/promises/{promise_id}/break": refused(post=lambda w: {"reason": "x"}),
    "POST /api/v1/promises/{promise_id}/renegotiate": refused(
        post=lambda w: {"what": "Hacked", "due_on": "2099-01-01", "reason": "x"}
    ),
    # events
    "GET /api/v1/events": own("the events one of the user's customers is invited to"),
    "POST /api/v1/events": refused("owners and managers change events"),
    "GET /api/v1/events/{event_id}": refused(
        "a rep sees an event once one of their customers is invited"
    ),
    "POST /api/v1/events/{event_id}/invite": refused(
        "owners and managers invite", post=lambda w: {"customer_ids": [w.customer.pk]}
    ),
    "GET /api/v1/events/{event_id}/invitations": refused(
        "a rep sees an event once one of their customers is invited"
    ),
    "POST /api/v1/events/{event_id}/attendance": refused(
        "owners and managers record attendance",
        post=lambda w: {"invitation_ids": [w.event_invitation.pk]},
    ),
    # extras
    "GET /api/v1/extras": shared(SETUP),
    "POST /api/v1/extras": refused("owners and managers change the extras"),
    "GET /api/v1/extras/rules": shared(SETUP),
    "POST /api/v1/extras/rules": refused(
        "owners and managers change the extras", post=lambda w: {"extra_id": w.extra.pk}
    ),
    "GET /api/v1/extras/given": own("extras given to the customers the user may see"),
    "POST /api/v1/customers/{customer_id}/extras": refused(post=lambda w: {"extra_id": w.extra.pk}),
    "GET /api/v1/customers/{customer_id}/extras": refused(),
    "GET /api/v1/extras/suggestions": own("suggestions for the customers the user may see"),
}


# ---------------------------------------------------------------- enumerating


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[URLPattern]:
    """Every named URL pattern, its name with namespaces ("customers:detail")."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from ((name, p) for name, p in url_names(pattern, inner))
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def web_url_names() -> dict[str, URLPattern]:
    """The web pages: everything named but the API's operations (walked by the schema)."""
    names = dict(url_names())
    operation_urls = {name for name in names if name.startswith("api:")} - {
        "api:openapi-json",
        "api:openapi-view",
    }
    return {name: p for name, p in names.items() if name not in operation_urls}


def api_operations() -> dict[str, dict]:
    """ "METHOD /api/v1/path" -> its OpenAPI operation."""
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}": operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def fill_path(name: str, params: list[str], access: Access, world: World) -> dict[str, Any]:
    kwargs = access.kwargs(world) if access.kwargs else {}
    for param in params:
        if param not in kwargs:
            if param not in PARAMS:
                raise AssertionError(
                    f"{name}: no value for the path parameter {param!r}; give the entry a "
                    "kwargs=lambda w: {...} or add the parameter to PARAMS"
                )
            kwargs[param] = PARAMS[param](world)
    return kwargs


def variants(access: Access, world: World) -> list[Any]:
    data = access.post(world) if access.post else {}
    return data if isinstance(data, list) else [data]


def leaks(content: bytes) -> bool:
    """Whether a page shows a customer of the world's, or a figure that counts one."""
    amounts = (AMOUNT, f"{float(AMOUNT):,.2f}")
    return MARKER.encode() in content or any(a.encode() in content for a in amounts)


@pytest.fixture
def world(owner, rep) -> World:
    return build_world(owner, rep)


def in_rollback(send: Callable[[], Any]) -> Any:
    """`send()`'s response, with whatever it wrote to the database undone."""
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def check_control(
    problems: list[str], what: str, access: Access, clients: dict[str, Client], send: Callable
) -> None:
    """The one the page is for gets past the access check: the walk's ids are real."""
    if access.kind != REFUSED or access.control is None:
        return
    status = in_rollback(lambda: send(clients[access.control])).status_code
    if status in (401, 403, 404):
        problems.append(
            f"{what}: {status} for the {access.control} too, so the walk proves nothing "
            "here; fix the ids the entry uses, or say control=None and why"
        )


def check_queries(
    client: Client, url: str, access: Access, world: World, refusals: frozenset, label: str = ""
) -> list[str]:
    """The entry's probes (filters by the world's rep, ids of its records) answer 200
    without a trace of the world; its refused queries answer one of `refusals`."""
    problems = []
    for probe in access.probes(world) if access.probes else []:
        probed = client.get(url, probe)
        if probed.status_code != 200 or leaks(probed.content):
            problems.append(f"GET {url} {probe}{label}: {probed.status_code}, or leaks")
    for refused_query in access.refused_queries(world) if access.refused_queries else []:
        status = client.get(url, refused_query).status_code
        if status not in refusals:
            problems.append(f"GET {url} {refused_query}{label}: {status}, expected 404")
    return problems


def check_mutation(
    problems: list[str], what: str, send: Callable[[], Any], allowed: frozenset[int]
) -> None:
    before = fingerprint()
    response = send()
    changed = changed_tables(before, fingerprint())
    if response.status_code not in allowed:
        problems.append(f"{what}: {response.status_code}, expected one of {sorted(allowed)}")
    if changed:
        problems.append(f"{what}: changed {', '.join(changed)}")


# ---------------------------------------------------------------- the walks


@pytest.mark.django_db
def test_every_page_refuses_an_outsider(world, outsider):
    client = client_for(outsider)
    controls = {"owner": client_for(world.owner), "rep": client_for(world.rep)}
    problems: list[str] = []
    for name, pattern in sorted(web_url_names().items()):
        access = URLS.get(name)
        if access is None:
            continue  # the meta-test below names it
        kwargs = fill_path(name, list(pattern.pattern.converters), access, world)
        url = reverse(name, kwargs=kwargs)
        query = access.query(world) if access.query else {}
        response = client.get(url, query)
        status = response.status_code
        what = f"GET {url} ({name})"
        check_control(problems, what, access, controls, lambda c, u=url, q=query: c.get(u, q))
        if access.kind == REFUSED and status not in NOT_SERVED:
            problems.append(f"{what}: {status}, expected 403 or 404")
        elif access.kind in (SHARED, OWN) and status not in access.get_status:
            problems.append(
                f"{what}: {status}, expected {sorted(access.get_status)} "
                f"({access.kind}: {access.reason})"
            )
        elif access.kind == PUBLIC and status not in access.get_status:
            problems.append(f"{what}: {status}, expected {sorted(access.get_status)}")
        if leaks(response.content):
            problems.append(f"{what}: shows {MARKER}, a customer of somebody else's")
        problems += check_queries(client, url, access, world, NOT_SERVED, f" ({name})")
        # Shared and own pages are POSTed too, with their data or none: a read-only page
        # may answer as to a GET (200), a form with what is missing (200, 400), but
        # nothing may change.
        if (access.kind in (REFUSED, SHARED, OWN) or access.post) and not access.no_post:
            allowed = NOT_SERVED if access.kind == REFUSED else access.post_status
            if access.kind in (SHARED, OWN) and not access.post:
                allowed = NOT_SERVED | {200, 400}
            for data in variants(access, world):
                what = f"POST {url} ({name}) {data}"
                check_mutation(
                    problems, what, lambda data=data, url=url: client.post(url, data), allowed
                )
                check_control(
                    problems, what, access, controls, lambda c, d=data, u=url: c.post(u, d)
                )
    assert not problems, "The outsider got more than they should:\n" + "\n".join(problems)


def example(schema: dict, components: dict) -> Any:
    """A value that fits `schema` (a JSON schema from the OpenAPI document)."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example(options[0], components)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example(props[k], components) for k in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), components)] if schema.get("minItems") else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    return {"date": "2026-01-01", "date-time": "2026-01-01T10:00:00Z", "email": "x@y.example"}.get(
        schema.get("format", ""), "x"
    )


def body_for(operation: dict, access: Access, world: World, components: dict) -> list[Any]:
    """The JSON bodies to send: the entry's, over an example that fits the schema."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    base = example(content["schema"], components) if content else None
    if not access.post:
        return [base]
    out = []
    for data in variants(access, world):
        out.append({**base, **data} if isinstance(base, dict) and isinstance(data, dict) else data)
    return out


@pytest.mark.django_db
def test_every_api_operation_refuses_an_outsider(world, outsider):
    client = Client(headers=bearer(outsider))
    controls = {
        "owner": Client(headers=bearer(world.owner)),
        "rep": Client(headers=bearer(world.rep)),
    }
    components = api.get_openapi_schema()["components"]["schemas"]
    problems: list[str] = []
    for key, operation in sorted(api_operations().items()):
        access = OPERATIONS.get(key)
        if access is None:
            continue  # the meta-test below names it
        method, path = key.split(" ", 1)
        params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        kwargs = fill_path(key, params, access, world)
        url = path.format(**kwargs)
        query = access.query(world) if access.query else {}
        if method == "GET":
            response = client.get(url, query)
            status = response.status_code
            check_control(
                problems, f"GET {url}", access, controls, lambda c, u=url, q=query: c.get(u, q)
            )
            if access.kind == REFUSED and status not in API_REFUSED:
                problems.append(f"GET {url}: {status}, expected 403 or 404")
            elif access.kind in (SHARED, OWN) and status != 200:
                problems.append(f"GET {url}: {status}, expected 200 ({access.reason})")
            if leaks(response.content):
                problems.append(f"GET {url}: shows {MARKER}, a customer of somebody else's")
            problems += check_queries(client, url, access, world, API_REFUSED)
            continue
        if access.kind in (OWN, SHARED) and not access.post:
            continue  # creates the user's own record: not the walk's business
        allowed = API_REFUSED if access.kind == REFUSED else access.post_status
        if query:
            url = f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
        for body in body_for(operation, access, world, components):
            payload = json.dumps(body) if body is not None else None

            def send(c=client, url=url, payload=payload, method=method):
                return c.generic(method, url, payload or "", content_type="application/json")

            check_mutation(problems, f"{method} {url} {body}", send, allowed)
            check_control(problems, f"{method} {url} {body}", access, controls, send)
    assert not problems, "The outsider got more than they should:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_every_page_and_operation_needs_a_login(world):
    """Nobody without an account gets past the login: pages send them to it, the API
    answers 401 (all but the PUBLIC pages)."""
    client = Client()
    problems: list[str] = []
    for name, pattern in sorted(web_url_names().items()):
        access = URLS.get(name)
        if access is None or access.kind == PUBLIC:
            continue
        url = reverse(name, kwargs=fill_path(name, list(pattern.pattern.converters), access, world))
        for method in ("get", "post"):
            before = fingerprint() if method == "post" else None
            response = getattr(client, method)(url)
            to_login = response.status_code == 302 and response["Location"].startswith("/login/")
            if not to_login and response.status_code not in (403, 404, 405):
                problems.append(f"{method.upper()} {url} ({name}): {response.status_code}")
            if before is not None and changed_tables(before, fingerprint()):
                problems.append(f"{method.upper()} {url} ({name}): changed the database")
    for key, operation in sorted(api_operations().items()):
        access = OPERATIONS.get(key)
        if access is None:
            continue
        method, path = key.split(" ", 1)
        params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = path.format(**fill_path(key, params, access, world))
        response = client.generic(method, url, "{}", content_type="application/json")
        if response.status_code != 401:
            problems.append(f"{key} ({url}): {response.status_code}, expected 401")
    assert not problems, "Reached without logging in:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_a_deactivated_user_keeps_nothing(world):
    """Deactivating the rep ends their session and their API tokens at once."""
    web = client_for(world.rep)
    client = Client(headers=bearer(world.rep))
    assert web.get(f"/customers/{world.customer.pk}/").status_code == 200
    assert client.get(f"/api/v1/customers/{world.customer.pk}").status_code == 200
    world.rep.is_active = False
    world.rep.save()
    response = web.get(f"/customers/{world.customer.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get(f"/api/v1/customers/{world.customer.pk}").status_code == 401
    assert client.get("/api/v1/customers").status_code == 401


# A request that names one of the world's records from the outsider's own customer (or
# in a new one): method, path (with {own} for the outsider's customer), JSON body, and
# what it may answer. Refused either way, and nothing is written.
CROSS_REFERENCES: list[tuple[str, str, Data, frozenset[int]]] = [
    ("POST", "/api/v1/customers", lambda w: {"first_name": "O", "referred_by": w.customer.pk},
     frozenset({404, 422})),
    ("PATCH", "/api/v1/customers/{own}", lambda w: {"referred_by": w.customer.pk},
     frozenset({404, 422})),
    ("POST", "/api/v1/customers/{own}/merge", lambda w: {"other": w.customer.pk},
     frozenset({404})),
    ("POST", "/api/v1/customers/{own}/referrals", lambda w: {"referred_id": w.referred.pk},
     frozenset({404, 422})),
    ("POST", "/api/v1/customers/{own}/promises",
     lambda w: {"what": "x", "due_on": "2099-01-01", "touch_id": w.touch.pk},
     frozenset({404, 422})),
    ("POST", "/api/v1/customers/{own}/promises",
     lambda w: {"what": "x", "due_on": "2099-01-01", "purchase_id": w.purchase.pk},
     frozenset({404, 422})),
    ("POST", "/api/v1/customers/{own}/promises",
     lambda w: {"what": "x", "due_on": "2099-01-01", "owner_id": w.rep.pk},
     frozenset({403, 404, 422})),
]  # fmt: skip


@pytest.mark.django_db
def test_an_outsider_cannot_point_their_own_records_at_the_worlds(world, outsider):
    from lifelong.customers.models import Customer
    from lifelong.customers.services import save_customer

    own = save_customer(Customer(owner=outsider, first_name="Olle", last_name="Own"))
    client = Client(headers=bearer(outsider))
    web = client_for(outsider)
    problems: list[str] = []
    for method, path, body, allowed in CROSS_REFERENCES:
        url = path.format(own=own.pk)
        data = json.dumps(body(world))

        def send(m: str = method, u: str = url, d: str = data) -> Any:
            return client.generic(m, u, d, content_type="application/json")

        check_mutation(problems, f"{method} {url} {data}", send, allowed)
    # The same through the web forms.
    for url, data in [
        (f"/referrals/{own.pk}/add/", {"referred": world.referred.pk}),
        (f"/customers/duplicates/{own.pk}/{world.customer.pk}/merge/", {"keep": own.pk}),
        (f"/customers/{own.pk}/edit/", {"first_name": "Olle", "referred_by": world.customer.pk}),
    ]:
        before = fingerprint()
        response = web.post(url, data)
        changed = [t for t in changed_tables(before, fingerprint()) if t != "customers.customer"]
        # 200: the form says what is wrong; 302: saved without the world's record (checked
        # below and by the tables that must not change).
        if response.status_code not in (200, 302, 403, 404) or changed:
            problems.append(f"POST {url} {data}: {response.status_code}, changed {changed}")
    own.refresh_from_db()
    if own.referred_by_id is not None:
        problems.append("the outsider's customer now names the world's as its referrer")
    assert not problems, "The outsider reached the world's records:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_the_outsiders_own_customer_tied_to_the_worlds_shows_nothing_of_them(world, outsider):
    """Records can join the outsider's customer to the world's: a referral by one of the
    world's customers, the same email address, the same event. The outsider's pages about
    their own customer name none of the world's."""
    from lifelong.customers.models import Customer
    from lifelong.customers.services import save_customer
    from lifelong.events import services as events
    from lifelong.referrals.services import record_referral

    own = save_customer(
        Customer(owner=outsider, first_name="Zelda", last_name="Own", email_consent=True),
        emails=["zelda@world.example"],  # the world's customer's address: a duplicate
    )
    record_referral(world.customer, own, by=world.owner)
    events.invite(world.event, Customer.objects.filter(pk=own.pk), by=world.owner)
    web = client_for(outsider)
    client = Client(headers=bearer(outsider))
    problems = []
    pages = [
        f"/customers/{own.pk}/",
        "/customers/duplicates/",
        "/referrals/",
        f"/events/{world.event.pk}/",
        "/events/",
        "/today/",
    ]
    for url in pages:
        response = web.get(url)
        if response.status_code != 200 or leaks(response.content):
            problems.append(f"GET {url}: {response.status_code}, or shows the world's")
    for url in [
        f"/api/v1/customers/{own.pk}",
        f"/api/v1/customers/{own.pk}/referrals",
        f"/api/v1/events/{world.event.pk}",
        f"/api/v1/events/{world.event.pk}/invitations",
        "/api/v1/customers/duplicates",
    ]:
        response = client.get(url)
        if response.status_code != 200 or leaks(response.content):
            problems.append(f"GET {url}: {response.status_code}, or shows the world's")
    # The control: the world's rep does see the referrer on the same page of theirs.
    rep_page = client_for(world.rep).get(f"/customers/{world.referred.pk}/")
    assert leaks(rep_page.content), "the rep's own page names the referrer"
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the meta-tests


def test_every_view_and_operation_has_an_access_entry():
    """A new page or API operation needs an entry saying what an outsider gets."""
    missing_urls = sorted(set(web_url_names()) - set(URLS))
    missing_ops = sorted(set(api_operations()) - set(OPERATIONS))
    message = []
    if missing_urls:
        message.append(
            "These URL names have no entry in URLS in lifelong/tests/test_access_walk.py:\n  "
            + "\n  ".join(missing_urls)
        )
    if missing_ops:
        message.append(
            "These API operations have no entry in OPERATIONS in "
            "lifelong/tests/test_access_walk.py:\n  " + "\n  ".join(missing_ops)
        )
    if message:
        message.append(
            "Add each with refused() (somebody else's record, or owners/managers only), "
            "shared(reason) (the business's setup a rep may read), own(reason) (the user's "
            "own scope) or public(reason) (no account needed by design), and give path "
            "parameters the world does not have by name a kwargs=lambda w: {...}. "
            "See docs/access.md."
        )
    assert not message, "\n\n".join(message)


def test_the_access_tables_name_only_what_exists():
    """An entry for a page or operation that is gone is a test of nothing."""
    stale = sorted(set(URLS) - set(web_url_names())) + sorted(
        set(OPERATIONS) - set(api_operations())
    )
    assert not stale, f"Remove these entries, nothing answers to them: {stale}"
    unexplained = [
        name
        for name, access in {**URLS, **OPERATIONS}.items()
        if access.kind != REFUSED and not access.reason
    ]
    assert not unexplained, f"Say why the outsider may have these: {unexplained}"


# ---------------------------------------------------------------- one access helper per app

# The customer-owned models, and the access module (or function) that reaches each. A view
# or API module reaches these only through that helper, or from a customer it already
# got from get_customer_for_user (customer.touches, customer.purchases, ...).
OWNED_MODELS: dict[str, str] = {
    "Customer": "customers/access.py (customers_visible_to, get_customer_for_user)",
    "CustomerEmail": "customers/access.py, then customer.emails",
    "CustomerPhone": "customers/access.py, then customer.phones",
    "ProfileAnswer": "customers/access.py, then customer.answers",
    "Relative": "customers/access.py (get_relative_for_user)",
    "NotDuplicate": "customers/access.py, then customers/duplicates.py",
    "Touch": "touches/access.py (touches_visible_to, get_touch_for_user)",
    "Purchase": "commerce/access.py (purchases_visible_to, get_purchase_for_user)",
    "PurchaseLine": "commerce/access.py (get_purchase_for_user prefetches the lines)",
    "Occasion": "occasions/access.py (get_occasion_for_user)",
    "OccasionMark": "occasions/access.py",
    "Promise": "promises/access.py (promises_visible_to, get_promise_for_user)",
    "Referral": "referrals/access.py (referrals_visible_to, get_referral_for_user)",
    "ReferralAsk": "referrals/access.py (asks_visible_to)",
    "AgendaMark": "referrals/access.py",
    "Message": "outreach/access.py (messages_visible_to, get_message_for_user)",
    "Response": "surveys/access.py (responses_visible_to)",
    "Invitation": "surveys/access.py or events/access.py (invitations_visible_to)",
    "EventInvitation": "events/access.py (invitations_visible_to)",
    "SurveyInvitation": "surveys/access.py (invitations_visible_to)",
    "ExtraGiven": "extras/access.py (given_visible_to)",
    "ExtraSuggestion": "extras/access.py (suggestions_visible_to)",
    "ImportBatch": "imports/access.py (batches_visible_to, get_batch_for_user)",
    "ValueSnapshot": "value/services.py over customers_visible_to",
    "RiskScore": "value/risk.py over customers_visible_to",
    "ConsentChange": "privacy, from a customer reached through customers/access.py",
}

# (module, model): why that module may look the model up directly.
DIRECT_LOOKUPS_ALLOWED: dict[tuple[str, str], str] = {
    ("surveys/public_views.py", "Response"): "the customer answers by their invitation's token",
    ("audit/views.py", "Customer"): "owners only (owner_required): which logged ids still exist",
}


def view_modules() -> list[Path]:
    """Every module that answers requests: views, API routers, the import wizard."""
    root = Path(__file__).resolve().parents[1]
    found = set()
    for pattern in ("*/views*.py", "*/*_views.py", "*/api.py", "*/*_api.py", "*/wizard.py"):
        found.update(root.glob(pattern))
    return sorted(found)


def direct_lookups(source: str) -> list[tuple[int, str]]:
    """(line, model) for each Model.objects and get_object_or_404(Model, ...) naming a
    customer-owned model, through any alias it was imported under."""
    tree = ast.parse(source)
    alias = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("models"):
            for name in node.names:
                alias[name.asname or name.name] = name.name
    found = []
    for node in ast.walk(tree):
        name = None
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("objects", "_default_manager")
            and isinstance(node.value, ast.Name)
        ):
            name = node.value.id
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("get_object_or_404", "get_list_or_404")
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            name = node.args[0].id
        model = alias.get(name, name) if name else None
        if model in OWNED_MODELS:
            found.append((node.lineno, model))
    return sorted(found)


def test_views_reach_customer_records_only_through_the_access_helpers():
    """No view or API module looks a customer-owned record up by itself."""
    root = Path(__file__).resolve().parents[1]
    problems = []
    modules = view_modules()
    assert len(modules) > 30, "the glob finds the view modules"
    for path in modules:
        module = str(path.relative_to(root))
        for line, model in direct_lookups(path.read_text()):
            if (module, model) in DIRECT_LOOKUPS_ALLOWED:
                continue
            problems.append(
                f"lifelong/{module}:{line}: {model} looked up directly; use {OWNED_MODELS[model]}"
            )
    assert not problems, (
        "Views and API operations reach customer-owned records through their app's access "
        "helper, which checks the owner (docs/access.md). If a lookup is right as it is, "
        "add it to DIRECT_LOOKUPS_ALLOWED in lifelong/tests/test_access_walk.py with the "
        "reason.\n" + "\n".join(problems)
    )


def test_the_lookup_scan_sees_a_direct_lookup():
    """The scan above would catch the forms it is meant to catch."""
    source = (
        "from lifelong.touches.models import Touch as T\n"
        "from lifelong.events.models import Invitation\n"
        "a = T.objects.filter(pk=1)\n"
        "b = get_object_or_404(Invitation, pk=2)\n"
        "c = customer.touches.all()\n"
    )
    assert direct_lookups(source) == [(3, "Touch"), (4, "Invitation")]
