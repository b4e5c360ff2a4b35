"""The PostgreSQL init script creates every database the compose file's units connect to."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.deploy.compose_file import INIT_SCRIPTS, environment, service_for, services
from tests.deploy.unit_environment import all_units

UNITS_WITH_DATABASE = [unit for unit in all_units() if unit.database is not None]


def _init_sql() -> str:
    scripts = sorted(INIT_SCRIPTS.glob("*.sql"))
    assert scripts, f"no .sql script in {INIT_SCRIPTS}"
    return "\n".join(path.read_text() for path in scripts)


@pytest.mark.parametrize("unit", UNITS_WITH_DATABASE, ids=lambda unit: unit.name)
def test_the_init_script_creates_the_units_database_and_role_with_its_password(unit):
    url = urlsplit(environment(service_for(unit))["DATABASE_URL"])
    database = url.path.lstrip("/")
    assert url.scheme == "postgresql+psycopg"
    assert (url.hostname, url.port) == ("postgres", 5432)
    # Named as shopdemo up names them: the role and the database share the unit's name.
    assert database == url.username == unit.database
    sql = _init_sql()
    role = rf"CREATE ROLE {url.username} LOGIN\b[^;]* PASSWORD '{re.escape(url.password)}';"
    assert re.search(role, sql), f"no role {url.username} with the URL's password"
    assert f"CREATE DATABASE {database} OWNER {url.username};" in sql
    # No unit's role may open another unit's database.
    assert f"REVOKE CONNECT ON DATABASE {database} FROM PUBLIC;" in sql


def test_the_init_script_is_mounted_where_the_postgres_image_runs_it():
    volumes = services()["postgres"]["volumes"]
    assert "./containers/postgres-init:/docker-entrypoint-initdb.d:ro" in volumes
