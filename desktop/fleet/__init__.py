"""Beyond one machine: the worker's Prometheus exporter and its alerts to a phone or webhook.

RigPilot builds no fleet server of its own (ARCHITECTURE.md): Prometheus scrapes each
worker (``exporter.py``, metric names in ``catalog.py``), Grafana and Alertmanager do the
rest (resources/grafana, resources/prometheus, docs/fleet.md), and a single rig without
Prometheus pushes its few alarms to ntfy or a webhook (``alerts.py``). Everything here
reads the worker's one snapshot (the typed status answer), never the hardware.
"""
