from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Who brought whom, the asks for referrals, and what referrals are worth."""

    name = "lifelong.referrals"
    label = "referrals"

    def ready(self) -> None:
        from lifelong.customers.panels import Panel, register
        from lifelong.referrals import signals
        from lifelong.referrals.views import referral_panel_context

        signals.connect()
        register(Panel("referrals", "referrals/_panel.html", referral_panel_context, "main", 30))
