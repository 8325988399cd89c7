"""Requests that carry a NUL character are refused before they reach the database.

PostgreSQL cannot store or compare text with a NUL ("text fields cannot contain NUL
(0x00) bytes"), so one in a search, a path token or an API body was a 500 there while
SQLite took it; no text a person types has one. Django's form fields already refuse it
(ProhibitNullCharactersValidator); NulMiddleware covers what does not go through a form:
a NUL in the path or the query string is a 400 (JSON under /api/), and one in an API
request's JSON body a 422 naming the field, in the API's error format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL = "\x00"
MESSAGE = "A NUL character (U+0000) is not allowed."


class NulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.GET
        api = request.path.startswith("/api/")
        if NUL in request.path or any(
            NUL in key or any(NUL in value for value in query.getlist(key)) for key in query
        ):
            if api:
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        # JSON can only carry a NUL escaped, so a body without "\u0000" is not parsed here.
        if api and b"\\u0000" in request.body:
            fields = _fields_with_nul(request.body)
            if fields:
                detail = [{"field": field, "message": MESSAGE} for field in fields]
                return JsonResponse({"detail": detail}, status=422)
        return self.get_response(request)


def _fields_with_nul(body: bytes) -> list[str | None]:
    """The dotted paths (emails.0.address) of the strings in a JSON body that hold a
    NUL; [] when the body is not JSON (the API says so itself)."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    return [".".join(str(part) for part in path) or None for path in _nul_at(data)]


def _nul_at(value: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield (*path, key)
            yield from _nul_at(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_at(item, (*path, i))
