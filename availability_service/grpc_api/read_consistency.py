"""The `x-min-revision` request header: the revision a read must see (read-your-writes).

Clients send the revision of their last write (a lot's or hold's `revision`); the read is then
answered by a database that shows at least that revision (docs/contract.md, "Reading your
own writes"). Without the header a read may be served by a standby within the configured lag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from availability_service.domain.errors import InvalidArgument
from availability_service.storage.read_routing import ReadScope

MIN_REVISION_HEADER = "x-min-revision"
_MAX_REVISION = 2**63 - 1  # revisions are int64 on the wire


def read_scope(metadata: Iterable[Any] | None) -> ReadScope:
    """The request's read scope; a header that is not one non-negative int64 is INVALID_ARGUMENT."""
    values = [value for key, value in metadata or () if key == MIN_REVISION_HEADER]
    if not values:
        return ReadScope()
    if len(values) > 1:
        raise InvalidArgument.one(MIN_REVISION_HEADER, "must be sent at most once")
    raw = values[0]
    text = raw.strip() if isinstance(raw, str) else ""
    if not text.isdigit() or not text.isascii() or int(text) > _MAX_REVISION:
        raise InvalidArgument.one(
            MIN_REVISION_HEADER, "must be a revision: a non-negative integer (int64)"
        )
    return ReadScope(min_revision=int(text))
