"""Registered delivery locations: where a seller delivers from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Location:
    """A place a seller delivers from; field names are the column names."""

    location_id: str
    owner_id: str
    display_name: str
    latitude: float
    longitude: float
    region: str
    update_time: datetime | None = None
