"""The REST API at /api/v1: one NinjaAPI, a router per app."""

from ninja import NinjaAPI

api = NinjaAPI(title="Lifelong API", version="1", urls_namespace="api")
