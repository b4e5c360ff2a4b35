"""The policy loader: what it understands, and how it refuses the rest (file and field path)."""

from __future__ import annotations

import pytest
import yaml

from mesh.durations import parse_duration
from mesh.policy_fields import PolicyError
from mesh.policy_loader import load_directory, load_resource
from mesh.policy_model import ISTIO_DEFAULT_RETRY, DestinationRule, VirtualService
from mesh.policy_set import PolicySet

HOSTS = ("order", "inventory", "payment", "fulfillment", "notification")
SOURCE = "istio/virtual-service-payment.yaml"

ARTICLE_DESTINATION_RULE = """
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: payment-service-retries
spec:
  host: payment
  trafficPolicy:
    outlierDetection:
      consecutiveErrors: 3
      interval: 30s
      baseEjectionTime: 30s
    connectionPool:
      tcp:
        maxConnections: 100
      http:
        http1MaxPendingRequests: 50
        maxRequestsPerConnection: 10
        retryPolicy:
          attempts: 3
          perTryTimeout: 5s
"""


def virtual_service(**route_fields) -> dict:
    route = {
        "name": "payment",
        "route": [{"destination": {"host": "payment", "port": {"number": 8080}}}],
        **route_fields,
    }
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "payment", "namespace": "shop-distributed"},
        "spec": {"hosts": ["payment"], "http": [route]},
    }


def load(document: dict, source: str = SOURCE):
    return load_resource(yaml.safe_dump(document), source)


def refusal(document: dict | str, source: str = SOURCE) -> str:
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    with pytest.raises(PolicyError) as caught:
        load_resource(text, source)
    return str(caught.value)


def test_a_baseline_route_is_read_with_its_retry_policy():
    resource = load(
        virtual_service(
            retries={"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx,gateway-error,reset"}
        )
    )

    assert isinstance(resource, VirtualService)
    (route,) = resource.routes
    assert (route.label, route.destination, route.timeout_s) == ("payment/payment", "payment", None)
    assert route.retry.retries == 3
    assert route.retry.per_try_timeout_s == 5.0
    assert route.retry.retry_on == {"5xx", "gateway-error", "reset"}


def test_a_route_without_retries_gets_istios_default_retry_policy():
    (route,) = load(virtual_service()).routes

    assert route.retry == ISTIO_DEFAULT_RETRY
    assert route.retry.retries == 2


def test_attempts_zero_switches_retries_off():
    (route,) = load(virtual_service(retries={"attempts": 0})).routes

    assert route.retry.retries == 0


def test_status_codes_in_retry_on_become_retriable_status_codes():
    (route,) = load(
        virtual_service(retries={"attempts": 2, "retryOn": "connect-failure,503,504"})
    ).routes

    assert route.retry.retriable_status_codes == {503, 504}
    assert route.retry.retry_on == {"connect-failure", "retriable-status-codes"}


def test_an_unnamed_route_is_labelled_by_its_index():
    document = virtual_service()
    del document["spec"]["http"][0]["name"]

    assert load(document).routes[0].label == "payment/0"


def test_a_long_host_name_is_the_same_istio_host_as_its_first_label():
    document = virtual_service()
    document["spec"]["hosts"] = ["payment.shop-distributed.svc.cluster.local"]

    assert load(document).hosts == ("payment",)


def test_an_unsupported_route_field_is_refused_with_the_file_and_field_path():
    message = refusal(virtual_service(mirror={"host": "payment"}))

    assert message.startswith(
        f"{SOURCE}: spec.http[0].mirror is not supported by the local mesh proxy"
    )


def test_a_header_match_is_refused_with_its_path():
    message = refusal(virtual_service(match=[{"headers": {"version": {"exact": "v1"}}}]))

    assert "spec.http[0].match[0].headers is not supported by the local mesh proxy" in message


def test_a_regex_uri_match_is_refused():
    message = refusal(virtual_service(match=[{"uri": {"regex": "/charges/.*"}}]))

    assert "spec.http[0].match[0].uri.regex is not supported" in message


def test_traffic_splitting_is_refused():
    document = virtual_service()
    document["spec"]["http"][0]["route"][0]["weight"] = 50

    assert "spec.http[0].route[0].weight is not supported" in refusal(document)


def test_an_unknown_retry_condition_is_refused_as_istio_refuses_it():
    message = refusal(virtual_service(retries={"attempts": 2, "retryOn": "5xx,sometimes"}))

    assert (
        "spec.http[0].retries.retryOn condition 'sometimes' is not a valid retryOn policy"
        in message
    )


def test_a_retry_condition_the_proxy_does_not_implement_is_refused():
    message = refusal(virtual_service(retries={"attempts": 2, "retryOn": "retriable-4xx"}))

    assert "condition 'retriable-4xx' is not supported by the local mesh proxy" in message


def test_retriable_status_codes_without_codes_is_refused_because_it_retries_nothing():
    message = refusal(virtual_service(retries={"attempts": 2, "retryOn": "retriable-status-codes"}))

    assert "without any status code" in message


def test_a_retry_policy_on_a_route_whose_retries_are_off_is_refused():
    message = refusal(virtual_service(retries={"attempts": 0, "perTryTimeout": "1s"}))

    assert "spec.http[0].retries sets a retry policy while attempts is 0" in message


def test_attempts_written_as_a_word_is_refused():
    message = refusal(virtual_service(retries={"attempts": "three"}))

    assert "spec.http[0].retries.attempts must be a whole number, got 'three'" in message


def test_a_fault_without_a_percentage_is_refused_rather_than_guessed():
    message = refusal(virtual_service(fault={"abort": {"httpStatus": 503}}))

    assert "spec.http[0].fault.abort.percentage is required" in message


def test_a_fault_is_read_with_its_percentages():
    fault = {
        "delay": {"fixedDelay": "7s", "percentage": {"value": 100}},
        "abort": {"httpStatus": 503, "percentage": {"value": 12.5}},
    }
    (route,) = load(virtual_service(fault=fault)).routes

    assert (route.fault.delay_s, route.fault.delay_percent) == (7.0, 100.0)
    assert (route.fault.abort_status, route.fault.abort_percent) == (503, 12.5)


def test_a_route_with_a_fault_has_no_timeout_and_no_retries_in_effect():
    route_fields = {
        "timeout": "2s",
        "retries": {"attempts": 3, "retryOn": "5xx"},
        "fault": {"abort": {"httpStatus": 503, "percentage": {"value": 100}}},
    }
    (route,) = load(virtual_service(**route_fields)).routes

    assert route.timeout_s == 2.0 and route.retry.retries == 3
    assert route.effective_timeout_s is None
    assert route.effective_retry.retries == 0


def test_the_seed_articles_destination_rule_is_refused_saying_where_each_setting_belongs():
    message = refusal(ARTICLE_DESTINATION_RULE, "istio/destination-rule-payment.yaml")

    assert (
        "istio/destination-rule-payment.yaml: spec.trafficPolicy.connectionPool.http.retryPolicy "
        "is not supported by the local mesh proxy: retries belong in a VirtualService route"
    ) in message
    assert (
        "istio/destination-rule-payment.yaml: "
        "spec.trafficPolicy.outlierDetection.consecutiveErrors is not supported by the "
        "local mesh proxy: consecutiveErrors was replaced by consecutive5xxErrors"
    ) in message


def test_a_destination_rule_is_read_with_envoys_defaults_for_what_it_leaves_out():
    document = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "payment"},
        "spec": {
            "host": "payment",
            "trafficPolicy": {
                "connectionPool": {"tcp": {"maxConnections": 2}},
                "outlierDetection": {"consecutive5xxErrors": 3, "baseEjectionTime": "1m"},
            },
        },
    }
    rule = load(document)

    assert isinstance(rule, DestinationRule)
    assert rule.limits.max_connections == 2 and rule.limits.max_pending_requests is None
    assert rule.outlier.consecutive_5xx == 3
    assert rule.outlier.base_ejection_s == 60.0
    assert rule.outlier.interval_s == 10.0
    assert rule.outlier.max_ejection_percent == 10


def test_a_kind_for_real_istio_only_is_refused_pointing_at_istio_kind():
    document = {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "default"},
        "spec": {"mtls": {"mode": "STRICT"}},
    }

    assert "belongs in istio/kind/" in refusal(document)


def test_two_resources_in_one_file_are_refused():
    text = yaml.safe_dump(virtual_service()) + "---\n" + yaml.safe_dump(virtual_service())

    assert "must hold exactly one resource, found 2 resources" in refusal(text)


def test_a_key_written_twice_is_refused_instead_of_keeping_the_last():
    text = yaml.safe_dump(virtual_service()) + "kind: DestinationRule\n"

    assert "written twice" in refusal(text)


def test_an_unknown_api_version_is_refused():
    document = virtual_service()
    document["apiVersion"] = "networking.istio.io/v2"

    assert "apiVersion 'networking.istio.io/v2' is not supported" in refusal(document)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("250ms", 0.25), ("1.5s", 1.5), ("1m", 60.0), ("1h30m", 5400.0), ("1ms", 0.001)],
)
def test_durations_are_read_as_istio_writes_them(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5", "0s", "-1s", "fast", "", "5 s", "100us"])
def test_durations_below_a_millisecond_or_without_a_unit_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_destination_the_mesh_has_no_upstream_for_is_refused():
    document = virtual_service()
    document["spec"]["http"][0]["route"][0]["destination"]["host"] = "payments"

    with pytest.raises(PolicyError, match="'payments' has no upstream in MESH_UPSTREAMS"):
        PolicySet.build([load(document)], HOSTS)


def test_two_virtual_services_for_one_host_are_refused():
    first = load(virtual_service())
    second_document = virtual_service()
    second_document["metadata"]["name"] = "payment-too"
    second = load(second_document, "istio/virtual-service-payment-too.yaml")

    with pytest.raises(PolicyError, match="already routed by VirtualService 'payment'"):
        PolicySet.build([first, second], HOSTS)


def test_applying_a_resource_with_a_taken_name_replaces_it_like_kubectl_apply():
    policies = PolicySet.build([load(virtual_service())], HOSTS)
    scenario = load(virtual_service(retries={"attempts": 0}), "scenarios/x.yaml")

    replaced, action = policies.applying(scenario)

    assert action == "configured"
    assert replaced.virtual_service_for("payment").source == "scenarios/x.yaml"
    assert len(replaced.resources) == 1


def test_a_folder_is_read_at_the_top_level_only_and_every_bad_file_is_named(tmp_path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(virtual_service()))
    (tmp_path / "bad-one.yaml").write_text(yaml.safe_dump(virtual_service(mirror={})))
    (tmp_path / "bad-two.yaml").write_text("kind: [")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "ignored.yaml").write_text("not: read")

    with pytest.raises(PolicyError) as caught:
        load_directory(tmp_path)

    assert [m.split(":")[0].rsplit("/", 1)[-1] for m in caught.value.messages] == [
        "bad-one.yaml",
        "bad-two.yaml",
    ]
