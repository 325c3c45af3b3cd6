"""When a lot takes orders: its availability window and its daily cut-off (UTC), and the
quantity rule that search's order_quantity shares with reserve, on scaled quantities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from availability_service.domain import holds as rules
from availability_service.domain.errors import FailedPrecondition
from tests.unit.domain.test_holds import lot

MORNING = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
D = Decimal


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"available_from": MORNING - timedelta(days=1)}, None),
        ({"available_from": MORNING}, None),  # the window opens at available_from
        ({"available_from": MORNING + timedelta(seconds=1)}, "OUTSIDE_AVAILABILITY_WINDOW"),
        ({"available_until": MORNING + timedelta(seconds=1)}, None),
        ({"available_until": MORNING}, "OUTSIDE_AVAILABILITY_WINDOW"),  # and is closed at until
        ({"eod_cutoff": "09:31"}, None),
        ({"eod_cutoff": "09:30"}, "PAST_DAILY_CUTOFF"),  # from the cut-off minute on
        ({"eod_cutoff": "00:00"}, "PAST_DAILY_CUTOFF"),
        ({"eod_cutoff": "23:59"}, None),
    ],
)
def test_timing_refusal_follows_the_window_and_the_cutoff(
    fields: dict[str, object], reason: str | None
) -> None:
    assert rules.timing_refusal(lot(**fields), MORNING) == reason


def test_the_cutoff_is_read_in_utc_whatever_the_moments_zone() -> None:
    india = datetime(2026, 3, 2, 15, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=5.5)))
    assert india.hour == 20  # 20:30 in India is 15:00 UTC
    assert rules.timing_refusal(lot(eod_cutoff="15:00"), india) == "PAST_DAILY_CUTOFF"
    assert rules.timing_refusal(lot(eod_cutoff="15:01"), india) is None


def test_after_the_cutoff_a_hold_is_refused_until_midnight_utc() -> None:
    closed = lot(eod_cutoff="18:00")
    evening = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
    with pytest.raises(FailedPrecondition) as err:
        rules.place_hold(
            closed,
            quantity=D(1),
            buyer_id="b",
            negotiation_id="",
            expire_time=evening + timedelta(hours=1),
            now=evening,
        )
    assert err.value.reason == "PAST_DAILY_CUTOFF"
    assert closed.available_quantity == D(100)
    next_day = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    rules.place_hold(
        closed,
        quantity=D(1),
        buyer_id="b",
        negotiation_id="",
        expire_time=next_day + timedelta(hours=1),
        now=next_day,
    )
    assert closed.available_quantity == D(99)


quantities = st.decimals(min_value=D("0.001"), max_value=D(1000), places=3)


@given(
    available=quantities,
    quantity=quantities,
    minimum=st.none() | quantities,
    partial=st.booleans(),
    scale=st.decimals(min_value=D("0.001"), max_value=D(10000), places=3),
)
def test_the_quantity_rule_is_unchanged_when_every_side_is_scaled_alike(
    available: Decimal, quantity: Decimal, minimum: Decimal | None, partial: bool, scale: Decimal
) -> None:
    """Why search may judge order_quantity in canonical units without dividing."""
    plain = rules.quantity_refusal(available, quantity, partial, minimum)
    scaled = rules.quantity_refusal(
        available * scale, quantity * scale, partial, None if minimum is None else minimum * scale
    )
    assert plain == scaled
