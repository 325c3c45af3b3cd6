"""Search candidates read one factor at a time, best first, from the search indexes.

A search without quality targets and without a point scores each lot from its vector
factor (the cosine distance to the request's embedding), its confidence and its price. Each
`FactorList` below hands out the lots passing the SQL filters (storage.search._conditions)
in the order of one of those inputs, so the service can bound the score of every lot not
read yet by the last values read (the threshold algorithm; service_layer.search_threshold):

- VECTOR: lots with an embedding, nearest to the request's first. Without quality targets
  the request's embedding is its commodity's "centre" (the embedding of a lot reporting
  nothing), and migration 0008 indexes every commodity's distance to its centre, so this
  read is an index range scan; for any other vector it is still correct, only a sort.
- CONFIDENCE: every lot, highest ai_confidence_score first (NaN first, as PostgreSQL sorts
  it). It covers all lots, so when it runs out every lot has been read.
- NO_VECTOR: lots without an embedding, highest confidence first (their vector factor is
  inactive, so their score has another bound; normally there are none).
- PRICE: lots with a price in the request's unit, cheapest first (only with a max price).
- VECTOR_BAND: lots with an embedding by band of their distance to the request's (the
  distance x VECTOR_BANDS_PER_UNIT, rounded down), then highest confidence first: with
  both a vector and a confidence weight, the best lots of a band come first even when
  thousands of lots share (nearly) one distance, as a commodity's lots that report no
  quality do. Migration 0012 indexes each commodity's bands of the distance to its centre.
- MIX: lots with an embedding by 0.8 x vector factor + 0.2 x confidence (the confidence
  taken as 0 below 0), highest first: the score itself (up to float rounding) of a search
  with the default weights and no price factor, so its page is the list's first rows.
  Migration 0012 indexes it per commodity over the distance to the centre.

Each read continues after the (key, id) of the last row of the previous one; ties on the
key come in id order, which is name order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    and_,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from availability_service.service_layer.ports.search import (
    MIX_CONFIDENCE,
    MIX_VECTOR,
    VECTOR_BANDS_PER_UNIT,
    CandidateFilter,
    FactorList,
    ListRead,
    ListRow,
)
from availability_service.storage.search import (
    _candidate_row,
    _conditions,
    candidate_columns,
    exact_cosine,
)
from availability_service.storage.tables import availabilities as t


def band(f: CandidateFilter) -> ColumnElement[Any]:
    """The distance band, spelled as migration 0012's indexes spell it."""
    return func.floor(exact_cosine(f) * _float(VECTOR_BANDS_PER_UNIT), type_=Float)


def _float(value: float) -> ColumnElement[Any]:
    """A float8 constant spelled as migration 0012's index expressions spell it."""
    return literal_column(f"{value}::float8", Float)


def mix(f: CandidateFilter) -> ColumnElement[Any]:
    """The MIX list's key, spelled as migration 0012's indexes spell it: the vector factor
    (2 - distance) / 2, and the confidence at least 0 (PostgreSQL's GREATEST keeps a NaN,
    which sorts first: scored exactly like every row read)."""
    vector = (_float(2) - exact_cosine(f)) / _float(2)
    confidence = func.greatest(t.c.ai_confidence_score, _float(0), type_=Float)
    return _float(MIX_VECTOR) * vector + _float(MIX_CONFIDENCE) * confidence


def _order(f: CandidateFilter, factor: FactorList) -> list[tuple[ColumnElement[Any], bool]]:
    """The list's order expressions (before the id), each with whether it is descending."""
    if factor is FactorList.VECTOR:
        return [(exact_cosine(f), False)]
    if factor is FactorList.PRICE:
        return [(t.c.price_per_base_unit, False)]
    if factor is FactorList.VECTOR_BAND:
        return [(band(f), False), (t.c.ai_confidence_score, True)]
    if factor is FactorList.MIX:
        return [(mix(f), True)]
    return [(t.c.ai_confidence_score, True)]


def _extra(f: CandidateFilter, factor: FactorList) -> list[ColumnElement[bool]]:
    if factor in (FactorList.VECTOR, FactorList.VECTOR_BAND, FactorList.MIX):
        return [t.c.ai_score_vector.is_not(None)]
    if factor is FactorList.NO_VECTOR:
        return [t.c.ai_score_vector.is_(None)]
    if factor is FactorList.PRICE:
        return [t.c.price_per_base_unit.is_not(None), t.c.base_price_unit == f.price_unit]
    return []


def _after(
    order: list[tuple[ColumnElement[Any], bool]], last: tuple[Any, ...], last_id: Any
) -> ColumnElement[bool]:
    """The rows after (last..., last_id) in the order; a None in `last` (and in last_id)
    means after every row of the keys before it. The range on the first key is what the
    index scan starts from; the rest skips the rows of that key already read
    (PostgreSQL's NaN equals itself and sorts above all)."""
    (key, descending), value = order[0], last[0]
    beyond = key < value if descending else key > value
    if len(order) > 1 and last[1] is not None:
        within = _after(order[1:], last[1:], last_id)
    elif len(order) == 1 and last_id is not None:
        within = t.c.id > last_id
    else:
        return beyond
    return and_(key <= value if descending else key >= value, or_(beyond, within))


def _list_query(f: CandidateFilter, read: ListRead) -> Any:
    order = _order(f, read.factor)
    where = [*_conditions(f), *_extra(f, read.factor)]
    if read.after is not None:
        last, last_id = read.after
        keys = tuple(last) if read.factor is FactorList.VECTOR_BAND else (last,)
        where.append(_after(order, keys, last_id))
    # No quality targets on this path (search_threshold.applies), so no row needs its
    # quality: leaving the JSON out spares decoding it for every row read.
    columns = [
        null().label(c.key) if c.key == "normalized_quality_params" else c
        for c in candidate_columns(f)
    ]
    # The list's own key (the band, or the mix), read back as it was ordered.
    own = {FactorList.VECTOR_BAND: band, FactorList.MIX: mix}.get(read.factor)
    return (
        select(
            *columns,
            literal(read.factor.value).label("list_name"),
            (cast(null(), Float) if own is None else own(f)).label("list_key"),
        )
        .where(and_(*where))
        .order_by(*(key.desc() if descending else key.asc() for key, descending in order), t.c.id)
        .limit(read.limit)
    )


def _list_row(r: Any, f: CandidateFilter) -> ListRow:
    """The row with its list's key, read back from the row's own columns (the key
    expressions are the cosine distance, confidence and price columns of a CandidateRow)."""
    row = _candidate_row(r, f)
    factor = FactorList(r.list_name)
    if factor is FactorList.VECTOR:
        return ListRow(row.cosine_distance, row)
    if factor is FactorList.PRICE:
        return ListRow(row.price_per_base_unit, row)
    if factor is FactorList.VECTOR_BAND:
        return ListRow((float(r.list_key), row.ai_confidence_score), row)
    if factor is FactorList.MIX:
        return ListRow(float(r.list_key), row)
    return ListRow(row.ai_confidence_score, row)


def read_lists(
    conn: Connection, f: CandidateFilter, reads: Sequence[ListRead]
) -> dict[FactorList, list[ListRow]]:
    """The next rows of several factor lists in one round trip (UNION ALL, each part in
    its own order); see the module docstring."""
    found: dict[FactorList, list[ListRow]] = {read.factor: [] for read in reads}
    if not reads:
        return found
    parts = [_list_query(f, read).subquery().select() for read in reads]
    query: Any = parts[0]
    if len(parts) > 1:
        query = union_all(*parts)
    for r in conn.execute(query):
        found[FactorList(r.list_name)].append(_list_row(r, f))
    # UNION ALL promises no order: put each list back in its own (PostgreSQL's: NaN
    # above every number; a price list holds no NaN, its filter drops it).
    for factor, rows in found.items():
        rows.sort(key=_SORT_KEYS.get(factor, _descending_order))
    return found


def _ascending(key: Any) -> tuple[Any, ...]:
    nan = isinstance(key, float) and math.isnan(key)
    return (nan, 0.0 if nan else key)


def _descending(key: Any) -> tuple[Any, ...]:
    nan = isinstance(key, float) and math.isnan(key)
    return (not nan, 0.0 if nan else -key)


def _ascending_order(item: ListRow) -> tuple[Any, ...]:
    return (*_ascending(item.key), item.row.id)


def _descending_order(item: ListRow) -> tuple[Any, ...]:
    return (*_descending(item.key), item.row.id)


def _band_order(item: ListRow) -> tuple[Any, ...]:
    band_key, confidence = item.key
    return (*_ascending(band_key), *_descending(confidence), item.row.id)


_SORT_KEYS = {
    FactorList.VECTOR: _ascending_order,
    FactorList.PRICE: _ascending_order,
    FactorList.VECTOR_BAND: _band_order,
}
