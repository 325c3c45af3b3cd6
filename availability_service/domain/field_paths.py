"""Storage columns -> contract field paths: the one place that knows how a lot is stored.

An event's `changed_fields` speak the contract (`base_price`, `available_quantity`,
`quality_params.staple_length`), not the columns the lot happens to be stored in. Columns
that one proto field is built from map to that field; a quality map names each key that
changed; every other column has the name of its proto field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Columns stored apart that the contract shows as one field.
_COLUMN_TO_PATH = {
    "base_price_amount": "base_price",
    "base_price_currency": "base_price",
    "latitude": "delivery_location",
    "longitude": "delivery_location",
    "id": "name",
}
# Map-valued columns: a change names the map key, as an AIP-161 field path does.
_MAPS = frozenset({"quality_params", "normalized_quality_params"})


def _map_keys(before: Any, after: Any) -> list[str]:
    old = before if isinstance(before, Mapping) else {}
    new = after if isinstance(after, Mapping) else {}
    return [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def field_paths(
    columns: Iterable[str],
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> list[str]:
    """The contract field paths of these changed columns, sorted and without repeats.

    With the snapshots before and after, a changed quality map names each changed key
    (`quality_params.staple_length`); without them, the map's own name.
    """
    paths: set[str] = set()
    for column in columns:
        if column in _MAPS and before is not None and after is not None:
            keys = _map_keys(before.get(column), after.get(column))
            paths.update(f"{column}.{key}" for key in keys)
            if keys:
                continue
        paths.add(_COLUMN_TO_PATH.get(column, column))
    return sorted(paths)
