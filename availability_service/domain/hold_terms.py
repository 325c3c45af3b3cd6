"""A new reservation row and the terms it is made on: the lot's price, or a chosen option's.

A hold keeps the basis it was agreed on (issue 14), so a later reprice of the lot cannot
change what the negotiation engine checks at sale. A direct sale's record is made the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from availability_service.domain.errors import InvalidArgument
from availability_service.domain.model import Availability, HoldState, Reservation


def check_option(lot: Availability, option_label: str, field: str) -> None:
    """A named price option must be one of the lot's (INVALID_ARGUMENT naming the field)."""
    if option_label and not any(o.get("label") == option_label for o in lot.price_options):
        raise InvalidArgument.one(field, f"{lot.name} has no price option {option_label!r}")


def set_terms(hold: Reservation, lot: Availability, option_label: str) -> Reservation:
    """Copies the price the hold is made on: the chosen option's (checked), else base_price."""
    option = next((o for o in lot.price_options if o.get("label") == option_label), None)
    if option is None:
        amount, currency = lot.base_price_amount, lot.base_price_currency
    else:
        raw = option.get("amount")
        amount, currency = (Decimal(raw) if raw else None), option.get("currency_code", "")
    hold.price_amount = amount
    hold.price_currency = currency if amount is not None else ""
    hold.price_unit = lot.price_unit
    hold.price_option_label = option_label
    return hold


def new_row(
    lot: Availability,
    state: HoldState,
    quantity: Decimal,
    buyer_id: str,
    now: datetime,
    option_label: str,
    **details: Any,
) -> Reservation:
    """A new reservation row on the lot (a hold, or a direct sale's record), with its terms."""
    row = Reservation(
        id=uuid.uuid4(),
        availability_id=lot.id,
        quantity=quantity,
        buyer_id=buyer_id,
        state=state,
        create_time=now,
        update_time=now,
        quantity_unit=lot.quantity_unit,
        **details,
    )
    return set_terms(row, lot, option_label)
