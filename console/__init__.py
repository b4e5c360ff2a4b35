"""The workshop console: one page that shows the three variants side by side and drives them.

A FastAPI app serving one HTML page, one script, one stylesheet and a small JSON API.
It watches each variant through what any operator could see (health probes, the
units' Prometheus `/metrics`, the order database, the mesh's counters, the audit)
and drives them through the same admin endpoints the `shopdemo` commands use.
"""
