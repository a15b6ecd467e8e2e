"""Every metric family the exporter serves: name, type, labels and meaning, declared once.

Why a table apart from the code that fills it: docs/fleet.md is checked against it (a unit
test), the integration test asks a real Prometheus for each family with exactly these
labels, and the exporter refuses to emit a family that is not here. It imports nothing
from ``prometheus_client``, so the docs and the tests read it without the library.

Names follow Prometheus's conventions: the unit in the name (``_celsius``, ``_watts``,
``_joules``, ``_bytes``, ``_seconds``, ``_ratio`` for 0..1), ``_total`` on counters, and
states as one 0/1 series per possible value, so a rule can say ``== 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "rigpilot_"


@dataclass(frozen=True)
class Family:
    """One metric family as Prometheus stores it (the counter's name with ``_total``).

    Attributes:
        when: when its series exist, if not always ("" = whenever the part is wired).
    """

    name: str
    kind: str  # gauge | counter
    labels: tuple[str, ...]
    help: str
    when: str = ""


_G, _C = "gauge", "counter"
FAMILIES: tuple[Family, ...] = (
    Family("rigpilot_worker_info", _G, ("version", "mode", "host"),
           "Always 1: the worker's version, mode (demo, simulated, nvml) and host name."),
    Family("rigpilot_worker_start_time_seconds", _G, (),
           "When the worker started, in seconds since the epoch."),
    Family("rigpilot_gpu_info", _G, ("gpu", "uuid", "name"),
           "Always 1: each GPU's index, UUID and name."),
    Family("rigpilot_gpu_temperature_celsius", _G, ("gpu", "sensor"),
           "Temperature of the GPU core (sensor=core) and of its memory (sensor=vram).",
           "vram only where the driver reports it (not on GeForce cards)"),
    Family("rigpilot_gpu_power_watts", _G, ("gpu",), "Power the GPU draws."),
    Family("rigpilot_gpu_power_limit_watts", _G, ("gpu",),
           "The power limit on the card now (RigPilot lowers it when the card runs hot)."),
    Family("rigpilot_gpu_energy_joules_total", _C, ("gpu",),
           "Energy the GPU used since its driver loaded (the card's own counter)."),
    Family("rigpilot_gpu_utilization_ratio", _G, ("gpu",), "GPU busy time, 0 to 1."),
    Family("rigpilot_gpu_memory_used_bytes", _G, ("gpu",), "VRAM in use."),
    Family("rigpilot_gpu_memory_total_bytes", _G, ("gpu",), "VRAM on the card."),
    Family("rigpilot_gpu_fan_speed_ratio", _G, ("gpu",), "Fan speed, 0 to 1.",
           "where the card reports a fan"),
    Family("rigpilot_gpu_state", _G, ("gpu", "state"),
           "1 for the GPU's state now (working, waiting, paused, emergency, unused, lost), "
           "0 for the others: the word every RigPilot view shows."),
    Family("rigpilot_gpu_hold", _G, ("gpu", "kind"),
           "1 while a hold of this kind (user, schedule, game, thermal, emergency) keeps "
           "the GPU's work back, else 0."),
    Family("rigpilot_gpu_owner", _G, ("gpu", "network"),
           "1 for the network that holds the GPU now.", "while a network owns the GPU"),
    Family("rigpilot_gpu_thermal_limit_celsius", _G, ("gpu", "limit"),
           "The heat guard's limits in force on this card: soft, pause, resume, emergency."),
    Family("rigpilot_guard_actions_total", _C, ("gpu", "action"),
           "Guard actions since the worker started, by kind (pause, stop, kill, "
           "set_power_limit, duty_cycle...): one per guard event.",
           "once the guard has acted"),
    Family("rigpilot_network_info", _G, ("network", "display_name"),
           "Always 1: each network the worker knows."),
    Family("rigpilot_network_state", _G, ("network", "state"),
           "1 for the network's state now (idle, busy, paused, error, offline...), 0 for "
           "the others."),
    Family("rigpilot_network_enrolled", _G, ("network",), "1 when this rig is enrolled."),
    Family("rigpilot_network_uptime_ratio", _G, ("network",),
           "Share of the last 30 days the network was up on this rig, by RigPilot's count.",
           "once the network has a history here"),
    Family("rigpilot_network_reputation_score", _G, ("network",),
           "The network's own score of this node.", "where the network reports one"),
    Family("rigpilot_network_reported_uptime_ratio", _G, ("network",),
           "This node's uptime as the network counts it, 0 to 1.",
           "where the network reports one"),
    Family("rigpilot_network_jobs", _G, ("network", "state"),
           "Jobs of RigPilot's job service in the ledger, by state (queued, running, "
           "paused, succeeded, failed, stopped, interrupted); starting, running and paused "
           "are 0 rather than absent for an enrolled network.",
           "for an enrolled network; other states once a job has been in them"),
    Family("rigpilot_network_earned_total", _C, ("network", "unit"),
           "Pay in the network's own unit (NOS, PRACTICE...), all the ledger holds.",
           "once the network has paid"),
    Family("rigpilot_network_gross_earnings_total", _C, ("network", "currency"),
           "Pay valued in your currency when it was earned, all the ledger holds (the "
           "practice network's play money in \"practice $\")."),
    Family("rigpilot_network_electricity_cost_total", _C, ("network", "currency"),
           "Electricity the GPU used for this network, at your price."),
    Family("rigpilot_network_net_earnings_total", _C, ("network", "currency"),
           "Pay less electricity, in your currency."),
    Family("rigpilot_network_energy_joules_total", _C, ("network",),
           "Energy the GPU (and the rest of the PC, at your setting) used for this network."),
    Family("rigpilot_gross_earnings_today", _G, ("currency",),
           "Today's pay on this rig (local day)."),
    Family("rigpilot_electricity_cost_today", _G, ("currency",),
           "Today's electricity for work on this rig."),
    Family("rigpilot_net_earnings_today", _G, ("currency",),
           "Today's pay less electricity, in your currency."),
)  # fmt: skip
BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}


def base_name(family: Family) -> str:
    """The name a collector declares (``prometheus_client`` adds ``_total`` to counters)."""
    return family.name.removesuffix("_total") if family.kind == _C else family.name
