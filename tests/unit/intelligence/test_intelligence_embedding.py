"""Feature embeddings are deterministic and order lots by similarity sensibly."""

from hypothesis import given
from hypothesis import strategies as st

from availability_service.intelligence import (
    EMBEDDING_DIM,
    FeatureEmbedder,
    LotFeatures,
    cosine_similarity,
    load_catalog,
)

CATALOG = load_catalog()
EMBEDDER = FeatureEmbedder(CATALOG)


def embed(code: str, quality: dict[str, float] | None = None, **extra: str) -> list[float]:
    commodity = CATALOG.get(code)
    return EMBEDDER.embed(LotFeatures(code, commodity.family, quality or {}, **extra))


def mid_quality(code: str) -> dict[str, float]:
    return {
        p.name: (p.minimum + p.maximum) / 2
        for p in CATALOG.get(code).quality.values()
        if p.minimum is not None and p.maximum is not None
    }


def test_embedding_has_the_fixed_dimension_and_unit_length() -> None:
    vector = embed("cotton", {"staple_length": 28.0}, grade="41-4", delivery_region="Gujarat")
    assert len(vector) == EMBEDDING_DIM
    assert abs(sum(x * x for x in vector) - 1.0) < 1e-9


def test_embedding_is_deterministic_across_embedder_instances() -> None:
    features = LotFeatures("cotton", "fibre", {"staple_length": 28.0, "micronaire": 4.2}, "41-4")
    assert FeatureEmbedder(CATALOG).embed(features) == FeatureEmbedder(load_catalog()).embed(
        features
    )


def test_close_quality_is_more_similar_than_far_quality() -> None:
    base = embed("cotton", {"staple_length": 28.0, "micronaire": 4.2})
    close = embed("cotton", {"staple_length": 28.5, "micronaire": 4.3})
    far = embed("cotton", {"staple_length": 36.0, "micronaire": 6.5})
    assert cosine_similarity(base, close) > cosine_similarity(base, far)


def test_same_family_commodities_are_closer_than_different_families() -> None:
    wheat, corn, gold = embed("wheat", mid_quality("wheat")), embed("corn"), embed("gold")
    silver, copper = embed("silver"), embed("copper_cathode")
    assert cosine_similarity(wheat, corn) > cosine_similarity(wheat, gold)
    assert cosine_similarity(gold, silver) > cosine_similarity(gold, copper)


def test_every_same_commodity_pair_beats_every_same_family_pair_beats_other_families() -> None:
    vectors = {c.code: embed(c.code, mid_quality(c.code)) for c in CATALOG}
    same_family: list[float] = []
    other_family: list[float] = []
    for a in CATALOG:
        for b in CATALOG:
            if a.code < b.code:
                similarity = cosine_similarity(vectors[a.code], vectors[b.code])
                (same_family if a.family == b.family else other_family).append(similarity)
    cotton_low = embed("cotton", {"staple_length": 20.0, "micronaire": 2.5})
    cotton_high = embed("cotton", {"staple_length": 40.0, "micronaire": 7.0})
    assert cosine_similarity(cotton_low, cotton_high) > min(same_family) > max(other_family)


def test_grade_and_region_nudge_similarity() -> None:
    base = embed("cotton", {"staple_length": 28.0}, grade="41-4", delivery_region="Texas")
    same = embed("cotton", {"staple_length": 28.0}, grade="41-4", delivery_region="Texas")
    other = embed("cotton", {"staple_length": 28.0}, grade="31-3", delivery_region="Gujarat")
    assert cosine_similarity(base, same) > cosine_similarity(base, other)


@given(
    st.dictionaries(
        st.sampled_from(["staple_length", "micronaire", "strength", "x"]),
        st.floats(allow_nan=True, allow_infinity=True),
        max_size=4,
    )
)
def test_any_quality_gives_a_finite_unit_vector(quality: dict[str, float]) -> None:
    vector = EMBEDDER.embed(LotFeatures("cotton", "fibre", quality))
    assert all(x == x for x in vector)
    assert abs(sum(x * x for x in vector) - 1.0) < 1e-9
