"""Search reads: what SearchAvailabilities, ListSimilarAvailabilities and the standing
searches need from storage, and the filter values they hand it.

The filters are a superset of the exact ones: numeric bounds are widened by a hair
(EDGE_SLACK, `widen`) so float noise in SQL never drops a lot the exact decimal check in
intelligence.scoring would keep; scoring then decides every edge in one place. The standing
searches (watch.standing) apply the same widened edges in memory.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from availability_service.domain.model import Availability
from availability_service.domain.viewer import Viewer
from availability_service.intelligence.catalog import Commodity
from availability_service.intelligence.scoring import SearchCriteria

EDGE_SLACK = 1e-9
EARTH_RADIUS_SLACK_M = 1.0
# Far above float8 rounding of a sum of five products of numbers in [0, 1] (about 1e-15)
# and of the Decimal-versus-float differences of the exact path (about 1e-16 relative):
# the approximate score the database orders by is within this of the exact one.
SCORE_SLACK = 1e-9


def widen(value: float, direction: int) -> float:
    """A filter bound moved outwards (direction -1 lower, +1 upper) by EDGE_SLACK."""
    return value + direction * EDGE_SLACK * max(1.0, abs(value))


@dataclass(frozen=True)
class QualityRange:
    """Keep lots whose `name` number is within [low, high], or that do not report it."""

    name: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class OrderFilter:
    """Keep lots that could grant a hold of `quantity` (canonical unit) at `moment`."""

    quantity: Decimal
    moment: datetime


@dataclass(frozen=True)
class OrderTerms:
    """What the hold rules need of a candidate to decide an order (lot-unit quantities)."""

    available_quantity: Decimal
    total_quantity: Decimal
    quantity_in_base_unit: Decimal | None
    min_order_quantity: Decimal | None
    allow_partial_order: bool
    valid_until: datetime | None
    available_from: datetime | None
    available_until: datetime | None
    eod_cutoff: str


@dataclass(frozen=True)
class ScoreOrder:
    """Read rows by approximate score, descending, then id: the rows after `after` (the
    (approximate score, id) of the last row of the previous read), whose approximate score
    lies within [floor, ceiling] (bounds already widened by the caller)."""

    criteria: SearchCriteria
    commodity: Commodity
    after: tuple[float, uuid.UUID] | None = None
    floor: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True)
class CandidateFilter:
    commodity: str
    # Whose eyes the candidates are for: only lots this viewer may see are read.
    viewer: Viewer
    target_vector: list[float]
    limit: int
    quality: Sequence[QualityRange] = ()
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    price_unit: str = ""
    price_limit: Decimal | None = None
    min_quantity: Decimal | None = None
    include_anomalies: bool = False
    delivery_window_start: datetime | None = None
    delivery_window_end: datetime | None = None
    incoterm: str = ""
    # Lots outside their availability window at this moment are left out (None: no check).
    moment: datetime | None = None
    delivery_regions: frozenset[str] = frozenset()  # lower-cased region codes
    price_floor: Decimal | None = None  # in price_unit, like price_limit
    order: OrderFilter | None = None
    # Given: rows come best approximate score first (storage.search_score), not nearest first.
    ranking: ScoreOrder | None = None


@dataclass(frozen=True)
class CandidateRow:
    """What scoring needs of one lot."""

    id: uuid.UUID
    normalized_quality_params: dict[str, Any]
    price_per_base_unit: Decimal | None
    ai_confidence_score: float
    cosine_distance: float | None
    distance_km: float | None
    order_terms: OrderTerms | None = None
    approximate_score: float | None = None  # only when read by ScoreOrder


class FactorList(enum.Enum):
    """An index list of the searchable lots in the order of one score input, best first
    (see storage/search_lists.py and service_layer/search_threshold.py)."""

    VECTOR = "vector"  # lots with an embedding, nearest to the request's first
    CONFIDENCE = "confidence"  # every lot, highest confidence first (NaN first)
    NO_VECTOR = "no_vector"  # lots without an embedding, highest confidence first
    PRICE = "price"  # lots with a price in the request's unit, cheapest first
    # Lots with an embedding by distance band (VECTOR_BANDS_PER_UNIT), then highest
    # confidence first (NaN first), then id: its key is the pair (band, confidence).
    VECTOR_BAND = "vector_band"
    # Lots with an embedding by MIX_VECTOR x vector factor + MIX_CONFIDENCE x confidence
    # (the default weights' mix when no price counts; a NaN input first), highest first.
    MIX = "mix"


# The width of a VECTOR_BAND band is 1 / this in cosine distance: the band of a distance d
# is floor(d x this), as migration 0012's indexes compute it (the same constant there).
VECTOR_BANDS_PER_UNIT = 10000
# The MIX list's weights: the default vector 0.4 and confidence 0.1, normalised (migration
# 0012's indexes spell the same numbers).
MIX_VECTOR, MIX_CONFIDENCE = 0.8, 0.2


@dataclass(frozen=True)
class ListRead:
    """Up to `limit` rows of `factor`'s order after `after` (the last row's key and id; id
    None: after every row of that key; for VECTOR_BAND, a key (band, None): after every
    row of that band)."""

    factor: FactorList
    limit: int
    after: tuple[Any, uuid.UUID | None] | None = None


@dataclass(frozen=True)
class ListRow:
    key: Any  # the list's order value (float distance or confidence, Decimal price)
    row: CandidateRow


@dataclass(frozen=True)
class BoundRead:
    """Up to `limit` lots passing the indexed filters, by the bound of their score (the
    approximate score with the vector factor at 1) descending, then id: those after `after`
    (the (bound, id) of the last lot of the previous read) whose bound is at least `floor`
    (already widened by the caller)."""

    limit: int
    after: tuple[float, uuid.UUID] | None = None
    floor: float | None = None


@dataclass(frozen=True)
class BoundedRows:
    """One BoundRead: of the `read` lots, the rows passing every filter (with their
    approximate scores), and the (bound, id) of the last lot read (None: none was)."""

    rows: list[CandidateRow]
    read: int
    last: tuple[float, uuid.UUID] | None


class SearchReads(Protocol):
    def candidates(self, flt: CandidateFilter) -> list[CandidateRow]:
        """At most `flt.limit` lots passing the filters: nearest vectors first, or with
        `flt.ranking` best approximate score first."""
        ...

    def factor_lists(
        self, flt: CandidateFilter, reads: Sequence[ListRead]
    ) -> dict[FactorList, list[ListRow]]:
        """The next rows of each list asked, among the lots passing `flt` (its `ranking`
        and `limit` unused), each list in its own order: (key, id), key descending for
        the confidence lists."""
        ...

    def bounded(self, flt: CandidateFilter, read: BoundRead) -> BoundedRows:
        """The next lots by score bound among those passing `flt` (a search with `near`;
        `flt.ranking` gives the criteria, its bounds unused): see BoundRead."""
        ...

    def nearest(
        self,
        *,
        vector: list[float],
        commodities: Sequence[str],
        exclude_id: uuid.UUID,
        viewer: Viewer,
        limit: int,
    ) -> list[tuple[Availability, float]]:
        """The `limit` ACTIVE or RESERVED lots `viewer` may see nearest to `vector`, with
        their cosine distances, nearest first."""
        ...

    def cosine_distances(
        self, pairs: Sequence[tuple[Sequence[float], Sequence[float]]]
    ) -> list[float]:
        """The database's own cosine distance of each pair of vectors (pgvector's `<=>`)."""
        ...
