"""The factor lists of the search reads (storage/search_lists.py) over in-memory lots."""

from __future__ import annotations

from typing import Any

from availability_service.domain.model import Availability
from availability_service.service_layer.ports.search import (
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
    if factor is FactorList.NO_VECTOR:
        return row.ai_confidence_score if row.cosine_distance is None else None
    if factor is FactorList.PRICE:
        return row.price_per_base_unit if lot.base_price_unit == f.price_unit else None
    return row.ai_confidence_score


def factor_list(
    rows: list[tuple[Availability, CandidateRow]], f: CandidateFilter, read: ListRead
) -> list[ListRow]:
    """One list's rows among `rows` (the lots passing the filter, as candidate rows)."""
    descending = read.factor in (FactorList.CONFIDENCE, FactorList.NO_VECTOR)
    keyed = [
        ListRow(key, row)
        for lot, row in rows
        if (key := _list_key(lot, row, f, read.factor)) is not None
    ]
    keyed.sort(key=lambda r: (-r.key if descending else r.key, r.row.id))
    if read.after is not None:
        last, last_id = read.after

        def after(r: ListRow) -> bool:
            before = r.key > last if descending else r.key < last
            if r.key == last:
                return last_id is not None and r.row.id > last_id
            return not before

        keyed = [r for r in keyed if after(r)]
    return keyed[: read.limit]
