"""Commodity intelligence: catalog, units, quality normalisation, anomalies, embeddings, scoring.

Pure code: no database, no gRPC, no SQLAlchemy. Every fact (units, ranges, bands, formulas)
lives in availability_service/catalog/commodities.yaml (version 1); a commodity added there
works without code changes.

Canonical units
    Quantities: kg (cotton, wheat, corn, soybeans, coffee, copper_cathode), g (gold, silver),
    L (crude_oil). Prices: USD/t for bulk commodities, USD/ozt for gold and silver, USD/bbl
    for crude. A price in another currency keeps its currency (no FX); cents become units
    (USc/lb -> USD/t is x 22.0462). Trade units: US bale 480 lb, Indian bale 170 kg, candy
    784 lb (355.6164 kg), bushel 60 lb for wheat and soybeans (56 lb corn) as a per-commodity
    mass, troy ounce 31.1034768 g (never the 28.35 g "oz"), tola 11.6638 g, barrel 42 US gal
    (158.987 L; pint's own "bbl" is 31.5 gal), coffee bag 60 kg. Mass <-> volume (crude t
    <-> bbl) is refused: it needs the lot's density.

Quality normalisation (normalize_quality_params)
    Names resolve through catalog aliases (staple, staple_mm -> staple_length). Numbers may
    come as number + unit or as text ("2.9 cm", "3%", '1-2/32"'). Plain unit factors via
    pint: cm x 10, inch x 25.4, 32nds x 0.79375 -> mm; cN/tex / 0.9807 -> g/tex (Pressley
    refused); % x 10 and karat x 1000/24 -> per mille; ppm / 10000 -> wt %; Cu ppm -> %;
    soybean lb/bu x 1.2872 <-> kg/hL. Empirical formulas from the catalog, not unit
    factors: wheat kg/hL = 1.292 x lb/bu + 1.419; API = 141.5 / SG - 131.5. Micronaire
    above 10 is divided by 10 (42 means 4.2). Results are rounded to 6 decimals, then
    range-checked: QualityOutOfRange names the parameter and the range
    (field quality_params[<name>]); NaN and infinity are refused; unknown parameters are
    kept as given.

Price anomalies (detect_price_anomaly)
    M = 0.6745 (x - median) / MAD over >= 20 comparables, flagged at |M| > 3.5; MAD = 0 ->
    (x - median) / (1.253314 x mean absolute deviation); all equal -> flag beyond 2 %.
    Fewer comparables -> catalog band (suggest its midpoint, confidence 0.2). Confidence
    with comparables = n / (n + min_comparables). Ratios near 100, 1000, 2.2046, 22.05 are
    named as unit slips. Callers leave already-flagged lots out of the comparables.

Search score (score_lot)
    score = sum_f w_f v_f over the active factors, weights renormalised to sum 1.
    Defaults: vector 0.4, quality 0.3, price 0.2, confidence 0.1, distance 0.1 (active
    only when the request gives a point). v_vector = (cos + 1) / 2; v_quality = mean over
    targets of 1 - |x - target| / tolerance (0 and filtered out beyond the tolerance or
    min/max, edges inclusive); v_price = 1 - 0.5 price / max_price up to max_price, then
    linear to 0 at max_price x (1 + tol%), filtered out above; v_distance =
    exp(ln 0.5 x d / radius) (0.5 at the radius, filtered out beyond);
    v_confidence = the lot's ai_confidence_score. Readiness (readiness_score) weighs
    approved 0.25, quantity available 0.2, price in band 0.15, quality completeness 0.15,
    time left 0.15 and seller hold load 0.1.

Embeddings (FeatureEmbedder)
    64 dimensions, deterministic: family block, hashed commodity, quality scaled by catalog
    range at hashed slots, grade and region hashed, L2-normalised. Same commodity beats
    same family beats different family in cosine similarity.
"""

from availability_service.intelligence.anomaly import AnomalyResult, detect_price_anomaly
from availability_service.intelligence.catalog import (
    Catalog,
    Commodity,
    QualityParameter,
    catalog_to_rows,
    load_catalog,
)
from availability_service.intelligence.embedding import (
    EMBEDDING_DIM,
    Embedder,
    FeatureEmbedder,
    LotFeatures,
    cosine_similarity,
)
from availability_service.intelligence.errors import (
    CatalogError,
    IntelligenceError,
    InvalidQuality,
    QualityOutOfRange,
    UnitError,
    UnknownCommodity,
)
from availability_service.intelligence.factors import Factor
from availability_service.intelligence.normalize import (
    NormalizedQuality,
    QualityInput,
    normalize_quality_params,
)
from availability_service.intelligence.readiness import ReadinessScore, readiness_score
from availability_service.intelligence.scoring import (
    LotCandidate,
    QualityTarget,
    ScoredLot,
    Scorer,
    ScoreWeights,
    SearchCriteria,
    distance_score,
    price_score,
    quality_score,
    score_lot,
    vector_score,
)
from availability_service.intelligence.units import to_canonical_price, to_canonical_quantity

__all__ = [
    "EMBEDDING_DIM",
    "AnomalyResult",
    "Catalog",
    "CatalogError",
    "Commodity",
    "Embedder",
    "Factor",
    "FeatureEmbedder",
    "IntelligenceError",
    "InvalidQuality",
    "LotCandidate",
    "LotFeatures",
    "NormalizedQuality",
    "QualityInput",
    "QualityOutOfRange",
    "QualityParameter",
    "QualityTarget",
    "ReadinessScore",
    "ScoreWeights",
    "ScoredLot",
    "Scorer",
    "SearchCriteria",
    "UnitError",
    "UnknownCommodity",
    "catalog_to_rows",
    "cosine_similarity",
    "detect_price_anomaly",
    "distance_score",
    "load_catalog",
    "normalize_quality_params",
    "price_score",
    "quality_score",
    "readiness_score",
    "score_lot",
    "to_canonical_price",
    "to_canonical_quantity",
    "vector_score",
]
