"""Work that standing searches share: what every search computes alike for one lot state
(its embedding, its distance to each distinct target, its scoring candidates), and the small
number that names equal criteria, so that caches keyed by it hash an int, not the criteria.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

from availability_service.domain.model import Availability
from availability_service.intelligence import Commodity, Embedder
from availability_service.intelligence.scoring import LotCandidate
from availability_service.service_layer.enrichment import lot_features
from availability_service.service_layer.ports.search import CandidateRow
from availability_service.service_layer.search import candidate_of
from availability_service.watch.similarity import Embedded, Summation


def embedding(lot: Availability, commodity: Commodity, embedder: Embedder) -> list[float]:
    """The lot's embedding: the stored one when the lot was read from its row, else
    recomputed from its features as enrichment computed it."""
    if lot.ai_score_vector is not None:
        return lot.ai_score_vector
    return embedder.embed(lot_features(lot, commodity))


class SharedLotState:
    """What every standing search computes alike for one lot state (id, revision): its
    embedding and norm, its distance to each distinct target, and its scoring candidate for
    each (distance, km) pair; computed by the first search that needs it, reused by the rest."""

    def __init__(self, embedded: Embedded) -> None:
        self.embedded = embedded
        self._candidates: dict[tuple[float | None, float | None], LotCandidate] = {}

    def candidate(
        self, lot: Availability, cosine_distance: float | None, distance_km: float | None
    ) -> LotCandidate:
        key = (cosine_distance, distance_km)
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = candidate_of(
                CandidateRow(
                    id=lot.id,
                    normalized_quality_params=lot.normalized_quality_params,
                    price_per_base_unit=lot.price_per_base_unit,
                    ai_confidence_score=float(lot.ai_confidence_score),
                    cosine_distance=cosine_distance,
                    distance_km=distance_km,
                )
            )
        return found


# The process's lot states, shared by every standing search (bounded: least recent out).
_SHARED: OrderedDict[tuple[int, int, Summation], SharedLotState] = OrderedDict()
SHARED_CACHE_SIZE = 10_000


def shared_state(
    lot: Availability, commodity: Commodity, embedder: Embedder, summation: Summation
) -> SharedLotState:
    """The lot state's shared work, through the process-wide cache."""
    key = (lot.id.int, lot.revision, summation)
    found = _SHARED.get(key)
    if found is None:
        vector = embedding(lot, commodity, embedder)
        found = _SHARED[key] = SharedLotState(Embedded(vector, summation))
        if len(_SHARED) > SHARED_CACHE_SIZE:
            _SHARED.popitem(last=False)
    return found


# Criteria (a search request's bytes, page fields aside) and summation -> a number never
# reused, so cached work keyed by it can never be taken for other criteria's. Forgetting
# the map (when it grows past its bound) only gives later searches new numbers.
_CRITERIA_IDS: dict[tuple[bytes, Summation], int] = {}
_NUMBERS = itertools.count()
CRITERIA_IDS_SIZE = 100_000


def criteria_id(criteria_key: bytes, summation: Summation) -> int:
    """The number of these criteria under this summation (equal criteria, equal number)."""
    key = (criteria_key, summation)
    found = _CRITERIA_IDS.get(key)
    if found is None:
        if len(_CRITERIA_IDS) >= CRITERIA_IDS_SIZE:
            _CRITERIA_IDS.clear()
        found = _CRITERIA_IDS[key] = next(_NUMBERS)
    return found
