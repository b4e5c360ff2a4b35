"""Container files for docker-compose.yml and the `make smoke` podman harness (see README)."""
