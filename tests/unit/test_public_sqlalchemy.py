"""The service uses SQLAlchemy through its public API only, so any 2.x release can run it.

Private members change without notice between releases; the documented exceptions are the
Row accessors that carry an underscore only to stay clear of column names.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import Connection, CursorResult, Engine, Row, TextClause, TextualSelect
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeEngine

import availability_service

_ROW_API = {"_mapping", "_asdict", "_fields", "_t", "_tuple"}
_CLASSES = (
    Connection,
    Engine,
    CursorResult,
    Row,
    Dialect,
    Pool,
    TypeEngine,
    TextClause,
    TextualSelect,
)


def _private_names() -> set[str]:
    names = {
        n for cls in _CLASSES for n in dir(cls) if n.startswith("_") and not n.startswith("__")
    }
    return names - _ROW_API


def _private_uses(source: str) -> list[tuple[int, str]]:
    private = _private_names()
    return [
        (node.lineno, node.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in private
        and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
    ]


def test_no_module_calls_a_private_sqlalchemy_member() -> None:
    package = Path(availability_service.__file__).parent
    found = {
        str(path.relative_to(package)): uses
        for path in sorted(package.rglob("*.py"))
        if (uses := _private_uses(path.read_text()))
    }
    assert found == {}


def test_the_check_sees_a_private_call() -> None:
    assert _private_uses("conn._cursor_execute(cursor, sql, params)") == [(1, "_cursor_execute")]
