"""The embedding similarity exactly as pgvector computes it, so standing searches score lots
bit for bit as SearchAvailabilities does.

pgvector sums the three float-32 products of its cosine distance (a.b, a.a, b.b) in SIMD
lanes, with or without fused multiply-add, and adds the lanes up pairwise at the end; which
kernel runs depends on the CPU the database runs on. Instead of guessing, `calibrated` asks
the database for the distances of a few fixed vector pairs once per process and keeps the
first summation that reproduces all of them exactly; when none does (an unknown kernel), the
plain float-64 sum is used, which agrees to about 1e-7.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from availability_service.intelligence.embedding import EMBEDDING_DIM
from availability_service.service_layer.ports import UnitOfWork
from availability_service.watch.database import read_deadline

F32 = np.float32
F64 = np.float64
CALIBRATION_PAIRS = 16
# (lanes, fused multiply-add), most likely first: AVX2 + FMA, AVX, SSE, scalar.
_KERNELS = ((8, True), (8, False), (16, True), (16, False), (4, False), (4, True), (1, False))


@dataclass(frozen=True)
class Summation:
    """How the products are summed; lanes 0 means plain float 64.

    Each of pgvector's three sums runs in its own accumulators, so each can be computed on
    its own: a vector's norm once per vector, only the dot product per pair.
    """

    lanes: int = 0
    fused: bool = False

    def sum_of_products(self, x: np.ndarray, y: np.ndarray) -> float:
        """x . y as pgvector sums it, for float-32 values held as float 64 (exact)."""
        if self.lanes == 0 or x.shape[0] % self.lanes:
            return float(np.dot(x, y))
        # Products of two float 32 are exact in float 64, so rounding (acc + product) to
        # float 32 once is a fused multiply-add; without it the product is rounded first.
        rows = (x * y).reshape(-1, self.lanes)
        if not self.fused:
            rows = rows.astype(F32)
        acc = np.zeros(self.lanes, dtype=F32)
        for row in rows:
            acc = (acc + row).astype(F32)
        while acc.shape[0] > 1:
            half = acc.shape[0] // 2
            acc = acc[:half] + acc[half:]  # float 32 + float 32 stays float 32
        return float(acc[0])

    def cosine_distance(self, a: np.ndarray, b: np.ndarray) -> float | None:
        """pgvector's `a <=> b` for two float-32 vectors; None when either is all zeros."""
        x, y = a.astype(F64), b.astype(F64)
        return self.distance(
            self.sum_of_products(x, y), self.sum_of_products(x, x), self.sum_of_products(y, y)
        )

    @staticmethod
    def distance(dot: float, norm_a: float, norm_b: float) -> float | None:
        """1 - cosine from the three sums, clamped as pgvector clamps it."""
        if norm_a == 0 or norm_b == 0:
            return None
        similarity = dot / math.sqrt(norm_a * norm_b)
        return 1.0 - max(-1.0, min(1.0, similarity))


class Embedded:
    """A float-32 vector held as float 64 with its sum of squares (computed once)."""

    def __init__(self, vector: Any, summation: Summation) -> None:
        self.values = np.asarray(vector, dtype=F32).astype(F64)
        self.norm = summation.sum_of_products(self.values, self.values)
        # Equal vectors have equal bytes: the key under which others remember a distance.
        self.key = self.values.tobytes()
        self._distances: dict[bytes, float | None] = {}

    def cosine_distance(self, other: Embedded, summation: Summation) -> float | None:
        dot = summation.sum_of_products(self.values, other.values)
        return summation.distance(dot, self.norm, other.norm)

    def remembered_distance(self, other: Embedded, summation: Summation) -> float | None:
        """cosine_distance, computed once per distinct `other` vector: the standing searches
        of a commodity mostly share a target, so a change's lot is compared once, not once
        per search. The same function computes it, so the value is the same to the bit."""
        if other.key not in self._distances:
            self._distances[other.key] = self.cosine_distance(other, summation)
        return self._distances[other.key]


def calibration_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(20261201)
    return [
        (rng.normal(size=EMBEDDING_DIM).astype(F32), rng.normal(size=EMBEDDING_DIM).astype(F32))
        for _ in range(CALIBRATION_PAIRS)
    ]


def database_distances(uow: UnitOfWork, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    """What pgvector answers for each pair."""
    with uow.read(read_deadline()) as tx:
        return tx.search.cosine_distances([(a.tolist(), b.tolist()) for a, b in pairs])


# By unit of work (one per database the process reads), forgotten with it.
_CHOSEN: weakref.WeakKeyDictionary[UnitOfWork, Summation] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def calibrated(uow: UnitOfWork) -> Summation:
    """The summation that reproduces this database's distances (once per unit of work)."""
    with _LOCK:
        found = _CHOSEN.get(uow)
        if found is None:
            pairs = calibration_pairs()
            expected = database_distances(uow, pairs)
            found = next(
                (
                    kernel
                    for kernel in (Summation(lanes, fused) for lanes, fused in _KERNELS)
                    if [kernel.cosine_distance(a, b) for a, b in pairs] == expected
                ),
                Summation(),
            )
            _CHOSEN[uow] = found
        return found
