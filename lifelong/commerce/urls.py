from django.urls import path

from lifelong.commerce import upgrade_views, views

app_name = "commerce"
urlpatterns = [
    path("products/", views.products, name="products"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path(
        "products/<int:product_id>/versions/new/",
        views.version_new,
        name="product_version_new",
    ),
    path(
        "products/<int:product_id>/versions/<int:version_id>/edit/",
        views.version_edit,
        name="product_version_edit",
    ),
    path(
        "products/<int:product_id>/versions/<int:version_id>/upgrade/",
        upgrade_views.upgrade,
        name="product_version_upgrade",
    ),
    path("customers/<int:customer_id>/purchases/", views.history, name="history"),
    path("customers/<int:customer_id>/purchases/new/", views.record, name="record"),
    path(
        "customers/<int:customer_id>/purchases/<int:purchase_id>/delete/",
        views.delete,
        name="delete",
    ),
]
