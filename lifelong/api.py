"""The REST API at /api/v1: one NinjaAPI, a router per app, and one error format.

Every 4xx answer is JSON with a "detail": a sentence, or for validation errors (422)
a list of {"field", "message"}. See docs/api.md.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.openapi.schema import OpenAPISchema

from lifelong.accounts.api import BearerAuth
from lifelong.accounts.api import router as accounts_router
from lifelong.agenda.api import router as agenda_router
from lifelong.commerce.api import router as commerce_router
from lifelong.cursors import BadCursor
from lifelong.customers.api import router as customers_router
from lifelong.events.api import router as events_router
from lifelong.extras.api import router as extras_router
from lifelong.occasions.api import router as occasions_router
from lifelong.outreach.api import router as outreach_router
from lifelong.outreach.program_api import router as programs_router
from lifelong.outreach.template_api import router as templates_router
from lifelong.promises.api import router as promises_router
from lifelong.referrals.api import router as referrals_router
from lifelong.segments.api import router as segments_router
from lifelong.surveys.api import router as surveys_router
from lifelong.touches.api import router as touches_router
from lifelong.value.api import router as value_router

DESCRIPTION = """\
Customers, their relatives, profile sheets, touches, purchases and products. Authenticate with
`Authorization: Bearer <token>`; create a token at /accounts/tokens/ or with
`lifelong token create NAME`. Errors are JSON with a `detail`.
"""


# Exempt, as ninja's own views are: otherwise a POST to a path no operation has (a
# customer id that is not a number) got the CSRF middleware's HTML 403 instead of a 404.
@csrf_exempt
def _json_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"detail": "Not found"}, status=404)


def _json_client_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give the answers ninja makes outside its exception handlers a JSON body too.

    Those are the plain-text 405 (a method the path does not have) and the Http404 of
    the API's root URL.
    """

    @functools.wraps(view)  # keeps csrf_exempt, which ninja sets on its views
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _json_not_found(request)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            json_response = JsonResponse(
                {"detail": f"Method {request.method} not allowed here; use {allowed}."},
                status=405,
            )
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapper


class _OpenAPIDocument(OpenAPISchema):
    """ninja files every schema and enum under its class name in one components map, so
    two classes of the same name (customers' Status and promises' Status) silently shared
    one entry, and the document described one with the other's values. Refuse instead."""

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            if self.schemas.get(name, definition) != definition:
                raise ImproperlyConfigured(
                    f"Two API schemas are called {name!r}; rename one (or inline an enum with "
                    "WithJsonSchema) so the OpenAPI document can tell them apart."
                )
        super().add_schema_definitions(definitions)


class LifelongAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _OpenAPIDocument(self, path_prefix)

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped: list[Any] = [
            URLPattern(p.pattern, _json_client_errors(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in patterns
        ]
        # Last, so it only catches paths no operation has: a JSON 404 rather than HTML.
        # [\s\S], not ".": a path with an encoded newline (%0A) is such a path too.
        wrapped.append(re_path(r"^[\s\S]*$", _json_not_found))
        return wrapped, app_name, namespace


api = LifelongAPI(
    title="Lifelong API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=BearerAuth(),
    docs=Swagger(),  # its bundled assets, since "ninja" is in INSTALLED_APPS (no CDN)
)
api.add_router("", accounts_router)
api.add_router("", customers_router)
api.add_router("", touches_router)
api.add_router("", commerce_router)
api.add_router("", value_router)
api.add_router("", occasions_router)
api.add_router("", segments_router)
api.add_router("", templates_router)
api.add_router("", programs_router)
api.add_router("", agenda_router)
api.add_router("", outreach_router)
api.add_router("", referrals_router)
api.add_router("", surveys_router)
api.add_router("", promises_router)
api.add_router("", events_router)
api.add_router("", extras_router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Never say which: an unknown id and somebody else's customer must look the same.
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="lifelong"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or "You may not do that."
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(BadCursor)
def bad_cursor(request: HttpRequest, exc: BadCursor) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(DjangoValidationError)
def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """The services' ValidationError, keyed by field (or not): one entry per message."""
    if hasattr(exc, "error_dict"):
        detail = [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        detail = [{"field": None, "message": message} for message in exc.messages]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(SchemaValidationError)
def invalid_schema(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """A request that does not fit the schema, in the same shape as invalid()."""
    detail = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        # ("body", "payload", "emails", 0, "address") -> "emails.0.address"; ("query", "limit")
        # -> "limit". The source and the handler's parameter name mean nothing to a client.
        if loc and loc[0] == "body":
            loc = loc[2:]
        elif loc:
            loc = loc[1:]
        field = ".".join(str(part) for part in loc) or None
        message = str(error.get("msg", "Invalid value"))
        detail.append({"field": field, "message": message.removeprefix("Value error, ")})
    return api.create_response(request, {"detail": detail}, status=422)
