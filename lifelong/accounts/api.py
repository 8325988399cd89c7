"""API authentication by bearer token, and who the token belongs to."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from lifelong.accounts.models import User
from lifelong.accounts.services import user_for_token
from lifelong.customers.schemas import ErrorOut

router = Router(tags=["accounts"])


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token's user becomes request.user."""

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(message="Send the header Authorization: Bearer <token>.")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_for_token(token)
        if user is None:
            raise AuthenticationError(message="The token is not valid, or has been revoked.")
        request.user = user
        return user


class MeOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    sees_all_customers: bool


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The user the token belongs to")
def me(request: HttpRequest) -> User:
    return request.user
