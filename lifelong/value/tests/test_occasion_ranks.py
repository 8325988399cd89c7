"""The value refresh carries the new value ranks on to the occasions (the agenda's order)."""

from lifelong.customers.models import Customer
from lifelong.occasions.models import Kind, Occasion
from lifelong.value.services import refresh_values

from .test_services import NOW, shop


def test_a_refresh_copies_each_customers_rank_onto_their_occasions(owner):
    customers = shop(owner, 60)
    for c in customers:
        Occasion.objects.create(customer=c, kind=Kind.CUSTOM, month=5, day=1, label="Renewal")
    assert set(Occasion.objects.values_list("value_rank", flat=True)) == {0}
    refresh_values(NOW)
    ranks = dict(Customer.objects.values_list("pk", "value_rank"))
    assert len(set(ranks.values())) > 3
    for customer_id, rank in Occasion.objects.values_list("customer_id", "value_rank"):
        assert rank == ranks[customer_id]
