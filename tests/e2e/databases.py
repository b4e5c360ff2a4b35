"""Reading a unit's own database from a test, with the credentials the launcher made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row


def database_url(stack, database: str) -> str:
    passwords = json.loads((Path(stack.env["SHOPDEMO_HOME"]) / "credentials.json").read_text())
    port = stack.env["SHOPDEMO_PG_PORT"]
    return f"postgresql://{database}:{passwords[database]}@127.0.0.1:{port}/{database}"


def query(stack, database: str, statement: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(database_url(stack, database), row_factory=dict_row) as connection:
        return connection.execute(statement, params).fetchall()
