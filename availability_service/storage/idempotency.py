"""Idempotency keys (AIP-155): the first result of a request_id is kept and replayed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from availability_service.domain.errors import RequestIdReused
from availability_service.storage.tables import idempotency_keys

t = idempotency_keys


def claim(
    conn: Connection, *, principal: str, request_id: str, method: str, request_hash: str
) -> dict[str, Any] | None:
    """Claims the key inside the caller's transaction.

    Returns None when this call is the first (go ahead), or the stored response of the first
    call. A concurrent first call makes this INSERT wait on the unique index until it commits,
    so two racing duplicates can never both apply.
    """
    inserted = conn.execute(
        insert(t)
        .values(
            principal=principal, request_id=request_id, method=method, request_hash=request_hash
        )
        .on_conflict_do_nothing()
        .returning(t.c.request_id)
    ).first()
    if inserted is not None:
        return None
    row = conn.execute(
        select(t.c.method, t.c.request_hash, t.c.response).where(
            t.c.principal == principal, t.c.request_id == request_id
        )
    ).one()
    if row.method != method or row.request_hash != request_hash:
        raise RequestIdReused(
            f"request_id {request_id!r} was already used with a different request",
            metadata={"request_id": request_id},
        )
    response: dict[str, Any] = row.response
    return response


def complete(
    conn: Connection, *, principal: str, request_id: str, response: dict[str, Any]
) -> None:
    conn.execute(
        t.update()
        .where(t.c.principal == principal, t.c.request_id == request_id)
        .values(response=response)
    )


def expire_keys(conn: Connection, created_before: Any, limit: int) -> int:
    """Deletes up to `limit` keys created before `created_before`; returns how many.

    A retry of an expired request_id is then a new request: the retention window must be
    longer than any client retries (docs/deployment.md, Retention).
    """
    doomed = select(t.c.principal, t.c.request_id).where(t.c.create_time < created_before)
    result = conn.execute(
        t.delete().where(tuple_(t.c.principal, t.c.request_id).in_(doomed.limit(limit)))
    )
    return int(result.rowcount or 0)
