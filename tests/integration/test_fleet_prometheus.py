"""A real Prometheus scrapes two real workers (issue 16, done-when).

tests/services.sh started them: rig-a exports on loopback, rig-b beyond it with a bearer
token that Prometheus sends (``authorization: credentials_file``). Prometheus's HTTP API
must then hold every family desktop/fleet/catalog.py documents, with exactly its labels,
from both rigs; every PromQL expression of the Grafana dashboard must return data; and
Prometheus must have loaded the alert rules without error.
"""

from __future__ import annotations

from collections import defaultdict

from desktop.fleet.catalog import FAMILIES
from tests.integration.fleet_helpers import SCRAPE_LABELS, dashboard_exprs, fleet, wait_until

ALL_FAMILIES_S = 150.0  # the guard's first action and the first pay take a little while


def _families_seen(names: list[str]) -> dict[str, set[frozenset[str]]]:
    f = fleet()
    seen: dict[str, set[frozenset[str]]] = defaultdict(set)
    series = f.api("series", **{"match[]": '{__name__=~"rigpilot_.+"}'})
    for labels in series:
        seen[labels["__name__"]].add(frozenset(set(labels) - SCRAPE_LABELS))
    return {n: seen[n] for n in names if n in seen}


def test_both_rigs_are_up_and_every_documented_family_has_its_labels() -> None:
    f = fleet()
    def up_instances() -> set[str]:
        return {r["metric"]["instance"] for r in f.query('up{job=~"rigpilot.*"} == 1')}

    # both, not the first one up: the two rigs' first scrapes need not fall together
    wait_until(lambda: up_instances() == set(f.targets), 60, lambda: str(f.query("up")))
    names = [family.name for family in FAMILIES]

    def all_seen() -> dict[str, set[frozenset[str]]] | None:
        found = _families_seen(names)
        return found if len(found) == len(names) else None

    seen = wait_until(
        all_seen,
        ALL_FAMILIES_S,
        lambda: f"missing: {sorted(set(names) - set(_families_seen(names)))}",
    )
    for family in FAMILIES:
        assert seen[family.name] == {frozenset(family.labels)}, (family.name, seen[family.name])
    # both rigs export (the one behind the token too), and they are told apart
    rigs = f.query("count by (instance) (rigpilot_worker_info)")
    assert {r["metric"]["instance"] for r in rigs} == set(f.targets)
    info = f.query("rigpilot_worker_info")
    assert {r["metric"]["mode"] for r in info} == {"demo"}


def test_every_dashboard_expression_returns_data() -> None:
    f = fleet()
    exprs = dashboard_exprs()
    assert len(exprs) >= 15

    def empty() -> list[str]:
        return [f"{title}: {expr}" for title, expr in exprs if not f.query(expr)]

    wait_until(lambda: not empty(), ALL_FAMILIES_S, lambda: "no data: " + "; ".join(empty()))


def test_prometheus_loaded_the_alert_rules() -> None:
    f = fleet()
    groups = f.api("rules")["groups"]
    [group] = [g for g in groups if g["name"] == "rigpilot"]
    names = {r["name"]: r for r in group["rules"]}
    assert set(names) == {
        "RigPilotGpuHot", "RigPilotGpuLost", "RigPilotRigDown", "RigPilotNetworkFailing",
        "RigPilotNoEarnings",
    }  # fmt: skip
    wait_until(
        lambda: all(r.get("health") == "ok" for r in f.api("rules")["groups"][0]["rules"]),
        30, lambda: str([(r["name"], r.get("health"), r.get("lastError")) for r in names.values()]),
    )  # fmt: skip
