"""Suggest an extra when an order is recorded (connected in ExtrasConfig.ready)."""

from __future__ import annotations

from typing import Any

from lifelong.commerce.models import Purchase
from lifelong.extras import services


def purchase_saved(sender: type, instance: Purchase, created: bool, raw: bool, **_: Any) -> None:
    # Only new orders, and not fixtures being loaded; bulk imports send no signal at all.
    if created and not raw:
        services.suggest_for(instance)
