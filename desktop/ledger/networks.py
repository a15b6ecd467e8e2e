"""Network enrollment and status history (for uptime and reputation).

Status history is stored as spans: a row per state change, whose ``until_ts`` is pushed
forward each time the supervisor sees the same state again. A crashed worker therefore
leaves a span that simply ends at its last observation, and the unobserved time after
it counts as down, which is what the marketplace saw too.

Enrollment keeps only non-secret configuration (node id, region, chosen GPUs ...);
secrets live in the OS keyring, and a config key that looks like one is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop import clock
from desktop.ledger.db import Store
from desktop.model import NodeState, to_json

UP_STATES = frozenset({NodeState.IDLE, NodeState.BUSY, NodeState.BENCHMARKING})
MAX_GAP_S = 300.0  # observations further apart than this leave an unobserved (down) gap
_SECRET = re.compile(r"secret|token|passw|passphrase|api_?key|private|mnemonic|seed", re.I)


@dataclass(frozen=True)
class Enrollment:
    """A network this install is enrolled with: its saved (non-secret) config."""

    network: str
    enrolled_ts: float
    config: dict[str, Any] = field(default_factory=dict)
    paused: bool = False

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class StatusSpan:
    """A network seen in one state from ``ts`` to ``until_ts``."""

    network: str
    state: NodeState
    ts: float  # first seen
    until_ts: float  # last seen


class NetworksStore(Store):
    # --- enrollment --------------------------------------------------------------------

    def enroll_network(
        self, network: str, ts: float | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        """Record (or update) an enrollment; re-enrolling keeps the first enrollment time."""
        config = dict(config or {})
        bad = [k for k in config if _SECRET.search(k)]
        if bad:
            raise ValueError(
                f"enrollment config key(s) {', '.join(bad)} look like secrets; "
                "secrets belong in the OS keyring, not the ledger"
            )
        ts = clock.now() if ts is None else ts
        text = json.dumps(to_json(config), sort_keys=True, default=str)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO networks (network, enrolled_ts, config, paused, updated_ts)"
                " VALUES (?, ?, ?, 0, ?) ON CONFLICT (network) DO UPDATE SET"
                " config = excluded.config, updated_ts = excluded.updated_ts",
                (network, ts, text, ts),
            )

    def set_network_paused(self, network: str, paused: bool) -> bool:
        """Pause or resume a network by the user's choice; False if it is not enrolled."""
        with self._db.write() as conn:
            cur = conn.execute(
                "UPDATE networks SET paused = ?, updated_ts = ? WHERE network = ?",
                (int(paused), clock.now(), network),
            )
            return cur.rowcount > 0

    def remove_network(self, network: str) -> bool:
        """Forget an enrollment (its earnings and history stay); False if it was not there."""
        with self._db.write() as conn:
            return conn.execute("DELETE FROM networks WHERE network = ?", (network,)).rowcount > 0

    def enrollments(self) -> list[Enrollment]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT network, enrolled_ts, config, paused FROM networks ORDER BY network"
            ).fetchall()
        return [Enrollment(n, ts, json.loads(c), bool(p)) for n, ts, c, p in rows]

    def enrollment(self, network: str) -> Enrollment | None:
        return next((e for e in self.enrollments() if e.network == network), None)

    # --- status history ----------------------------------------------------------------

    def record_network_state(self, network: str, state: NodeState, ts: float) -> None:
        """Note that ``network`` was seen in ``state`` at ``ts`` (call at each status poll)."""
        state = NodeState(state)
        with self._db.write() as conn:
            last = conn.execute(
                "SELECT id, state, until_ts FROM network_status WHERE network = ?"
                " ORDER BY ts DESC, id DESC LIMIT 1",
                (network,),
            ).fetchone()
            if last is not None and last[1] == state.value and 0 <= ts - last[2] <= MAX_GAP_S:
                conn.execute("UPDATE network_status SET until_ts = ? WHERE id = ?", (ts, last[0]))
            elif last is None or ts >= last[2]:
                conn.execute(
                    "INSERT INTO network_status (network, state, ts, until_ts) VALUES (?,?,?,?)",
                    (network, state.value, ts, ts),
                )

    def network_history(self, network: str, since: float) -> list[StatusSpan]:
        """Status spans that end after ``since``, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT state, ts, until_ts FROM network_status WHERE network = ?"
                " AND until_ts >= ? ORDER BY ts, id",
                (network, since - MAX_GAP_S),
            ).fetchall()
        return [StatusSpan(network, NodeState(s), ts, u) for s, ts, u in rows]

    def uptime_pct(self, network: str, since: float, now: float | None = None) -> float | None:
        """Percent of the time since ``since`` (or since the first observation, if later)
        that the network was up (idle, busy or benchmarking); None with no observations."""
        now = clock.now() if now is None else now
        spans = self.network_history(network, since)
        if not spans:
            return None
        start = max(since, spans[0].ts)
        if now <= start:
            return None
        up = 0.0
        for span, nxt in zip(spans, [*spans[1:], None], strict=True):
            end = span.until_ts
            follow = now if nxt is None else nxt.ts
            if follow - span.until_ts <= MAX_GAP_S:
                end = follow  # continuous observation: the state held until the next one
            if span.state in UP_STATES:
                up += max(0.0, min(end, now) - max(span.ts, start))
        return 100.0 * up / (now - start)
