"""The local mesh proxy: one process that applies the Istio files in `istio/` to every call.

It stands in for the sidecars of the distributed variant on a laptop (one hub
process, one place for the counters) and behaves like Istio/Envoy for the
subset of the API it supports; anything else in a policy file stops it at
start with the file and field named. See `istio/README.md`.
"""
