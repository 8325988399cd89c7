"""A customer's timeline in pages: newest first, with an opaque cursor."""

from lifelong.cursors import Page, newest_first
from lifelong.customers.models import Customer
from lifelong.touches.models import Touch

TouchPage = Page[Touch]


def touch_page(customer: Customer, *, cursor: str = "", limit: int = 50) -> TouchPage:
    """One page of the customer's touches, newest first, after `cursor` (from a previous page).

    Raises BadCursor when the cursor was not made by this function.
    """
    return newest_first(customer.touches.select_related("user"), cursor=cursor, limit=limit)
