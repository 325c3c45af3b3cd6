"""ListCommodities: the loaded commodity catalog, ordered by code, in keyset pages.

The catalog is small (one YAML file, a handful of commodities of a few hundred bytes each),
so the default page holds all of it; paging is there so the RPC never needs to change shape
if the catalog grows past one message.
"""

from __future__ import annotations

from dataclasses import dataclass

from availability_service.intelligence import Catalog, Commodity
from availability_service.service_layer import paging

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class CommodityPage:
    commodities: list[Commodity]
    next_page_token: str
    catalog_version: int


class CommodityService:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def list(self, page_size: int, page_token: str) -> CommodityPage:
        """In memory, so the servicer calls it on the event loop (nothing here waits)."""
        size = paging.page_size(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        # A token is tied to the catalog version: a restart with a new catalog starts over.
        fp = paging.fingerprint("commodities", self.catalog.version)
        after = paging.decode_key(page_token, fp) or ""
        ordered = sorted((c for c in self.catalog if c.code > after), key=lambda c: c.code)
        page = ordered[:size]
        token = paging.encode_key(page[-1].code, fp) if len(ordered) > size else ""
        return CommodityPage(page, token, self.catalog.version)
