from django.apps import AppConfig


class PromisesConfig(AppConfig):
    """The promise ledger: what was promised to whom, by when, and whether it was kept."""

    name = "lifelong.promises"
    label = "promises"

    def ready(self) -> None:
        from lifelong.customers.duplicates import register_merge_handler
        from lifelong.customers.panels import Panel, register
        from lifelong.promises.views import promise_panel_context

        register(Panel("promises", "promises/_panel.html", promise_panel_context, "main", 15))
        register_merge_handler("promises.Promise.customer", _merge_promises)


def _merge_promises(merge) -> None:
    """Merging two customers: the promises made to either are the kept customer's."""
    from lifelong.promises.models import Promise

    Promise.objects.filter(customer_id=merge.other.pk).update(customer_id=merge.keep.pk)
