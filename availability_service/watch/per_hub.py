"""One helper object per watch hub (the standing-search index, the shared starts), made on
first use and dropped with its hub: a server owns one hub, and tests build many servers in
one process, so a module-level singleton would leak state between them."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from availability_service.watch.hub import WatchHub

T = TypeVar("T")


class PerHub(Generic[T]):
    """Calling it with a hub returns that hub's T, made by `make` the first time."""

    def __init__(self, make: Callable[[WatchHub], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[WatchHub, T] = weakref.WeakKeyDictionary()

    def __call__(self, hub: WatchHub) -> T:
        found = self._made.get(hub)
        if found is None:
            found = self._made[hub] = self._make(hub)
        return found
