"""Every projection row in a canonical order, to compare live projections with a rebuild."""

from __future__ import annotations

import json
from typing import Any

from api.projections.tables import ALL_TABLES, PATHWAY_STATE, Table
from eventstore.connections import Connection

_JSON_COLUMNS = frozenset({"state", "facts"})


def _select(table: Table) -> str:
    columns = ", ".join(
        f"{c}::text AS {c}" if table is PATHWAY_STATE and c in _JSON_COLUMNS else c
        for c in table.columns
    )
    order = ", ".join(table.key)
    return f"SELECT {columns} FROM {table.qualified} ORDER BY {order}"  # noqa: S608 - constants


async def snapshot(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """All rows of every projection table (the projector's stored state included), key-ordered.

    Two snapshots are equal exactly when the projections hold the same content.
    """
    result: dict[str, list[dict[str, Any]]] = {}
    for table in ALL_TABLES:
        rows = await conn.fetch(_select(table))
        result[table.name] = [
            {
                key: json.loads(value) if key in _JSON_COLUMNS and table is PATHWAY_STATE else value
                for key, value in row.items()
            }
            for row in rows
        ]
    return result
