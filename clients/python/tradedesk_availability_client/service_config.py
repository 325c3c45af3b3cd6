"""The published gRPC service config (protos/.../availability_grpc_service_config.json,
shipped in the contract package): which methods are safe to retry, their retry policy, and
round_robin load balancing. The client reads its defaults from it instead of restating them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SERVICE = "tradedesk.availability.v1.AvailabilityService"
_RESOURCE = "availability_grpc_service_config.json"


def _seconds(duration: str) -> float:
    """A protobuf JSON duration such as "0.1s"."""
    return float(duration.removesuffix("s"))


@dataclass(frozen=True)
class ServiceConfig:
    text: str  # the JSON as published, handed to the channel as grpc.service_config
    retryable_methods: frozenset[str]  # method names, such as "GetAvailability"
    retry_policy: dict[str, Any]

    @property
    def max_attempts(self) -> int:
        return int(self.retry_policy["maxAttempts"])

    @property
    def initial_backoff(self) -> float:
        return _seconds(self.retry_policy["initialBackoff"])

    @property
    def max_backoff(self) -> float:
        return _seconds(self.retry_policy["maxBackoff"])

    @property
    def multiplier(self) -> float:
        return float(self.retry_policy["backoffMultiplier"])

    @property
    def retryable_codes(self) -> frozenset[str]:
        return frozenset(self.retry_policy["retryableStatusCodes"])


def parse_service_config(text: str) -> ServiceConfig:
    document = json.loads(text)
    methods: set[str] = set()
    policy: dict[str, Any] = {}
    for entry in document.get("methodConfig", []):
        if "retryPolicy" not in entry:
            continue
        policy = entry["retryPolicy"]
        methods.update(n["method"] for n in entry["name"] if n.get("service") == SERVICE)
    return ServiceConfig(text, frozenset(methods), policy)


@cache
def published_service_config() -> ServiceConfig:
    """The service config of the installed contract package."""
    text = resources.files("tradedesk.availability.v1").joinpath(_RESOURCE).read_text("utf-8")
    return parse_service_config(text)
