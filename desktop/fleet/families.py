"""The snapshot as Prometheus metric families (``prometheus_client``'s collector side).

Why a custom collector rather than gauges set by hand: the values exist already, in one
snapshot built at scrape time (snapshot.py), so a scrape reads the record once and the
exporter keeps no second copy that could lag or disagree. Only families declared in
catalog.py can be emitted (``Builder.add`` refuses others), which keeps docs/fleet.md and
the exporter one list. Imported only when metrics are on, with ``prometheus_client``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from desktop.fleet.catalog import BY_NAME, base_name
from desktop.fleet.snapshot import RigSnapshot
from desktop.ipc.schema import GpuStatus, MoneyFigures
from desktop.ipc.schema_data import EarningsAnswer
from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import GpuState, HoldKind, NodeState

MIB = 1024 * 1024
KWH_J = 3_600_000


class Builder:
    """Families by catalog name, filled one sample at a time."""

    def __init__(self) -> None:
        self._made: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}

    def add(self, name: str, labels: Sequence[str], value: float | Decimal | None) -> None:
        """One sample; a None value (the card does not report it) is left out."""
        if value is None:
            return
        family = self._made.get(name)
        if family is None:
            spec = BY_NAME[name]  # KeyError: a family not in the catalog
            if spec.kind == "counter":
                family = CounterMetricFamily(base_name(spec), spec.help, labels=list(spec.labels))
            else:
                family = GaugeMetricFamily(spec.name, spec.help, labels=list(spec.labels))
            self._made[name] = family
        family.add_metric(list(labels), float(value))

    def families(self) -> list[Metric]:
        return list(self._made.values())


def families(snap: RigSnapshot) -> list[Metric]:
    """Every family of one snapshot (see catalog.py for their meaning)."""
    b = Builder()
    status = snap.status
    b.add("rigpilot_worker_info", (status.version, str(status.mode), snap.host), 1)
    b.add("rigpilot_worker_start_time_seconds", (), status.started_ts)
    for gpu in status.gpus:
        _gpu(b, gpu)
    for (gpu_label, action), count in sorted(snap.guard_actions.items()):
        b.add("rigpilot_guard_actions_total", (gpu_label, action), count)
    for network in snap.networks:
        _network(b, network)
    for (network_id, state), count in sorted(_job_counts(snap).items()):
        b.add("rigpilot_network_jobs", (network_id, state), count)
    _money(b, snap)
    return b.families()


def _gpu(b: Builder, gpu: GpuStatus) -> None:
    i = str(gpu.index)
    b.add("rigpilot_gpu_info", (i, gpu.info.uuid, gpu.info.name), 1)
    s = gpu.sample
    if s is not None:
        b.add("rigpilot_gpu_temperature_celsius", (i, "core"), s.core_temp_c)
        b.add("rigpilot_gpu_temperature_celsius", (i, "vram"), s.mem_temp_c)
        b.add("rigpilot_gpu_power_watts", (i,), s.power_w)
        b.add("rigpilot_gpu_energy_joules_total", (i,), s.energy_j)
        b.add("rigpilot_gpu_utilization_ratio", (i,), _ratio(s.gpu_util_pct))
        b.add("rigpilot_gpu_memory_used_bytes", (i,), _bytes(s.vram_used_mib))
        b.add("rigpilot_gpu_memory_total_bytes", (i,), _bytes(s.vram_total_mib))
        b.add("rigpilot_gpu_fan_speed_ratio", (i,), _ratio(s.fan_pct))
    b.add("rigpilot_gpu_power_limit_watts", (i,), gpu.power.limit_w)
    for state in GpuState:
        b.add("rigpilot_gpu_state", (i, state.value), 1 if gpu.state is state else 0)
    kinds = {hold.kind for hold in gpu.holds}
    for kind in HoldKind:
        b.add("rigpilot_gpu_hold", (i, kind.value), 1 if kind in kinds else 0)
    if gpu.owner is not None:
        b.add("rigpilot_gpu_owner", (i, gpu.owner), 1)
    if gpu.thermal is not None:
        lim = gpu.thermal.limits
        for name, value in (
            ("soft", lim.soft_c),
            ("pause", lim.pause_c),
            ("resume", lim.resume_c),
            ("emergency", lim.emergency_c),
        ):
            b.add("rigpilot_gpu_thermal_limit_celsius", (i, name), value)


LIVE_JOB_STATES = ("starting", "running", "paused")


def _job_counts(snap: RigSnapshot) -> dict[tuple[str, str], int]:
    """The ledger's counts, with the live states of every enrolled network present even at
    zero: "nothing runs now" is a 0 on the dashboard, not a hole (Prometheus's advice for
    counts that can be none)."""
    counts = dict(snap.jobs)
    for network in snap.networks:
        if network.enrolled:
            for state in LIVE_JOB_STATES:
                counts.setdefault((network.network, state), 0)
    return counts


def _network(b: Builder, n: NetworkRecord) -> None:
    net = n.network
    b.add("rigpilot_network_info", (net, n.display_name), 1)
    for state in NodeState:
        b.add("rigpilot_network_state", (net, state.value), 1 if n.state is state else 0)
    b.add("rigpilot_network_enrolled", (net,), 1 if n.enrolled else 0)
    b.add("rigpilot_network_uptime_ratio", (net,), _ratio(n.uptime_pct))
    if n.reputation is not None:
        b.add("rigpilot_network_reputation_score", (net,), n.reputation.score)
        b.add("rigpilot_network_reported_uptime_ratio", (net,), _ratio(n.reputation.uptime_pct))


def _money(b: Builder, snap: RigSnapshot) -> None:
    """Earnings as the earnings answer gives them: pay, electricity and net each carry the
    currency they are in (the user's, issue 15), a label value rather than a new family.
    The practice network's play money has its own "currency" (``practice $``), so a query
    on real money leaves it out and a demo rig still fills the dashboard."""
    answer = snap.earnings
    if answer is not None:
        for network, figures in sorted(answer.totals.networks.items()):
            _figures_total(b, network, figures)
        for (network, unit), amount in sorted(_native_totals(answer).items()):
            b.add("rigpilot_network_earned_total", (network, unit), amount)
    today = snap.status.earnings_today
    if today is not None:
        b.add("rigpilot_gross_earnings_today", (today.currency,), today.gross)
        b.add("rigpilot_electricity_cost_today", (today.currency,), today.electricity)
        b.add("rigpilot_net_earnings_today", (today.currency,), today.net)


def _figures_total(b: Builder, network: str, m: MoneyFigures) -> None:
    b.add("rigpilot_network_gross_earnings_total", (network, m.currency), m.gross)
    b.add("rigpilot_network_electricity_cost_total", (network, m.currency), m.electricity)
    b.add("rigpilot_network_net_earnings_total", (network, m.currency), m.net)
    b.add("rigpilot_network_energy_joules_total", (network,), m.energy_kwh * KWH_J)


def _native_totals(answer: EarningsAnswer) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}
    for day in answer.days:
        for unit, amount in day.unit_amounts.items():
            key = (day.network, unit)
            totals[key] = totals.get(key, Decimal(0)) + amount
    return totals


def _ratio(pct: float | None) -> float | None:
    return None if pct is None else pct / 100.0


def _bytes(mib: float | None) -> float | None:
    return None if mib is None else mib * MIB
