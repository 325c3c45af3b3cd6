"""Lots from files: YAML or JSON documents and CSV rows, shaped like the Availability message.

Keys are proto field names (snake_case, or the camelCase JSON names). Numbers given for
decimal-string fields (total_quantity: 100) and dates parsed by YAML are accepted as such.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from tradedesk.availability.v1 import resources_pb2 as pb

_NUMBER_WITH_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([^\d\s].*)?$")
_LIST_SEPARATOR = "|"


def load_documents(path: str) -> list[dict[str, Any]]:
    """One lot or a list of lots from a .yaml/.yml/.json file ("-" reads JSON/YAML stdin)."""
    import sys

    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    docs = data if isinstance(data, list) else [data]
    if not all(isinstance(d, dict) for d in docs):
        raise ValueError(f"{path}: expected a mapping or a list of mappings")
    return docs


def to_availability(data: Mapping[str, Any]) -> pb.Availability:
    """A dict shaped like Availability -> the message (ParseError names the bad field)."""
    return json_format.ParseDict(_coerce(dict(data), pb.Availability.DESCRIPTOR), pb.Availability())


def _coerce(data: dict[str, Any], descriptor: Descriptor) -> dict[str, Any]:
    fields = {**descriptor.fields_by_name, **{f.json_name: f for f in descriptor.fields}}
    out: dict[str, Any] = {}
    for key, value in data.items():
        fd = fields.get(key)
        out[key] = value if fd is None else _coerce_value(value, fd)
    return out


def _coerce_value(value: Any, fd: FieldDescriptor) -> Any:
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        value_fd = fd.message_type.fields_by_name["value"]
        return {k: _coerce_value(v, value_fd) for k, v in (value or {}).items()}
    if _repeated(fd) and isinstance(value, list):
        return [_coerce_scalar(v, fd) for v in value]
    return _coerce_scalar(value, fd)


def _coerce_scalar(value: Any, fd: FieldDescriptor) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if fd.message_type is not None:
        if fd.message_type.full_name == "tradedesk.availability.v1.QualityValue":
            return _quality_value(value)
        if isinstance(value, dict):
            return _coerce(value, fd.message_type)
        return value
    if (
        fd.type == FieldDescriptor.TYPE_STRING
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return str(value)
    return value


def _repeated(fd: FieldDescriptor) -> bool:
    # protobuf 7 dropped FieldDescriptor.label; older runtimes lack is_repeated.
    if hasattr(fd, "is_repeated"):
        return bool(fd.is_repeated)
    return bool(fd.label == FieldDescriptor.LABEL_REPEATED)


def _quality_value(value: Any) -> Any:
    """29, "29 mm" or "41-4" -> a QualityValue dict; a dict is taken as it is."""
    if isinstance(value, dict):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"number": float(value)}
    match = _NUMBER_WITH_UNIT.match(str(value))
    if match:
        number = {"number": float(match.group(1))}
        return {**number, "unit": match.group(2).strip()} if match.group(2) else number
    return {"text": str(value)}


def row_to_document(row: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row -> a lot document. Columns are field names; dots nest (base_price.amount,
    delivery_location.latitude); quality.NAME sets quality_params[NAME] ("29 mm", "4.1",
    "41-4"); repeated fields take "|"-separated values; empty cells are left unset."""
    doc: dict[str, Any] = {}
    repeated = {f.name for f in pb.Availability.DESCRIPTOR.fields if _repeated(f)}
    for column, raw in row.items():
        if column is None or raw is None or not str(raw).strip():
            continue
        cell = str(raw).strip()
        key = column.strip()
        if key.startswith("quality."):
            doc.setdefault("quality_params", {})[key.removeprefix("quality.")] = cell
            continue
        path = key.split(".")
        target = doc
        for part in path[:-1]:
            target = target.setdefault(part, {})
        leaf: Any = cell
        if len(path) == 1 and key in repeated:
            leaf = [v.strip() for v in cell.split(_LIST_SEPARATOR) if v.strip()]
        elif key.startswith("delivery_location."):
            leaf = float(cell)
        target[path[-1]] = leaf
    return doc
