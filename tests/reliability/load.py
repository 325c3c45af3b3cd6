"""Mixed client load (create, approve, update, reserve, release, mark sold, watch) that remembers
what the server acknowledged, so a crash test can prove nothing acknowledged was lost.

Every mutation carries a request_id. Its outcome is one of: acked (the server answered with a
result), rejected (a definite domain error: no effect), or lost (the connection broke or the
call timed out: the effect may or may not exist; `replay_lost` retries it with the same
request_id, which must apply it at most once). Used by the crash test and the soak run.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message

from tests.support.callers import make_token
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

# Codes that say "the outcome is unknown": the request may have committed before the answer
# was lost. Everything else except OK is a definite rejection.
UNKNOWN_OUTCOME = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
}
# Never acceptable, whatever the fault: they mean a bug escaped the error table.
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
CALL_TIMEOUT = 5.0


@dataclass
class Sent:
    """One mutating request and what became of it."""

    method: str
    role: str
    request: Message
    request_id: str
    outcome: str = "pending"  # acked | rejected | lost
    code: str = ""
    revision: int = 0
    lot: str = ""


@dataclass
class Identity:
    role: str
    subject: str
    token: str

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")]


def identities(tag: str) -> dict[str, Identity]:
    """TRADER posts lots (no location registry needed), ADMIN approves, SERVICE holds."""
    out = {}
    for role in ("TRADER", "ADMIN", "SERVICE"):
        subject = f"{role.lower()}-{tag}"
        out[role] = Identity(role, subject, make_token(subject, [role], company=f"co-{tag}"))
    return out


def rpc_answers(address: str, who: Identity, method: str, request: Message) -> bool:
    """False when the RPC is not built yet (UNIMPLEMENTED); used to shape the load mix."""
    with grpc.insecure_channel(address) as channel:
        stub = getattr(api_grpc.AvailabilityServiceStub(channel), method)
        streaming = method.startswith("Watch")
        try:
            reply = stub(request, metadata=who.metadata, timeout=1.0 if streaming else 5.0)
            if streaming:  # the first message, or the stream's error, decides
                next(reply, None)
        except grpc.RpcError as err:
            return err.code() != grpc.StatusCode.UNIMPLEMENTED
    return True


@dataclass
class LoadState:
    """What the clients believe exists, from acknowledged answers only."""

    drafts: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class MixedLoad:
    """Worker threads sending a random mix of mutations until stopped."""

    def __init__(
        self,
        address: str,
        who: dict[str, Identity],
        *,
        holds: bool,
        workers: int = 4,
        seed: int = 7,
    ) -> None:
        self.address = address
        self.who = who
        self.holds = holds
        self.state = LoadState()
        self.workers = workers
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(self.workers)
        ]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(CALL_TIMEOUT * 3)

    def _work(self, index: int) -> None:
        rng = random.Random(self.rng.random() + index)
        with grpc.insecure_channel(self.address) as channel:
            stub = api_grpc.AvailabilityServiceStub(channel)
            backoff = 0.1
            while not self._stop.is_set():
                sent = self._next_request(rng)
                self.send(stub, sent)
                if sent.outcome == "lost":
                    # The server is restarting: back off as a real client would, so a restart
                    # costs a handful of retries instead of hundreds.
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, 2.0)
                else:
                    backoff = 0.1

    def _pick(self, rng: random.Random, items: list[str]) -> str | None:
        with self.state.lock:
            return rng.choice(items) if items else None

    def _next_request(self, rng: random.Random) -> Sent:
        rid = uuid.uuid4().hex
        roll = rng.random()
        draft = self._pick(rng, self.state.drafts)
        lot = self._pick(rng, self.state.active)
        hold = self._pick(rng, self.state.holds) if self.holds else None
        if roll < 0.25 or (draft is None and lot is None):
            req: Message = api.CreateAvailabilityRequest(
                availability=cotton_lot(total_quantity=str(rng.randint(20, 200))), request_id=rid
            )
            return Sent("CreateAvailability", "TRADER", req, rid)
        if draft is not None and roll < 0.40:
            return Sent(
                "ApproveAvailability",
                "ADMIN",
                api.ApproveAvailabilityRequest(name=draft, request_id=rid),
                rid,
            )
        target = lot or draft
        if not self.holds or roll < 0.55 or lot is None:
            change = cotton_lot(name=target, description=f"revised {rid[:8]}")
            req = api.UpdateAvailabilityRequest(
                availability=change,
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                request_id=rid,
            )
            return Sent("UpdateAvailability", "TRADER", req, rid)
        if hold is None or roll < 0.75:
            req = api.ReserveAvailabilityRequest(
                name=lot,
                quantity=str(rng.randint(1, 5)),
                buyer_id=f"buyer-{rng.randint(1, 3)}",
                negotiation_id=f"neg-{rid[:6]}",
                request_id=rid,
            )
            return Sent("ReserveAvailability", "SERVICE", req, rid)
        if roll < 0.88:
            return Sent(
                "ReleaseReservation",
                "SERVICE",
                api.ReleaseReservationRequest(name=hold, reason="load test", request_id=rid),
                rid,
            )
        return Sent(
            "MarkSold",
            "SERVICE",
            api.MarkSoldRequest(name=hold, trade_id=f"trade-{rid[:6]}", request_id=rid),
            rid,
        )

    # -- sending and bookkeeping ------------------------------------------------------------
    def send(self, stub: Any, sent: Sent, record: bool = True) -> Sent:
        call: Callable[..., Any] = getattr(stub, sent.method)
        try:
            reply = call(sent.request, metadata=self.who[sent.role].metadata, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            code = err.code()
            sent.code = code.name
            sent.outcome = "lost" if code in UNKNOWN_OUTCOME else "rejected"
            if code in FORBIDDEN:
                with self.state.lock:
                    self.state.forbidden.append(f"{sent.method}: {code.name} {err.details()}")
        else:
            sent.outcome, sent.code = "acked", "OK"
            sent.revision = reply.availability.revision
            sent.lot = reply.availability.name
            self._learn(sent.method, reply)
        if record:
            with self.state.lock:
                self.state.sent.append(sent)
        return sent

    def _learn(self, method: str, reply: Any) -> None:
        name = reply.availability.name
        with self.state.lock:
            s = self.state
            if method == "CreateAvailability":
                s.drafts.append(name)
            elif method == "ApproveAvailability":
                if name in s.drafts:
                    s.drafts.remove(name)
                s.active.append(name)
            elif method == "ReserveAvailability":
                s.holds.append(reply.reservation.name)
            elif method in ("ReleaseReservation", "MarkSold") and reply.reservation.name in s.holds:
                s.holds.remove(reply.reservation.name)

    def replay_lost(self) -> list[tuple[Sent, Sent, Sent]]:
        """Retries every lost request twice with its request_id: (original, first, second)."""
        with self.state.lock:
            lost = [s for s in self.state.sent if s.outcome == "lost"]
        out = []
        with grpc.insecure_channel(self.address) as channel:
            stub = api_grpc.AvailabilityServiceStub(channel)
            for original in lost:
                first = self.send(
                    stub,
                    Sent(original.method, original.role, original.request, original.request_id),
                    record=False,
                )
                second = self.send(
                    stub,
                    Sent(original.method, original.role, original.request, original.request_id),
                    record=False,
                )
                out.append((original, first, second))
        return out

    def count(self, outcome: str) -> int:
        with self.state.lock:
            return sum(1 for s in self.state.sent if s.outcome == outcome)
