from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "lifelong.customers"
    label = "customers"
