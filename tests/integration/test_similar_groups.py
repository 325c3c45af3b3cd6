"""Migration 0014's `similar_group`, on real PostgreSQL, against the service's own embedder:
lots of one shape (commodity, grade, region, the parameters they report) share a group
whatever their values, and any other shape has another group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from availability_service.intelligence import load_catalog
from availability_service.intelligence.embedding import FeatureEmbedder, LotFeatures

COTTON = {"commodity": "cotton", "family": "fibre", "grade": "B", "delivery_region": "IN-GJ"}


def _groups(engine: Engine, *features: dict[str, Any]) -> list[int]:
    embed = FeatureEmbedder(load_catalog()).embed
    with engine.connect() as conn:
        return [
            conn.execute(
                text("SELECT similar_group(CAST(:vector AS vector))"),
                {"vector": str(embed(LotFeatures(**{**COTTON, **f}))).replace(" ", "")},
            ).scalar_one()
            for f in features
        ]


def test_lots_of_one_shape_share_a_group_whatever_their_values(engine: Engine) -> None:
    groups = _groups(
        engine,
        *(
            {"normalized_quality": {"staple_length": staple, "micronaire": mic}}
            for staple, mic in ((25.0, 3.5), (29.5, 4.2), (33.0, 5.0))
        ),
        # Below its range a value is scaled to 0: its sine is 0, its cosine not, and the
        # pair still says the parameter is reported.
        {"normalized_quality": {"staple_length": 1.0, "micronaire": 4.2}},
        # Past its range: the cosine is (almost) 0, the sine 1.
        {"normalized_quality": {"staple_length": 90.0, "micronaire": 4.2}},
    )
    assert len(set(groups)) == 1
    assert groups[0] != 0


def test_another_shape_is_another_group(engine: Engine) -> None:
    quality = {"staple_length": 29.5, "micronaire": 4.2}
    groups = _groups(
        engine,
        {"normalized_quality": quality},
        {"normalized_quality": {"staple_length": 29.5}},  # one parameter fewer
        {"normalized_quality": {**quality, "strength": 29.0}},  # one more
        {"normalized_quality": quality, "grade": None},  # no grade
        {"normalized_quality": quality, "delivery_region": None},  # no region
        {"normalized_quality": quality, "commodity": "wheat", "family": "grain"},
    )
    assert len(set(groups)) == len(groups)
