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
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, text

from availability_service.intelligence.embedding import EMBEDDING_DIM

F32 = np.float32
F64 = np.float64
CALIBRATION_PAIRS = 16
# (lanes, fused multiply-add), most likely first: AVX2 + FMA, AVX, SSE, scalar.
_KERNELS = ((8, True), (8, False), (16, True), (16, False), (4, False), (4, True), (1, False))


@dataclass(frozen=True)
class Summation:
    """How the products are summed; lanes 0 means plain float 64."""

    lanes: int = 0
    fused: bool = False

    def cosine_distance(self, a: np.ndarray, b: np.ndarray) -> float | None:
        """pgvector's `a <=> b` for two float-32 vectors; None when either is all zeros."""
        x, y = np.stack([a, a, b]), np.stack([b, a, b])
        if self.lanes == 0 or a.shape[0] % self.lanes:
            sums = (x.astype(F64) * y.astype(F64)).sum(axis=1)
        else:
            sums = self._lane_sums(x, y).astype(F64)
        similarity, norm_a, norm_b = (float(s) for s in sums)
        if norm_a == 0 or norm_b == 0:
            return None
        similarity = similarity / math.sqrt(norm_a * norm_b)
        return 1.0 - max(-1.0, min(1.0, similarity))

    def _lane_sums(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        # Products of two float 32 are exact in float 64, so rounding (product + acc) to
        # float 32 once is a fused multiply-add; without it the product is rounded first.
        products = (x.astype(F64) * y.astype(F64)).reshape(3, -1, self.lanes)
        if not self.fused:
            products = products.astype(F32)
        acc = np.zeros((3, self.lanes), dtype=F32)
        for row in range(products.shape[1]):
            acc = (acc + products[:, row]).astype(F32)
        while acc.shape[1] > 1:
            half = acc.shape[1] // 2
            acc = (acc[:, :half] + acc[:, half:]).astype(F32)
        return acc[:, 0]


def calibration_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(20261201)
    return [
        (rng.normal(size=EMBEDDING_DIM).astype(F32), rng.normal(size=EMBEDDING_DIM).astype(F32))
        for _ in range(CALIBRATION_PAIRS)
    ]


def database_distances(engine: Engine, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    """What pgvector answers for each pair."""
    with engine.connect() as conn:
        return [
            float(
                conn.execute(
                    text("SELECT CAST(:a AS vector) <=> CAST(:b AS vector)"),
                    {"a": str(a.tolist()), "b": str(b.tolist())},
                ).scalar_one()
            )
            for a, b in pairs
        ]


_CHOSEN: dict[str, Summation] = {}
_LOCK = threading.Lock()


def calibrated(engine: Engine) -> Summation:
    """The summation that reproduces this database's distances (once per process)."""
    key = str(engine.url)
    with _LOCK:
        found = _CHOSEN.get(key)
        if found is None:
            pairs = calibration_pairs()
            expected = database_distances(engine, pairs)
            found = next(
                (
                    kernel
                    for kernel in (Summation(lanes, fused) for lanes, fused in _KERNELS)
                    if [kernel.cosine_distance(a, b) for a, b in pairs] == expected
                ),
                Summation(),
            )
            _CHOSEN[key] = found
        return found
