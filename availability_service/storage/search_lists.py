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

Each read continues after the (key, id) of the last row of the previous one; ties on the
key come in id order, which is name order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, literal, null, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from availability_service.service_layer.ports.search import (
    CandidateFilter,
    FactorList,
    ListRead,
    ListRow,
)
from availability_service.storage.search import _candidate_row, _conditions, candidate_columns
from availability_service.storage.tables import availabilities as t


def _key(f: CandidateFilter, factor: FactorList) -> tuple[ColumnElement[Any], bool]:
    """The list's order expression and whether it is read descending."""
    if factor is FactorList.VECTOR:
        return t.c.ai_score_vector.cosine_distance(f.target_vector), False
    if factor is FactorList.PRICE:
        return t.c.price_per_base_unit, False
    return t.c.ai_confidence_score, True


def _extra(f: CandidateFilter, factor: FactorList) -> list[ColumnElement[bool]]:
    if factor is FactorList.VECTOR:
        return [t.c.ai_score_vector.is_not(None)]
    if factor is FactorList.NO_VECTOR:
        return [t.c.ai_score_vector.is_(None)]
    if factor is FactorList.PRICE:
        return [t.c.price_per_base_unit.is_not(None), t.c.base_price_unit == f.price_unit]
    return []


def _list_query(f: CandidateFilter, read: ListRead) -> Any:
    key, descending = _key(f, read.factor)
    where = [*_conditions(f), *_extra(f, read.factor)]
    if read.after is not None:
        last, last_id = read.after
        # The range half is what the index scan starts from; the rest skips the rows of
        # the last key already read (PostgreSQL's NaN equals itself and sorts above all).
        if last_id is None:
            where.append(key < last if descending else key > last)
        elif descending:
            where += [key <= last, or_(key < last, t.c.id > last_id)]
        else:
            where += [key >= last, or_(key > last, t.c.id > last_id)]
    # No quality targets on this path (search_threshold.applies), so no row needs its
    # quality: leaving the JSON out spares decoding it for every row read.
    columns = [
        null().label(c.key) if c.key == "normalized_quality_params" else c
        for c in candidate_columns(f)
    ]
    return (
        select(*columns, literal(read.factor.value).label("list_name"))
        .where(and_(*where))
        .order_by(key.desc() if descending else key.asc(), t.c.id)
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
        rows.sort(key=_descending_order if _key(f, factor)[1] else _ascending_order)
    return found


def _ascending_order(item: ListRow) -> tuple[Any, ...]:
    key = item.key
    nan = isinstance(key, float) and math.isnan(key)
    return (nan, 0.0 if nan else key, item.row.id)


def _descending_order(item: ListRow) -> tuple[Any, ...]:
    key = item.key
    nan = isinstance(key, float) and math.isnan(key)
    return (not nan, 0.0 if nan else -key, item.row.id)
