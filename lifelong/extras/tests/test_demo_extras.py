"""On the demo data, a big order from a regular customer suggests an extra."""

import pytest
from django.utils import timezone

from lifelong import demo
from lifelong.commerce.services import record_purchase
from lifelong.customers.models import Customer
from lifelong.extras.models import ExtraSuggestion
from lifelong.value.services import refresh_values

pytestmark = pytest.mark.django_db


def test_a_big_order_from_a_regular_customer_suggests_an_extra():
    demo.generate(120, seed=5, progress=False)
    refresh_values()
    regular = (
        Customer.objects.filter(tier="A", purchases__isnull=False, archived_at__isnull=True)
        .exclude(pk__in=ExtraSuggestion.objects.values("customer"))
        .distinct()
        .first()
    )
    assert regular is not None
    totals = [p.total for p in regular.purchases.all()]
    big = max(totals) * 5
    record_purchase(regular, occurred_at=timezone.now(), total=big)
    suggestion = ExtraSuggestion.objects.get(customer=regular)
    assert suggestion.status == "open" and suggestion.multiple >= 2
