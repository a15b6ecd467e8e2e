"""The exporter's families: from the typed answers, only the catalog's names and labels,
Prometheus's conventions, and the documented list in docs/fleet.md."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from desktop.fleet.catalog import FAMILIES
from desktop.fleet.families import families
from desktop.fleet.snapshot import GuardCounter, RigSnapshot
from desktop.ipc.schema_data import EarningsAnswer, EarningsDay, Tariff
from desktop.ipc.schema_networks import Reputation
from desktop.model import Event, GpuState, HoldKind, NodeState, Severity
from tests import api_samples as sample

DOCS = Path(__file__).resolve().parents[3] / "docs" / "fleet.md"
UNITS = (
    "_celsius",
    "_watts",
    "_joules_total",
    "_ratio",
    "_bytes",
    "_seconds",
    "_info",
    "_total",
    "_today",
    "_state",
    "_hold",
    "_owner",
    "_enrolled",
    "_score",
    "_jobs",
)


class _Once:
    def __init__(self, found: list[object]) -> None:
        self.found = found

    def collect(self) -> list[object]:
        return self.found


def _snapshot() -> RigSnapshot:
    hot = sample.gpu(
        1,
        GpuState.PAUSED,
        holds=[sample.guard_hold(HoldKind.THERMAL)],
        sample=sample.sample(1, core_temp_c=88.0, mem_temp_c=92.0),
    )
    status = sample.status(gpus=[sample.gpu(), hot])
    day = EarningsDay(
        date="2023-11-14",
        network="demo",
        currency="practice $",
        gross=Decimal("0.5"),
        energy_kwh=Decimal("0.1"),
        electricity=Decimal("0.02"),
        net=Decimal("0.48"),
        running_hours=Decimal("1"),
        unit_amounts={"DEMO": Decimal("5")},
        practice=True,
    )
    earnings = EarningsAnswer(
        days=[day, day],
        totals=sample.totals(currency="EUR"),
        tariff=Tariff(
            price_per_kwh=Decimal("0.2"), system_overhead_w=Decimal("60"), currency="EUR"
        ),
    )
    networks = [
        sample.record(reputation=Reputation(uptime_pct=97.0, score=63.0)),
        sample.record("nosana", state=NodeState.ERROR, uptime_pct=None),
    ]
    guard = GuardCounter()
    for kind in ("guard.pause", "guard.pause", "guard.kill", "job.finished"):
        guard.on_event(Event(0.0, kind, Severity.INFO, "", gpu_index=1))
    guard.on_event(Event(0.0, "guard.settings_refused", Severity.INFO, ""))  # no GPU
    return RigSnapshot(
        status, networks, earnings, {("demo", "succeeded"): 3}, guard.counts(), "rig1"
    )


def _parsed() -> dict[str, list[tuple[dict[str, str], float]]]:
    text = generate_latest(_Once(families(_snapshot()))).decode()  # type: ignore[arg-type]
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def test_every_family_is_in_the_catalog_with_its_labels_and_all_are_exported() -> None:
    found = _parsed()
    catalog = {f.name: f for f in FAMILIES}
    assert set(found) == set(catalog)
    for name, samples in found.items():
        assert all(set(labels) == set(catalog[name].labels) for labels, _ in samples), name


def test_values_come_from_the_answers_in_base_units() -> None:
    found = _parsed()

    def value(name: str, **labels: str) -> float:
        [(_, v)] = [
            (lab, v) for lab, v in found[name] if all(lab[k] == x for k, x in labels.items())
        ]
        return v

    assert value("rigpilot_gpu_temperature_celsius", gpu="1", sensor="vram") == 92.0
    assert value("rigpilot_gpu_state", gpu="1", state="paused") == 1
    assert value("rigpilot_gpu_state", gpu="1", state="working") == 0
    assert value("rigpilot_gpu_hold", gpu="1", kind="thermal") == 1
    assert value("rigpilot_gpu_hold", gpu="0", kind="thermal") == 0
    assert value("rigpilot_gpu_owner", gpu="0", network="demo") == 1
    assert not [lab for lab, _ in found["rigpilot_gpu_owner"] if lab["gpu"] == "1"]  # no owner
    assert value("rigpilot_gpu_memory_total_bytes", gpu="0") == 10240 * 1024 * 1024
    assert 0 <= value("rigpilot_gpu_utilization_ratio", gpu="0") <= 1
    assert value("rigpilot_guard_actions_total", gpu="1", action="pause") == 2
    assert value("rigpilot_guard_actions_total", gpu="1", action="kill") == 1
    assert value("rigpilot_network_state", network="nosana", state="error") == 1
    assert value("rigpilot_network_reputation_score", network="demo") == 63.0
    assert value("rigpilot_network_reported_uptime_ratio", network="demo") == 0.97
    assert value("rigpilot_network_earned_total", network="demo", unit="DEMO") == 10
    assert value("rigpilot_network_electricity_cost_total", network="nosana", currency="EUR") > 0
    assert value("rigpilot_network_net_earnings_total", network="nosana", currency="EUR") == 0.1993
    assert value("rigpilot_network_jobs", network="demo", state="succeeded") == 3
    assert value("rigpilot_network_jobs", network="demo", state="running") == 0  # not a hole
    assert value("rigpilot_network_energy_joules_total", network="nosana") == 0.232101 * 3.6e6
    assert value("rigpilot_net_earnings_today", currency="USD") == 0.1993
    assert value("rigpilot_worker_info", host="rig1", mode="simulated", version="0.1.0") == 1


def test_names_follow_prometheus_conventions() -> None:
    for family in FAMILIES:
        assert re.fullmatch(r"rigpilot_[a-z_]+", family.name), family.name
        assert (family.kind == "counter") == family.name.endswith("_total"), family.name
        assert family.name.endswith(UNITS), f"{family.name}: say its unit in the name"
        assert "pct" not in family.name and "percent" not in family.name  # ratios, 0..1


def test_docs_fleet_lists_exactly_the_catalog() -> None:
    text = DOCS.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(rigpilot_\w+)` \|", text, flags=re.MULTILINE))
    assert listed == {f.name for f in FAMILIES}
    for family in FAMILIES:
        row = next(x for x in text.splitlines() if x.startswith(f"| `{family.name}` |"))
        assert ", ".join(f"`{x}`" for x in family.labels) in row or not family.labels


def test_a_worker_with_metrics_off_never_loads_prometheus_client() -> None:
    code = (
        "import sys, desktop.worker.main, desktop.worker.wiring, desktop.cli\n"
        "assert 'prometheus_client' not in sys.modules, 'loaded'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
