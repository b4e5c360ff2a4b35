#!/usr/bin/env bash
# Deletes the kind cluster that k8s/kind-up.sh created, with everything in it
# (databases included). The image built on the host stays.
set -euo pipefail

CLUSTER="shopdemo"

if ! command -v kind >/dev/null 2>&1; then
  echo "kind-down: kind is not installed, so there is no kind cluster to delete." >&2
  exit 1
fi
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  if command -v podman >/dev/null 2>&1; then
    export KIND_EXPERIMENTAL_PROVIDER=podman
  fi
fi

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  echo "kind-down: no kind cluster named $CLUSTER; nothing to do."
fi
