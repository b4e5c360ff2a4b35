"""Every object `kubectl kustomize k8s` renders is valid for the cluster kind-up.sh creates.

Core Kubernetes objects are checked with kubernetes-validate, strictly (unknown fields
refused), against the schemas of the Kubernetes version of kind-up.sh's node image.
Istio's objects (the ingress Gateway and its route) are checked against Istio's CRD
schemas, as the files in istio/ are.
"""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from tests.deploy.k8s_manifests import (
    ISTIO_INSTALL,
    NAMESPACES,
    kubernetes_version,
    label,
    needs_kubectl,
    rendered,
)
from tests.unit.test_istio_files import CRDS, _object_schema, schema_problems

pytestmark = needs_kubectl

ISTIO_GROUPS = ("networking.istio.io/", "security.istio.io/")


def _is_istio(document) -> bool:
    return document["apiVersion"].startswith(ISTIO_GROUPS)


def _core_objects():
    return [o for o in rendered() if not _is_istio(o)]


@pytest.fixture(scope="module")
def istio_schemas():
    if not CRDS.is_file():
        pytest.skip(f"{CRDS} is absent: Istio's CRD schemas live in the shared folder")
    found = {}
    for crd in yaml.safe_load_all(CRDS.read_text()):
        if crd and crd.get("kind") == "CustomResourceDefinition":
            for version in crd["spec"]["versions"]:
                key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
                found[key] = _object_schema(version["schema"]["openAPIV3Schema"])
    return found


def test_the_validation_uses_a_kubernetes_version_that_kubernetes_validate_bundles():
    version = kubernetes_version()
    major_minor = ".".join(version.split(".")[:2])

    assert any(v.startswith(f"{major_minor}.") for v in kubernetes_validate.utils.all_versions())


def test_every_core_object_validates_strictly_against_the_kind_nodes_kubernetes_schemas():
    version = kubernetes_version()
    problems = []
    for document in _core_objects():
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{label(document)}: {error.message} at {list(error.path)}")

    assert len(_core_objects()) > 60
    assert problems == []


def test_every_istio_object_validates_against_istios_crd_schemas(istio_schemas):
    istio_objects = [o for o in rendered() if _is_istio(o)]

    assert {o["kind"] for o in istio_objects} == {"Gateway", "VirtualService"}
    for document in istio_objects:
        assert schema_problems(document, istio_schemas) == [], label(document)


def test_the_render_holds_one_namespace_per_variant_and_nothing_outside_them():
    namespaces = {o["metadata"]["name"] for o in rendered() if o["kind"] == "Namespace"}
    placed = {o["metadata"].get("namespace") for o in rendered() if o["kind"] != "Namespace"}

    assert namespaces == set(NAMESPACES.values())
    assert placed == namespaces


def test_only_the_distributed_namespace_is_labelled_for_istio_sidecar_injection():
    injected = {
        o["metadata"]["name"]
        for o in rendered()
        if o["kind"] == "Namespace" and o["metadata"]["labels"].get("istio-injection") == "enabled"
    }

    assert injected == {"shop-distributed"}


def test_the_istio_install_file_is_an_istio_operator_with_the_ingress_gateway():
    operator = yaml.safe_load(ISTIO_INSTALL.read_text())
    gateways = operator["spec"]["components"]["ingressGateways"]

    assert operator["kind"] == "IstioOperator"
    assert [g["name"] for g in gateways if g["enabled"]] == ["istio-ingressgateway"]
