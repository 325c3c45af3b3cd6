"""Lot feature embeddings for vector similarity search (pgvector).

The default FeatureEmbedder is deterministic and needs no model download: it lays out
hand-made features in fixed blocks and L2-normalises the vector so cosine similarity is
meaningful. A learned text embedder can replace it later through the Embedder protocol,
as long as it keeps EMBEDDING_DIM (the pgvector column width).

Layout (64 dimensions):
  [0, 8)   family: one slot per known family, unknown families hashed into the block
  [8, 16)  commodity code: hashed, so two commodities of one family still differ
  [16, 56) quality: each parameter at a stable slot pair chosen by hashing
           "commodity:parameter"; its value v in [0, 1] (scaled by the catalog range) is
           written as (cos(v pi/2), sin(v pi/2)) so every parameter has the same weight and
           closer values give closer vectors; collisions are possible and only add noise
  [56, 60) grade, hashed          [60, 64) delivery region, hashed

Migration 0014's `similar_group` names a vector's group by which of these slots are set
(ListSimilar compares a small group's lots exactly, storage/similar.py): it keeps its own copy
of this layout, so a new layout wants a migration that redefines it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from availability_service.intelligence.catalog import FAMILIES, Catalog

EMBEDDING_DIM = 64
_FAMILY = (0, 8)
_COMMODITY = (8, 16)
_QUALITY = (16, 56)
_GRADE = (56, 60)
_REGION = (60, 64)

# Block weights, tuned so that over the packaged catalog every same-commodity pair (even at
# opposite ends of every range, cosine >= 0.8) beats every same-family pair (>= 0.5), which
# beats every cross-family pair (<= 0.2, hash-collision noise only). Grade and region nudge.
FAMILY_WEIGHT = 2.0
COMMODITY_WEIGHT = 1.0
QUALITY_WEIGHT = 1.0
GRADE_WEIGHT = 0.4
REGION_WEIGHT = 0.4


@dataclass(frozen=True)
class LotFeatures:
    """What the embedder sees of a lot: all plain values, quality already normalised."""

    commodity: str
    family: str
    normalized_quality: Mapping[str, float] = field(default_factory=dict)
    grade: str | None = None
    delivery_region: str | None = None


class Embedder(Protocol):
    """Anything that turns lot features into an EMBEDDING_DIM vector."""

    def embed(self, lot_features: LotFeatures) -> list[float]: ...


def _stable_hash(text: str) -> int:
    # Python's hash() is salted per process; embeddings are stored, so they must not be.
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _hashed_slot(block: tuple[int, int], key: str, stride: int = 1) -> tuple[int, float]:
    """A stable slot in `block` and a sign for `key`.

    The sign (feature hashing as in Weinberger et al.) makes two keys that land on the same
    slot cancel as often as they add, so collisions do not fake similarity on average.
    """
    start, end = block
    slots = (end - start) // stride
    digest = _stable_hash(key)
    return start + (digest % slots) * stride, 1.0 if (digest >> 32) & 1 else -1.0


def _add_hashed(vector: list[float], block: tuple[int, int], key: str, weight: float) -> None:
    slot, sign = _hashed_slot(block, key)
    vector[slot] += sign * weight


class FeatureEmbedder:
    """The default deterministic embedder; `catalog` supplies the ranges to scale quality."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self._catalog = catalog

    def embed(self, lot_features: LotFeatures) -> list[float]:
        vector = [0.0] * EMBEDDING_DIM
        family = lot_features.family.strip().lower()
        if family in FAMILIES:
            vector[_FAMILY[0] + FAMILIES.index(family)] = FAMILY_WEIGHT
        else:
            _add_hashed(vector, _FAMILY, "family:" + family, FAMILY_WEIGHT)
        code = lot_features.commodity.strip().lower()
        # Two signed slots: a single collision between two codes then only half-aligns.
        for salt in ("a", "b"):
            key = f"commodity:{salt}:{code}"
            _add_hashed(vector, _COMMODITY, key, COMMODITY_WEIGHT / math.sqrt(2))
        self._add_quality(vector, code, lot_features.normalized_quality)
        if lot_features.grade:
            key = "grade:" + code + ":" + lot_features.grade.strip().lower()
            _add_hashed(vector, _GRADE, key, GRADE_WEIGHT)
        if lot_features.delivery_region:
            key = "region:" + lot_features.delivery_region.strip().lower()
            _add_hashed(vector, _REGION, key, REGION_WEIGHT)
        norm = math.sqrt(sum(x * x for x in vector))
        return [x / norm for x in vector] if norm > 0 else vector

    def _add_quality(self, vector: list[float], code: str, quality: Mapping[str, float]) -> None:
        usable = {k: v for k, v in quality.items() if math.isfinite(v)}
        if not usable:
            return
        # Divide by sqrt(n) so the quality block's norm is QUALITY_WEIGHT however many
        # parameters a lot reports.
        each = QUALITY_WEIGHT / math.sqrt(len(usable))
        for name in sorted(usable):
            angle = self.scaled(code, name, usable[name]) * math.pi / 2
            slot, sign = _hashed_slot(_QUALITY, code + ":" + name.lower(), stride=2)
            vector[slot] += sign * each * math.cos(angle)
            vector[slot + 1] += sign * each * math.sin(angle)

    def scaled(self, code: str, name: str, value: float) -> float:
        """The value scaled into [0, 1] by the catalog's realistic range.

        Parameters without a known range are squashed with x / (1 + |x|) mapped to [0, 1].
        """
        parameter = None
        if self._catalog is not None and code in self._catalog:
            parameter = self._catalog.get(code).parameter(name)
        if parameter is not None and parameter.width is not None and parameter.minimum is not None:
            return min(1.0, max(0.0, (value - parameter.minimum) / parameter.width))
        return 0.5 + 0.5 * value / (1.0 + abs(value))


def cosine_similarity(a: list[float], b: list[float]) -> float:
    """Cosine of two vectors; 0 when either is all zeros."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm > 0 else 0.0
