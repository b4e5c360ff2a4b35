"""Which route a request takes: the first match in its host's VirtualService, or the default."""

from __future__ import annotations

import yaml

from mesh.policy_loader import load_resource
from mesh.policy_model import ISTIO_DEFAULT_RETRY
from mesh.policy_set import PolicySet

HOSTS = ("order", "payment")
ORDER_SERVICE = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: order}
spec:
  hosts: [order.shop-distributed.svc.cluster.local]
  http:
    - name: one-order
      match:
        - uri: {prefix: /orders/}
          method: {exact: GET}
    - name: health
      match:
        - uri: {exact: /healthz}
        - uri: {exact: /readyz}
    - name: placing
      match:
        - uri: {exact: /orders}
          method: {exact: POST}
"""


def policies() -> PolicySet:
    document = yaml.safe_load(ORDER_SERVICE)
    for route in document["spec"]["http"]:
        route["route"] = [{"destination": {"host": "order"}}]
    return PolicySet.build([load_resource(yaml.safe_dump(document), "order.yaml")], HOSTS)


def route_name(method: str, path: str, host: str = "order") -> str | None:
    route = policies().route_for(host, method, path)
    return route.label if route else None


def test_a_prefix_and_method_match_picks_its_route():
    assert route_name("GET", "/orders/42") == "order/one-order"


def test_conditions_of_one_match_must_all_hold():
    assert route_name("DELETE", "/orders/42") is None


def test_any_match_of_a_route_is_enough():
    assert route_name("GET", "/readyz") == "order/health"


def test_an_exact_match_ignores_the_query_string():
    assert route_name("GET", "/healthz?verbose=1") == "order/health"


def test_an_exact_match_is_not_a_prefix_match():
    assert route_name("POST", "/orders/") is None
    assert route_name("POST", "/orders") == "order/placing"


def test_a_host_without_a_virtual_service_takes_istios_default_route():
    route = policies().route_for("payment", "POST", "/charges")

    assert route.label == "default/payment"
    assert route.destination == "payment"
    assert route.retry == ISTIO_DEFAULT_RETRY
    assert route.timeout_s is None


def test_a_route_without_match_takes_every_request():
    (route,) = load_resource(
        yaml.safe_dump(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": {"name": "payment"},
                "spec": {
                    "hosts": ["payment"],
                    "http": [{"route": [{"destination": {"host": "payment"}}]}],
                },
            }
        ),
        "payment.yaml",
    ).routes

    assert route.accepts("PATCH", "/anything?at=all")
