"""Every file in istio/ is valid for real Istio (its CRD schemas); top-level ones for the proxy too.

The CRDs' OpenAPI schemas are turned into JSON Schema the way the Kubernetes
API server reads them: unknown fields are refused (kubectl's strict field
validation), `nullable` admits null, int-or-string admits both, and the CEL
rule Istio puts on every duration (`duration(self) >= duration('1ms')`) is
checked; other CEL rules are not evaluated here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mesh.durations import parse_duration
from mesh.policy_loader import load_file

ROOT = Path(__file__).resolve().parents[2]
ISTIO = ROOT / "istio"
CRDS = ROOT.parent / "shared" / "schemas" / "istio-crds.yaml"
DURATION_RULE = "duration(self) >= duration('1ms')"

ALL_FILES = sorted(ISTIO.rglob("*.yaml"))
TOP_LEVEL_FILES = sorted(ISTIO.glob("*.yaml"))


def _kubernetes_view(schema: Any) -> Any:
    """An openAPIV3Schema node as plain JSON Schema with the API server's semantics."""
    if isinstance(schema, list):
        return [_kubernetes_view(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        key: _kubernetes_view(value)
        for key, value in schema.items()
        if key != "description"
        and not (key.startswith("x-kubernetes-") and key != "x-kubernetes-validations")
    }
    if schema.get("x-kubernetes-int-or-string"):
        converted.pop("type", None)
        converted["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    if (
        "properties" in converted
        and "additionalProperties" not in converted
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        converted["additionalProperties"] = False
    return converted


def _check_cel_rules(validator, rules, instance, schema) -> Iterator[jsonschema.ValidationError]:
    for rule in rules:
        if rule.get("rule") == DURATION_RULE and isinstance(instance, str):
            try:
                parse_duration(instance)
            except ValueError:
                yield jsonschema.ValidationError(f"{instance!r}: {rule.get('message')}")


_KubernetesValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator, {"x-kubernetes-validations": _check_cel_rules}
)


def _object_schema(version_schema: dict[str, Any]) -> dict[str, Any]:
    schema = _kubernetes_view(version_schema)
    schema["properties"] = {
        **schema.get("properties", {}),
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["name"],
            "additionalProperties": False,
        },
    }
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    schema["additionalProperties"] = False
    return schema


@pytest.fixture(scope="module")
def schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> JSON Schema, for every version of every Istio CRD."""
    if not CRDS.is_file():
        pytest.skip(
            f"{CRDS} is absent: the Istio CRD schemas live in the shared folder beside the project"
        )
    found = {}
    for crd in yaml.safe_load_all(CRDS.read_text()):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            found[(f"{group}/{version['name']}", kind)] = _object_schema(schema)
    return found


def schema_problems(document: dict[str, Any], schemas) -> list[str]:
    key = (document.get("apiVersion"), document.get("kind"))
    if key not in schemas:
        return [f"no CRD schema for apiVersion {key[0]} kind {key[1]}"]
    validator = _KubernetesValidator(schemas[key])
    return [
        f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_istio_folder_has_the_baseline_scenarios_and_kind_only_files():
    names = {path.relative_to(ISTIO).as_posix() for path in ALL_FILES}

    assert "virtual-service-payment.yaml" in names
    assert "destination-rule-payment.yaml" in names
    assert "scenarios/virtual-service-payment-delay.yaml" in names
    assert "kind/peer-authentication-strict.yaml" in names


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(ISTIO).as_posix())
def test_every_istio_file_validates_against_its_crd_schema(path, schemas):
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]

    assert len(documents) == 1, "one resource per file"
    assert schema_problems(documents[0], schemas) == []


@pytest.mark.parametrize("path", TOP_LEVEL_FILES, ids=lambda p: p.name)
def test_every_top_level_file_is_accepted_by_the_proxy_loader(path):
    resource = load_file(path)

    assert resource.name


def _baseline_payment_route() -> dict[str, Any]:
    return yaml.safe_load((ISTIO / "virtual-service-payment.yaml").read_text())


def test_the_schema_check_refuses_attempts_written_as_a_word(schemas):
    document = _baseline_payment_route()
    document["spec"]["http"][0]["retries"]["attempts"] = "three"

    assert any("attempts" in problem for problem in schema_problems(document, schemas))


def test_the_schema_check_refuses_a_misspelled_field(schemas):
    document = _baseline_payment_route()
    document["spec"]["http"][0]["retrys"] = document["spec"]["http"][0].pop("retries")

    assert any("retrys" in problem for problem in schema_problems(document, schemas))


def test_the_schema_check_refuses_a_uri_match_with_two_kinds_of_match(schemas):
    document = _baseline_payment_route()
    document["spec"]["http"][0]["match"] = [{"uri": {"exact": "/charges", "prefix": "/"}}]

    assert any("match" in problem for problem in schema_problems(document, schemas))


def test_the_schema_check_refuses_a_duration_without_a_unit(schemas):
    document = _baseline_payment_route()
    document["spec"]["http"][0]["retries"]["perTryTimeout"] = "5"

    assert any("perTryTimeout" in problem for problem in schema_problems(document, schemas))


def test_the_schema_check_refuses_the_seed_articles_retry_policy_in_a_destination_rule(schemas):
    document = yaml.safe_load((ISTIO / "destination-rule-payment.yaml").read_text())
    document["spec"]["trafficPolicy"]["connectionPool"]["http"]["retryPolicy"] = {"attempts": 3}

    assert any("retryPolicy" in problem for problem in schema_problems(document, schemas))
