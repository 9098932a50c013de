"""What an item sells at: the price and description an invoice line takes from it.

Each item type keeps them in its own place: a service, non-inventory part or other charge
in ``SalesOrPurchase`` (or ``SalesAndPurchase`` when it is also bought), an inventory part
in ``SalesPrice``/``SalesDesc`` at its top level.
"""

from __future__ import annotations

from decimal import Decimal

from qbwc_server.simulator.store import ListElement

_PRICE_PATHS = ("SalesOrPurchase/Price", "SalesAndPurchase/SalesPrice", "SalesPrice")
_DESC_PATHS = ("SalesOrPurchase/Desc", "SalesAndPurchase/SalesDesc", "SalesDesc")


def item_price(item: ListElement) -> Decimal | None:
    """The price a line takes from its item when the request gives no rate."""
    return next((Decimal(item.data[p]) for p in _PRICE_PATHS if p in item.data), None)


def item_description(item: ListElement) -> str | None:
    return next((item.data[p] for p in _DESC_PATHS if p in item.data), None)
