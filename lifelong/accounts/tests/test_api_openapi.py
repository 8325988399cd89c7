"""The OpenAPI document, the docs page and the API's error format outside the handlers."""

from django.test import Client

from conftest import bearer


def test_it_serves_the_openapi_document_with_every_path(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/customers": {"get", "post"},
        "/api/v1/customers/{customer_id}": {"get", "patch", "put", "delete"},
        "/api/v1/customers/{customer_id}/restore": {"post"},
        "/api/v1/customers/{customer_id}/relatives": {"get", "post"},
        "/api/v1/customers/{customer_id}/relatives/{relative_id}": {"get", "patch", "delete"},
        "/api/v1/customers/{customer_id}/profile": {"get"},
        "/api/v1/customers/{customer_id}/profile/{question_key}": {"put"},
        "/api/v1/profile-questions": {"get"},
        "/api/v1/customers/{customer_id}/touches": {"get", "post"},
        "/api/v1/customers/{customer_id}/touches/{touch_id}": {"get", "patch", "delete"},
        "/api/v1/me": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    assert schema["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_never_loads_from_a_cdn(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html
    assert "/api/v1/openapi.json" in html
    assert "/static/ninja/swagger-ui-bundle.js" in html


def test_an_unknown_path_is_a_json_404(rep):
    for path in ["/api/v1/nothing-here", "/api/v1/customers/abc", "/api/v1/"]:
        response = Client().get(path, headers=bearer(rep))
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found"}


def test_a_method_the_path_lacks_is_a_json_405(rep):
    response = Client().put("/api/v1/customers", headers=bearer(rep))
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert "PUT" in response.json()["detail"]


def test_a_body_that_is_not_json_is_a_json_400(rep):
    response = Client().post(
        "/api/v1/customers", data="{oops", content_type="application/json", headers=bearer(rep)
    )
    assert response.status_code == 400
    assert "parse" in response.json()["detail"]
