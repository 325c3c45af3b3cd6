"""What every `avail` command shares: the client built from the global options, and the
parsing of names and durations."""

from __future__ import annotations

from typing import Any

import click

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client.client import AvailabilityClient


def lot_name(value: str) -> str:
    """Accept a bare id as well as "availabilities/{id}"."""
    return value if "/" in value else f"availabilities/{value}"


def parse_ttl(value: str | None) -> float | None:
    """ "90s", "15m", "2h", "1d" or plain seconds."""
    if not value:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if value[-1] in units:
            return float(value[:-1]) * units[value[-1]]
        return float(value)
    except ValueError:
        raise click.BadParameter(f'{value!r}: use "90s", "15m", "2h", "1d"') from None


def parse_point(value: str, option: str) -> pb.LatLng:
    """ "22.3,70.8" -> a LatLng; anything else is a usage error naming the option."""
    lat, sep, lng = value.partition(",")
    try:
        if sep:
            return pb.LatLng(latitude=float(lat), longitude=float(lng))
    except ValueError:
        pass
    raise click.BadParameter(f"expected LAT,LNG, got {value!r}", param_hint=option)


def enum_names(enum: Any, prefix: str) -> list[str]:
    """Enum value names without their prefix and without the zero value."""
    return [v.name.removeprefix(prefix) for v in enum.values if v.number != 0]


class Context:
    """The connection settings; the client is made on first use (so --help needs none)."""

    def __init__(self, target: str, **options: Any) -> None:
        self.target = target
        self.options = options
        self._client: AvailabilityClient | None = None

    @property
    def client(self) -> AvailabilityClient:
        if self._client is None:
            self._client = AvailabilityClient(self.target, **self.options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


pass_ctx = click.make_pass_decorator(Context)
