"""Page iterators: follow next_page_token until the last page (AIP-158)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Item = TypeVar("Item")


def iter_pages(
    fetch: Callable[[str], Any], items: Callable[[Any], Iterable[Item]]
) -> Iterator[Item]:
    """Yield every item of every page; each page is one call (retried like any call)."""
    token = ""
    while True:
        page = fetch(token)
        yield from items(page)
        token = page.next_page_token
        if not token:
            return
