"""`shopdemo audit` without a stack: where it connects, and the errors it gives (exit code 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopdemo import cli
from shopdemo.audit.launcher import known_password, postgres_address
from shopdemo.audit.snapshot import AuditError
from shopdemo.config import LauncherConfig
from shopdemo.ports import free_port
from shopdemo.state import StackState


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty launcher home, a PostgreSQL port nothing listens on, no external server."""
    monkeypatch.setenv("SHOPDEMO_HOME", str(tmp_path))
    monkeypatch.setenv("SHOPDEMO_PG_PORT", str(free_port()))
    monkeypatch.delenv("SHOPDEMO_PG_ADMIN_URL", raising=False)
    return tmp_path


def write_credentials(home: Path, *databases: str) -> None:
    (home / "credentials.json").write_text(json.dumps({db: "secret" for db in databases}))


def test_with_no_running_variant_and_none_named_the_audit_says_what_to_do(home, capsys):
    assert cli.main(["audit"]) == 1
    error = capsys.readouterr().err
    assert "no variant is running" in error
    assert "--variant" in error


def test_a_database_the_launcher_never_created_is_an_error_that_names_it(home, capsys):
    write_credentials(home, "dist_order")
    assert cli.main(["audit", "--variant", "monolith"]) == 1
    error = capsys.readouterr().err
    assert "audit of monolith" in error
    assert "'monolith'" in error
    assert "has not created it" in error


def test_an_unreachable_postgresql_is_an_error_that_names_the_database(home, capsys):
    write_credentials(home, "monolith")
    assert cli.main(["audit", "--variant", "monolith", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read database 'monolith'" in captured.err
    assert "shows whether the stack's PostgreSQL runs" in captured.err


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_a_negative_or_not_a_number_pending_threshold_is_refused(home, capsys, value):
    assert cli.main(["audit", "--variant", "monolith", "--pending-after", value]) == 1
    assert "--pending-after" in capsys.readouterr().err


def test_the_audit_never_makes_up_a_password_for_a_database_it_does_not_know(home):
    config = LauncherConfig.from_env()
    with pytest.raises(AuditError, match="ev_order"):
        known_password(config, "ev_order")
    assert not config.credentials_file.exists()


def test_postgresql_is_found_where_the_state_file_recorded_it(home):
    config = LauncherConfig.from_env()
    StackState(postgres={"mode": "embedded", "host": "127.0.0.2", "port": 6543}).save(
        config.state_file
    )
    assert postgres_address(config) == ("127.0.0.2", 6543)


def test_without_a_recorded_server_postgresql_is_where_the_launcher_config_puts_it(home):
    config = LauncherConfig.from_env()
    assert postgres_address(config) == (config.host, config.pg_port)


def test_an_external_server_named_by_the_environment_comes_first(home, monkeypatch):
    monkeypatch.setenv("SHOPDEMO_PG_ADMIN_URL", "postgresql://admin:pw@db.example:5433/postgres")
    config = LauncherConfig.from_env()
    StackState(postgres={"host": "127.0.0.2", "port": 6543}).save(config.state_file)
    assert postgres_address(config) == ("db.example", 5433)
