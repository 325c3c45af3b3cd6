"""The encoded size of a lot, measured where it is written so every emitted lot stays bounded.

A lot is capped as its owner sees it (the largest view, embedding included) after enrichment,
so that a full page, a batch reply and a watch event always fit the transport's message limit
(the arithmetic is in tests/unit/domain/test_size_bounds.py).
"""

from __future__ import annotations

from availability_service.auth.principal import Principal
from availability_service.domain.model import Availability
from availability_service.domain.validation import MAX_EMITTED_LOT_BYTES, MAX_LOT_BYTES
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.service_layer.lots import MAX_PAGE_SIZE
from tradedesk.availability.v1 import resources_pb2 as pb

# The most lots one reply carries: a List page (and a BatchCreate reply, also 500); Search
# (200) and ListSimilar (100) carry fewer, each with a score breakdown of
# well under a kilobyte.
_LARGEST_REPLY = MAX_PAGE_SIZE
_ITEM_FRAMING = 16  # tag and length of the item and of its lot, with room to spare
_REPLY_FRAMING = 4096  # page token (at most 1024 bytes), revision
# A server configured below this could not send a full page: it refuses to start.
MIN_MESSAGE_BYTES = _LARGEST_REPLY * (MAX_EMITTED_LOT_BYTES + _ITEM_FRAMING) + _REPLY_FRAMING
# Output-only fields derived from input ones: blame the field the caller can shorten.
_BLAME = {"normalized_quality_params": "quality_params"}


def check_message_limit(max_message_bytes: int) -> None:
    """Refuses a transport limit that a full page of the largest lots would exceed."""
    if max_message_bytes < MIN_MESSAGE_BYTES:
        raise ValueError(
            f"max_message_bytes {max_message_bytes} is below {MIN_MESSAGE_BYTES}, the size of "
            "a full page of the largest lots; raise it (the default is 4 MiB)"
        )


def lot_size(lot: Availability) -> tuple[int, str]:
    """The lot's encoded size in bytes and, when over MAX_LOT_BYTES, its largest field."""
    # The owner's view: every field (redaction only ever removes some).
    message = availability_to_pb(lot, Principal(lot.seller_id), full=True)
    size = message.ByteSize()
    if size <= MAX_LOT_BYTES:
        return size, ""
    return size, largest_field(message)


def largest_field(message: pb.Availability) -> str:
    """The name of the field that takes the most bytes of `message` (only on refusal)."""
    present = [fd.name for fd, _ in message.ListFields()]
    best, best_size = "", -1
    for name in present:
        part = pb.Availability()
        part.CopyFrom(message)
        for other in present:
            if other != name:
                part.ClearField(other)
        if part.ByteSize() > best_size:
            best, best_size = name, part.ByteSize()
    return _BLAME.get(best, best)
