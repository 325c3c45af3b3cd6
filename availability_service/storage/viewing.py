"""A Viewer (domain.viewer) as storage.lots' visibility predicate: the SQL twin of
auth.visibility, for every read that takes a viewer."""

from __future__ import annotations

from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.viewer import Viewer
from availability_service.storage import lots


def visible_to(viewer: Viewer) -> ColumnElement[bool] | None:
    """The viewer's visibility as the SQL predicate of storage.lots (None: sees every lot)."""
    return lots.visible_to_sql(viewer.subject, viewer.company_id, viewer.region, viewer.sees_all)


def visibility_params(viewer: Viewer) -> dict[str, str] | None:
    """The bound values of that predicate, for the driver-SQL reads."""
    return lots.visibility_params(viewer.subject, viewer.company_id, viewer.region, viewer.sees_all)
