"""A standing search scores lots in Python; these check its two database-computed numbers
against PostgreSQL itself: pgvector's cosine distance and earthdistance's great-circle
distance, bit for bit, on inputs the calibration never saw."""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.intelligence.embedding import EMBEDDING_DIM
from availability_service.watch.similarity import Summation, calibrated, database_distances
from availability_service.watch.standing import earth_distance_m


def test_the_calibrated_summation_reproduces_pgvector_exactly(
    app: Application, engine: Engine
) -> None:
    rng = np.random.default_rng(7)
    pairs = [
        (
            rng.normal(scale=scale, size=EMBEDDING_DIM).astype(np.float32),
            rng.normal(size=EMBEDDING_DIM).astype(np.float32),
        )
        for scale in (0.001, 1.0, 1000.0)
        for _ in range(20)
    ]
    uow = app.watch_database.uow
    kernel = calibrated(uow)
    assert kernel != Summation(), "no summation kernel reproduces this database's pgvector"
    assert [kernel.cosine_distance(a, b) for a, b in pairs] == database_distances(uow, pairs)


def test_a_zero_vector_has_no_cosine_distance() -> None:
    zero = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    assert Summation(8, True).cosine_distance(zero, np.ones(EMBEDDING_DIM, np.float32)) is None


def test_the_great_circle_distance_is_earthdistances_to_the_bit(
    app: Application, engine: Engine
) -> None:
    rng = np.random.default_rng(11)
    points = []
    for _ in range(100):
        a = (float(rng.uniform(-85, 85)), float(rng.uniform(-180, 180)))
        points.append((a, (a[0] + float(rng.normal(scale=2)), a[1] + float(rng.normal(scale=2)))))
    points.append(((10.0, 20.0), (10.0, 20.0)))  # the very point
    points.append(((0.0, 0.0), (0.0, 180.0)))  # antipodes
    with engine.connect() as conn:
        expected = [
            conn.execute(
                text("SELECT earth_distance(ll_to_earth(:a, :b), ll_to_earth(:c, :d))"),
                {"a": a[0], "b": a[1], "c": b[0], "d": b[1]},
            ).scalar_one()
            for a, b in points
        ]
    assert [earth_distance_m(a, b) for a, b in points] == expected
