"""docker-compose.yml against the Compose Specification's JSON schema (in ../shared/schemas)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.deploy.compose_file import SCHEMA, compose


def test_the_compose_file_validates_against_the_compose_specification():
    if not SCHEMA.is_file():
        pytest.skip(f"the Compose Specification schema is absent ({SCHEMA.name} in ../shared)")
    schema = json.loads(SCHEMA.read_text())
    # The schema says draft-07 in a spelling ("...draft-07/schema", no "#") that jsonschema
    # does not recognise; name the draft rather than let it guess (and warn).
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, "\n".join(errors)


def test_every_long_running_service_has_a_healthcheck_and_waits_for_healthy_dependencies():
    services = compose()["services"]
    for name, service in services.items():
        one_shot = service.get("restart") == "no"
        assert one_shot or "healthcheck" in service, f"{name} has no healthcheck"
        for dependency, rule in service.get("depends_on", {}).items():
            wanted = (
                "service_completed_successfully"
                if services[dependency].get("restart") == "no"
                else "service_healthy"
            )
            assert rule == {"condition": wanted}, f"{name} -> {dependency}: {rule}"
