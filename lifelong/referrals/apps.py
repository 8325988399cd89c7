from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Who brought whom, the asks for referrals, and what referrals are worth."""

    name = "lifelong.referrals"
    label = "referrals"
