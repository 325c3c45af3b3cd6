"""The factor lists of the search reads (storage/search_lists.py) over in-memory lots."""

from __future__ import annotations

import math
from typing import Any

from availability_service.domain.model import Availability
from availability_service.service_layer.ports.search import (
    MIX_CONFIDENCE,
    MIX_VECTOR,
    VECTOR_BANDS_PER_UNIT,
    CandidateFilter,
    CandidateRow,
    FactorList,
    ListRead,
    ListRow,
)


def _list_key(lot: Availability, row: CandidateRow, f: CandidateFilter, factor: FactorList) -> Any:
    """The lot's key in the list, None when the list leaves it out (a zero embedding has no
    distance here, so it counts as a lot without one, as the fake scores it)."""
    if factor is FactorList.VECTOR:
        return row.cosine_distance
    if factor is FactorList.MIX:
        if row.cosine_distance is None:
            return None
        vector = (2 - row.cosine_distance) / 2
        return MIX_VECTOR * vector + MIX_CONFIDENCE * max(row.ai_confidence_score, 0.0)
    if factor is FactorList.VECTOR_BAND:
        if row.cosine_distance is None:
            return None
        return (math.floor(row.cosine_distance * VECTOR_BANDS_PER_UNIT), row.ai_confidence_score)
    if factor is FactorList.NO_VECTOR:
        return row.ai_confidence_score if row.cosine_distance is None else None
    if factor is FactorList.PRICE:
        return row.price_per_base_unit if lot.base_price_unit == f.price_unit else None
    return row.ai_confidence_score


def _order(factor: FactorList, key: Any) -> tuple[Any, ...]:
    """The list's order of a key (best first), with the id after it."""
    if factor is FactorList.VECTOR_BAND:
        return (key[0], -key[1])
    if factor in (FactorList.CONFIDENCE, FactorList.NO_VECTOR, FactorList.MIX):
        return (-key,)
    return (key,)


def factor_list(
    rows: list[tuple[Availability, CandidateRow]], f: CandidateFilter, read: ListRead
) -> list[ListRow]:
    """One list's rows among `rows` (the lots passing the filter, as candidate rows)."""
    keyed = [
        ListRow(key, row)
        for lot, row in rows
        if (key := _list_key(lot, row, f, read.factor)) is not None
    ]
    keyed.sort(key=lambda r: (*_order(read.factor, r.key), r.row.id))
    if read.after is not None:
        last, last_id = read.after
        keyed = [r for r in keyed if _beyond(read.factor, r, last, last_id)]
    return keyed[: read.limit]


def _beyond(factor: FactorList, r: ListRow, last: Any, last_id: Any) -> bool:
    position = _order(factor, r.key)
    if factor is FactorList.VECTOR_BAND and last[1] is None:
        return position[0] > last[0]
    bound = _order(factor, last)
    if position != bound:
        return position > bound
    return last_id is not None and r.row.id > last_id
