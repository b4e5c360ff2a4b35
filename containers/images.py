"""The images `make smoke` needs, built on this machine because no registry can be pulled from.

A Debian bookworm root filesystem made with debootstrap becomes the base image;
on it, stand-ins carry the names the real files use (python:3.11-slim-bookworm,
postgres:18, apache/kafka:4.4.0), so that the Dockerfile and docker-compose.yml
run unchanged. The base image is kept between runs (debootstrap takes minutes);
the others are rebuilt every run, which podman's layer cache makes quick.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from containers.podman import PodmanError, environment, image_exists, podman

ROOT = Path(__file__).resolve().parents[1]
STAND_INS = Path(__file__).resolve().with_name("stand-ins")
BASE_IMAGE = "shopdemo-debian:bookworm"
PYTHON_IMAGE = "python:3.11-slim-bookworm"
POSTGRES_IMAGE = "postgres:18"
KAFKA_IMAGE = "apache/kafka:4.4.0"
SUITE = "bookworm"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
APT_SOURCES = Path("/etc/apt/sources.list.d")

Say = Callable[[str], None]


def debian_mirror(sources_dir: Path = APT_SOURCES) -> str:
    """The Debian mirror this machine's apt already uses for bookworm (read, never stored)."""
    for path in sorted(sources_dir.glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = _deb822_fields(stanza)
            if SUITE in fields.get("Suites", "").split() and fields.get("URIs"):
                return fields["URIs"].split()[0]
    for path in sorted(sources_dir.glob("*.list")):
        for line in path.read_text().splitlines():
            words = re.sub(r"\[[^]]*\]", "", line).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                return words[1]
    raise PodmanError(f"no apt source for Debian {SUITE} in {sources_dir}")


def _deb822_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def ensure_base_image(say: Say) -> None:
    """debootstrap --variant=minbase, imported into podman; skipped when the image exists."""
    if image_exists(BASE_IMAGE):
        say(f"{BASE_IMAGE}: already built, reused")
        return
    mirror = debian_mirror()
    say(f"{BASE_IMAGE}: debootstrap {SUITE} (minbase); this takes a few minutes once")
    scratch = Path(tempfile.mkdtemp(prefix="shopdemo-debootstrap-"))
    try:
        rootfs = scratch / "rootfs"
        _checked(["debootstrap", "--variant=minbase", SUITE, str(rootfs), mirror], "debootstrap")
        # The apt lists in the root filesystem are stale in any image built later: drop them.
        shutil.rmtree(rootfs / "var" / "lib" / "apt" / "lists", ignore_errors=True)
        (rootfs / "var" / "lib" / "apt" / "lists" / "partial").mkdir(parents=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            imported = subprocess.run(
                ["podman", "import", "--change", 'CMD ["bash"]', "-", BASE_IMAGE],
                stdin=tar.stdout,
                env=environment(),
                capture_output=True,
                text=True,
            )
        finally:
            assert tar.stdout is not None
            tar.stdout.close()
            tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise PodmanError(f"podman import failed: {imported.stderr.strip()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def build_stand_ins(say: Say, kafka_jars: Path) -> None:
    """The Python, PostgreSQL and Kafka stand-ins, in the order they build on each other."""
    _build(PYTHON_IMAGE, STAND_INS / "python", say)
    _build(POSTGRES_IMAGE, STAND_INS / "postgres", say, needs_registry=True)
    with tempfile.TemporaryDirectory(prefix="shopdemo-kafka-context-") as context:
        # The build context is the stand-in's files plus the broker's jars, copied from the
        # cache that the integration tests fill (brokers/kafka/pom.xml, shopdemo/kafka.py).
        shutil.copytree(STAND_INS / "kafka", context, dirs_exist_ok=True)
        libs = Path(context) / "libs"
        libs.mkdir()
        for jar in sorted(kafka_jars.glob("*.jar")):
            shutil.copy2(jar, libs / jar.name)
        _build(KAFKA_IMAGE, Path(context), say)


def build_app_image(image: str, say: Say) -> None:
    """The real Dockerfile, unchanged, from the repository root."""
    _build(image, ROOT, say, needs_registry=True, dockerfile=ROOT / "Dockerfile")


def registry_access(scratch: Path) -> list[str]:
    """What a build whose RUN uses pip needs here: the machine's CA bundle and pip told of it.

    A pip configuration file naming the bundle is mounted at /etc/pip.conf, which is what
    PIP_CERT would say: podman 4.3's `build --env` only writes a variable into the built
    image's configuration (RUN steps do not see it), and a build argument reaches RUN only
    where the Dockerfile declares it, which would put this machine's concern into the
    Dockerfile.
    """
    if not CA_BUNDLE.is_file():
        raise PodmanError(f"{CA_BUNDLE} is missing: pip inside a build could not verify TLS")
    pip_conf = scratch / "pip.conf"
    pip_conf.write_text(f"[global]\ncert = {CA_BUNDLE}\n")
    return [
        "--volume",
        f"{CA_BUNDLE.parent}:{CA_BUNDLE.parent}:ro",
        "--volume",
        f"{pip_conf}:/etc/pip.conf:ro",
    ]


def _build(
    image: str,
    context: Path,
    say: Say,
    needs_registry: bool = False,
    dockerfile: Path | None = None,
) -> None:
    dockerfile = dockerfile or context / "Containerfile"
    args = ["build", "--pull=never", "--layers", "-t", image, "-f", str(dockerfile)]
    say(f"{image}: podman build {context.name or context}")
    with tempfile.TemporaryDirectory(prefix="shopdemo-build-") as scratch:
        if needs_registry:
            args += registry_access(Path(scratch))
        podman(*args, str(context), timeout=1800)


def _checked(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip()[-3000:]
        raise PodmanError(f"{what} exited with {result.returncode}\n{tail}")
