"""Golem GPU: a gpu-golem-live node, watched by its node id through Golem's public stats.

Golem's GPU provider is a bootable image (gpu-golem-live) that takes the whole GPU by
passthrough and is managed over SSH; it cannot run beside a desktop, so RigPilot cannot
run it (networks.md §3, golem_requirements.GPU_ROUTE). What RigPilot can do is watch such
a node, on another machine or on this one while it is booted into the image: online or
not, computing or not, uptime, reputation and the GLM it received, all from
``api.stats.golem.network`` (no credential). The stats are read at most once a minute.

Capabilities: Enrollable (the node id), MonitorOnly, EarningsReporter (totals only: the
public stats have no per-job records, so nothing is written to the ledger), and
ReputationReporter. Overrides: ``RIGPILOT_GOLEM_STATS`` (the stats API's URL),
``RIGPILOT_GOLEM_TIMEOUT_S`` (its read timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks import golem_parse as parse
from desktop.networks.base import EnrollmentError, NetworkError
from desktop.networks.golem_api import STATS_URL, StatsApi
from desktop.networks.golem_gpu_spec import SPEC
from desktop.networks.golem_requirements import GPU_ROUTE
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    Reputation,
    StatusSnapshot,
    requirement,
)
from desktop.networks.remote_api import ApiRefused, env_float
from desktop.networks.spec import AdapterContext, wall_now

READ_EVERY_S = 60.0
EARNINGS_WINDOW_S = 30 * 86400.0


class GolemGpuMonitor:
    """One gpu-golem-live node, watched."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self, stats: StatsApi | None = None, clock_now: Callable[[], float] | None = None
    ) -> None:
        self.stats = stats or StatsApi(network=self.id)
        self.clock = clock_now or wall_now
        self.node_id: str | None = None
        self._seen: tuple[float, Any] | None = None  # when, and the node's stats record

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "node_id",
                CredentialKind.TEXT,
                True,
                "The node id (0x...) of the gpu-golem-live node: `yagna id show` on it "
                "(over SSH as golem@<its address>), or its page on stats.golem.network.",
                url="https://docs.golem.network/docs/providers/gpu/gpu-golem-live",
                label="Node id",
            )
        ]

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties()  # nothing here is paused or stopped by RigPilot

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return [
            requirement(
                "golem_gpu.watch",
                "Watched, not run",
                True,
                "watched through Golem's public stats; nothing runs on this machine",
                "",
                note=GPU_ROUTE,
            )
        ]

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        node = (creds.get("node_id") or "").strip()
        if not parse.NODE_ID.match(node):
            raise EnrollmentError(
                "The node id must be 0x followed by 40 hexadecimal digits.", "node_id"
            )
        self.node_id, self._seen = node.lower(), None
        return None

    def remove(self) -> None:
        self.node_id, self._seen = None, None

    def watched(self) -> str:
        return f"the gpu-golem-live node {self.node_id}"

    def _node(self) -> dict[str, Any] | None:
        """The node's stats (read at most once a minute); None when the stats do not
        know it (404)."""
        now = self.clock()
        if self._seen is not None and now - self._seen[0] < READ_EVERY_S:
            return self._seen[1]
        assert self.node_id is not None
        try:
            node = parse.parse_stats_node(self.stats.node(self.node_id))
        except ApiRefused as exc:
            if exc.status_code != 404:
                raise
            node = None
        self._seen = (now, node)
        return node

    def status(self) -> StatusSnapshot:
        now = self.clock()
        if self.node_id is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        try:
            node = self._node()
        except (NetworkError, parse.BadAnswer) as exc:
            return StatusSnapshot(NodeState.UNKNOWN, "", now, self.node_id, f"Golem's stats: {exc}")
        if node is None:
            return StatusSnapshot(
                NodeState.UNKNOWN,
                "",
                now,
                self.node_id,
                "Golem's stats do not know this node yet: it appears once it has been online.",
            )
        if node["softbanned"]:
            reason = node.get("softbanned_reason") or "no reason given"
            return StatusSnapshot(
                NodeState.BLOCKED, "softbanned", now, self.node_id, f"Softbanned: {reason}."
            )
        if not node["online"]:
            return StatusSnapshot(
                NodeState.OFFLINE, "offline", now, self.node_id, "The node is offline."
            )
        state = NodeState.BUSY if node["computing_now"] else NodeState.IDLE
        return StatusSnapshot(
            state, "computing" if node["computing_now"] else "online", now, self.node_id, "", node
        )

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return []  # the public stats have no per-job records

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        if self.node_id is None:
            return EarningsSummary(start, end, [])
        since = start if start is not None else self.clock() - EARNINGS_WINDOW_S
        total = parse.parse_stats_earnings(self.stats.earnings(self.node_id, since))
        return EarningsSummary(
            since, end, [total], source="GLM received (Golem's public stats)", as_of=self.clock()
        )

    def reputation(self) -> Reputation | None:
        if self.node_id is None:
            return None
        node = self._node()
        if node is None:
            return None
        return parse.reputation_from(node, self.stats.uptime(self.node_id))


def build(ctx: AdapterContext) -> GolemGpuMonitor:
    timeout = env_float(ctx.env, "RIGPILOT_GOLEM_TIMEOUT_S", 5.0, 0.1, 60.0)
    return GolemGpuMonitor(
        StatsApi(ctx.env.get("RIGPILOT_GOLEM_STATS", STATS_URL), "golem-gpu", timeout_s=timeout)
    )
