"""`shopdemo compare`: the same load and faults against each running variant in turn.

For every (scenario, variant): restore the normal state (no payment fault, the mesh on
istio/), take an audit and the mesh's counters, apply the scenario, send the workshop's
order mix at a fixed arrival rate, restore, wait until the run's orders are final, audit
again. The report (report.json, report.md, report.html) gives each run's figures, the
deltas of the audit and of the mesh, and a plain-language reading built from them.
"""
