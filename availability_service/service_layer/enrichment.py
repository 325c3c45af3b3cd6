"""Enrichment of a lot before it is written: normalisation, canonical units, anomaly, embedding."""

from __future__ import annotations

from sqlalchemy import Connection

from availability_service.domain.errors import Violations
from availability_service.domain.model import Availability


def copy_quality(conn: Connection, lot: Availability, violations: Violations) -> None:
    """Minimal enrichment: quality kept as sent (replaced by the catalog-driven enricher)."""
    lot.normalized_quality_params = dict(lot.quality_params)
