"""The use-case objects the servicer calls: built by the composition root (app.py).

A module of its own, low in the import graph, so that the composition root and grpc_api both
import it and neither imports the other's module for the type.
"""

from __future__ import annotations

from dataclasses import dataclass

from availability_service.service_layer.commodities import CommodityService
from availability_service.service_layer.holds import HoldService
from availability_service.service_layer.insight import InsightService
from availability_service.service_layer.locations import LocationService
from availability_service.service_layer.lots import LotService
from availability_service.service_layer.search import SearchService
from availability_service.watch.history import HistoryService


@dataclass
class Services:
    """The use-case objects the servicer calls, one per feature area."""

    lots: LotService
    locations: LocationService
    holds: HoldService
    search: SearchService
    insight: InsightService
    history: HistoryService
    commodities: CommodityService
