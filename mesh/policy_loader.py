"""Istio YAML (one resource per file) into checked resources, or every reason it cannot be.

Used at start for the top-level files of MESH_POLICY_DIR and by the admin API
for a PUT body: the same rules in both places.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mesh.destination_rule_loader import read_destination_rule
from mesh.policy_fields import UNSUPPORTED, Fields, PolicyError
from mesh.policy_model import (
    DESTINATION_RULE,
    VIRTUAL_SERVICE,
    DestinationRule,
    Resource,
    VirtualService,
)
from mesh.virtual_service_loader import read_virtual_service

API_VERSIONS = (
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
)
_REAL_ISTIO_ONLY = {
    "PeerAuthentication": "istio/kind/",
    "AuthorizationPolicy": "istio/kind/",
}


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key written twice in one mapping (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_resource(text: str, source: str) -> Resource:
    """One resource from YAML text; PolicyError naming ``source`` and each field otherwise."""
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_StrictLoader) if doc is not None]
    except yaml.YAMLError as error:
        raise PolicyError.at(source, [f"is not valid YAML: {_one_line(error)}"]) from None
    if len(documents) != 1:
        found = "no resource" if not documents else f"{len(documents)} resources"
        raise PolicyError.at(source, [f"must hold exactly one resource, found {found}"])
    return _read_resource(documents[0], source)


def load_file(path: Path) -> Resource:
    source = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError.at(source, [f"cannot be read: {error}"]) from None
    return load_resource(text, source)


def load_directory(folder: Path) -> list[Resource]:
    """Every top-level *.yaml file of ``folder``; subfolders hold files applied on demand."""
    if not folder.is_dir():
        raise PolicyError([f"{display_path(folder)}: is not a folder (MESH_POLICY_DIR)"])
    resources: list[Resource] = []
    messages: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            resources.append(load_file(path))
        except PolicyError as error:
            messages += error.messages
    if messages:
        raise PolicyError(messages)
    return resources


def display_path(path: Path) -> str:
    """The path as the person who started the proxy wrote it: relative to here when inside."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def _read_resource(document: Any, source: str) -> Resource:
    problems: list[str] = []
    top = Fields(document, "", problems)
    if problems:
        raise PolicyError.at(source, problems)
    api_version = top.string("apiVersion", required=True)
    kind = top.string("kind", required=True)
    if kind in _REAL_ISTIO_ONLY:
        raise PolicyError.at(
            source,
            [
                f"kind {kind} {UNSUPPORTED}: it is for real Istio only "
                f"and belongs in {_REAL_ISTIO_ONLY[kind]}, which the proxy does not read"
            ],
        )
    if kind is not None and kind not in (VIRTUAL_SERVICE, DESTINATION_RULE):
        top.problem("kind", f"{kind!r} {UNSUPPORTED} (supported: VirtualService, DestinationRule)")
    if api_version is not None and api_version not in API_VERSIONS:
        top.problem(
            "apiVersion", f"{api_version!r} {UNSUPPORTED} (supported: {', '.join(API_VERSIONS)})"
        )
    name, namespace = _read_metadata(top.mapping("metadata", required=True))
    spec = top.mapping("spec", required=True)
    top.finish({"status": "status is written by Istio, not by policy files"})
    resource: Resource | None = None
    if spec is not None and kind == VIRTUAL_SERVICE:
        hosts, routes = read_virtual_service(spec, name or "?")
        resource = VirtualService(
            kind=kind,
            name=name or "",
            namespace=namespace,
            source=source,
            manifest=document,
            hosts=hosts,
            routes=routes,
        )
    elif spec is not None and kind == DESTINATION_RULE:
        host, limits, outlier = read_destination_rule(spec)
        resource = DestinationRule(
            kind=kind,
            name=name or "",
            namespace=namespace,
            source=source,
            manifest=document,
            host=host or "",
            limits=limits,
            outlier=outlier,
        )
    if problems or resource is None:
        raise PolicyError.at(source, problems)
    return resource


def _read_metadata(metadata: Fields | None) -> tuple[str | None, str | None]:
    if metadata is None:
        return None, None
    name = metadata.string("name", required=True)
    namespace = metadata.string("namespace")
    metadata.string_map("labels")
    metadata.string_map("annotations")
    metadata.finish()
    if name is not None and not _is_dns_subdomain(name):
        metadata.problem(
            "name", f"{name!r} is not a valid Kubernetes name (lower case, digits, '-', '.')"
        )
    return name, namespace


def _is_dns_subdomain(name: str) -> bool:
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-.")
    return len(name) <= 253 and set(name) <= allowed and name[0].isalnum() and name[-1].isalnum()


def _one_line(error: yaml.YAMLError) -> str:
    return " ".join(str(error).split())


def summary(resource: Resource) -> Mapping[str, Any]:
    """How GET /admin/policies shows a resource: where it came from and what it says."""
    return {
        "kind": resource.kind,
        "name": resource.name,
        "namespace": resource.namespace,
        "source": resource.source,
        "spec": resource.manifest.get("spec"),
    }
