"""Standing searches share what they compute alike for one lot state: the distance to a
target vector is computed once per distinct target, and is the exact function's value."""

from __future__ import annotations

import numpy as np
import pytest

from availability_service.intelligence.embedding import EMBEDDING_DIM
from availability_service.watch.similarity import Embedded, Summation

KERNEL = Summation(8, True)


def vectors(seed: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=EMBEDDING_DIM).astype(np.float32) for _ in range(count)]


def test_searches_sharing_a_target_compute_the_lot_distance_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lot_vector, target_vector = vectors(1, 2)
    lot = Embedded(lot_vector, KERNEL)
    # Two searches with equal targets hold two Embedded objects of the same vector.
    targets = [Embedded(target_vector, KERNEL) for _ in range(2)]
    calls: list[int] = []
    exact = Embedded.cosine_distance

    def counted(self: Embedded, other: Embedded, summation: Summation) -> float | None:
        calls.append(1)
        return exact(self, other, summation)

    monkeypatch.setattr(Embedded, "cosine_distance", counted)
    distances = [lot.remembered_distance(t, KERNEL) for t in targets * 3]
    assert len(calls) == 1
    assert set(distances) == {exact(lot, targets[0], KERNEL)}


def test_a_remembered_distance_is_the_exact_one_for_each_distinct_target() -> None:
    lot_vector, *target_vectors = vectors(2, 6)
    lot = Embedded(lot_vector, KERNEL)
    targets = [Embedded(v, KERNEL) for v in target_vectors]
    remembered = [lot.remembered_distance(t, KERNEL) for t in targets + targets]
    expected = [lot.cosine_distance(t, KERNEL) for t in targets]
    assert remembered == expected + expected
    assert len(set(expected)) == len(targets)
