#!/usr/bin/env bash
# Creates a kind cluster with Istio and runs the three shopdemo variants in it:
# see the README's "kind with Istio". Run from anywhere; running it again is harmless
# (the cluster is reused, the image rebuilt and everything re-applied).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER="shopdemo"
CONTEXT="kind-${CLUSTER}"
# The one image of every Python unit; the manifests name it with imagePullPolicy Never.
IMAGE="shopdemo:local"
# The Kubernetes version the manifests are validated against (tests/deploy/test_k8s_*).
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.33.1}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-600s}"

# The image archive handed to kind when the engine is podman; removed on any exit.
ARCHIVE=""
trap '[[ -z "$ARCHIVE" ]] || rm -f "$ARCHIVE"' EXIT

say() { printf '\n== %s\n' "$*"; }

check_tools() {
  local missing=()
  local tool
  for tool in kind kubectl istioctl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then
    ENGINE=podman
    # kind needs to be told to drive podman rather than docker.
    export KIND_EXPERIMENTAL_PROVIDER=podman
  else
    missing+=("docker or podman (with a running engine)")
  fi
  if ((${#missing[@]} > 0)); then
    printf 'kind-up: missing: %s\n' "${missing[@]}" >&2
    echo "kind-up: install them and run again (the README's \"kind with Istio\" lists them)." >&2
    exit 1
  fi
}

create_cluster() {
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    say "cluster $CLUSTER exists; reusing it"
  else
    say "creating the kind cluster $CLUSTER ($KIND_NODE_IMAGE)"
    kind create cluster --name "$CLUSTER" --image "$KIND_NODE_IMAGE" \
      --config "$ROOT/k8s/kind-cluster.yaml" --wait 120s
  fi
}

install_istio() {
  say "installing Istio (minimal profile and the ingress gateway)"
  istioctl install --context "$CONTEXT" --skip-confirmation -f "$ROOT/k8s/istio-install.yaml"
}

build_and_load_image() {
  say "building $IMAGE with $ENGINE and loading it into the cluster"
  "$ENGINE" build --tag "$IMAGE" --file "$ROOT/Dockerfile" "$ROOT"
  if [[ "$ENGINE" == docker ]]; then
    kind load docker-image "$IMAGE" --name "$CLUSTER"
  else
    # kind cannot read podman's image store; hand it an archive instead.
    ARCHIVE="$(mktemp --suffix=.tar)"
    podman save --output "$ARCHIVE" "$IMAGE"
    kind load image-archive "$ARCHIVE" --name "$CLUSTER"
  fi
}

apply_manifests() {
  say "applying k8s/ (namespaces, databases, Kafka, the three variants)"
  kubectl --context "$CONTEXT" apply -k "$ROOT/k8s"
  # Already in the manifests; said again so that a namespace created by hand gets it too.
  kubectl --context "$CONTEXT" label namespace shop-distributed istio-injection=enabled --overwrite
  say "applying the mesh policy: istio/ and istio/kind/"
  kubectl --context "$CONTEXT" apply -n shop-distributed -f "$ROOT/istio/"
  kubectl --context "$CONTEXT" apply -n shop-distributed -f "$ROOT/istio/kind/"
}

wait_for_rollouts() {
  local namespace workload
  for namespace in shop-monolith shop-distributed shop-event-driven; do
    say "waiting for $namespace"
    for workload in $(kubectl --context "$CONTEXT" get statefulsets,deployments -n "$namespace" -o name); do
      kubectl --context "$CONTEXT" rollout status -n "$namespace" "$workload" --timeout "$ROLLOUT_TIMEOUT"
    done
  done
  kubectl --context "$CONTEXT" wait -n shop-event-driven job/kafka-topics \
    --for=condition=complete --timeout "$ROLLOUT_TIMEOUT"
}

print_urls() {
  say "ready"
  cat <<URLS
monolith      http://127.0.0.1:8001
distributed   http://127.0.0.1:8002   (through the Istio ingress gateway)
event_driven  http://127.0.0.1:8003

try:   curl -s localhost:8002/products
stop:  k8s/kind-down.sh
URLS
}

check_tools
create_cluster
install_istio
build_and_load_image
apply_manifests
wait_for_rollouts
print_urls
