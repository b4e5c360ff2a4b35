"""SQLAlchemy describes the tables and builds each statement once; psycopg runs it.

Why not execute through SQLAlchemy: on the project's 2-core machines its
per-execution work (result processing, execution context, the asyncio greenlet
hop) cost about 100 us of CPU per statement, over half the monolith's CPU per
order (measured with `make bench`). Tables, schema creation and statement
building stay SQLAlchemy's; execution and pooling are psycopg's own.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable

_DIALECT = postgresql.psycopg.dialect()


def compile_sql(statement: Executable) -> str:
    """The statement as psycopg SQL with %(name)s placeholders, compiled once at import.

    Values written into the statement (`.values(status="X")`) become parameters that
    SQLAlchemy would fill in but psycopg never sees, so they are refused here: use
    bindparam() and pass the value when executing.
    """
    compiled = statement.compile(dialect=_DIALECT)
    embedded = sorted(name for name, value in compiled.params.items() if value is not None)
    if embedded:
        raise ValueError(f"values {embedded} are embedded in the statement; use bindparam()")
    return str(compiled)


def psycopg_conninfo(database_url: str) -> str:
    """DATABASE_URL is a SQLAlchemy URL (postgresql+psycopg://...); psycopg wants plain libpq."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
