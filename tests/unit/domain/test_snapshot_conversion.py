"""The snapshot's by-type conversion (a dict lookup per value) gives exactly what the
isinstance chain it replaced gave, for every kind of value a lot or hold holds."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from availability_service.domain.model import (
    Availability,
    EventType,
    LotState,
    PriceType,
    Visibility,
    _jsonable,
    to_snapshot,
)
from availability_service.service_layer.changes import lot_snapshot


def _chain(value: Any) -> Any:
    """The conversion before the by-type lookup, kept as the reference."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_chain(v) for v in value]
    if isinstance(value, dict):
        return {k: _chain(v) for k, v in value.items()}
    return value


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=6),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),
    st.uuids(),
    st.sampled_from([*LotState, *Visibility, *PriceType, *EventType]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(_VALUES)
def test_by_type_conversion_equals_the_isinstance_chain(value: Any) -> None:
    converted, reference = _jsonable(value), _chain(value)
    assert converted == reference
    assert type(converted) is type(reference)


@given(
    st.builds(
        Availability,
        id=st.uuids(),
        seller_id=st.text(max_size=8),
        commodity=st.text(max_size=8),
        quantity_unit=st.sampled_from(["t", "kg", "bale"]),
        total_quantity=st.decimals(min_value=0, max_value=10**6, places=3),
        available_quantity=st.decimals(min_value=0, max_value=10**6, places=3),
        state=st.sampled_from(list(LotState)),
        create_time=st.datetimes(timezones=st.just(UTC)),
        update_time=st.datetimes(timezones=st.just(UTC)),
        quality_params=st.dictionaries(
            st.text(max_size=6),
            st.fixed_dictionaries({"number": st.floats(allow_nan=False), "unit": st.text()}),
            max_size=3,
        ),
        ai_score_vector=st.none() | st.lists(st.floats(allow_nan=False), max_size=64),
        tags=st.lists(st.text(max_size=5), max_size=3),
    )
)
def test_snapshots_equal_the_field_by_field_conversion(lot: Availability) -> None:
    every = {f.name: _chain(getattr(lot, f.name)) for f in dataclasses.fields(lot)}
    assert to_snapshot(lot) == every
    assert list(to_snapshot(lot)) == list(every)  # same keys, same order
    # The event's snapshot is every field but the embedding, which is never converted.
    del every["ai_score_vector"]
    assert lot_snapshot(lot) == every
