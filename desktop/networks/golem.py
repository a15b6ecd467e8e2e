"""Golem: the CPU/VM provider, yagna and ya-provider as native processes RigPilot runs.

networks.md §3 in short: no account and no web login; the user installs Golem with its
own installer; the node sells CPU, memory and disk in KVM virtual machines for GLM on
Polygon. RigPilot starts yagna then ya-provider (golem_node.py, the GamerHash facade's
way), pauses by stopping ya-provider while yagna runs (the facade's suspend: the node
leaves the market, its identity and payments stay up), reads the node, its agreements,
activities and invoices from yagna's REST API with the app key, and its uptime and
reputation from Golem's public stats. Golem's GPU route is a dedicated boot image that
cannot run beside a desktop: this network is the CPU/VM provider; golem_gpu.py watches a
gpu-golem-live node.

Capabilities: Enrollable, Controllable, Pausable, EarningsReporter, ReputationReporter.
Overrides read by ``SPEC``'s factory: ``RIGPILOT_GOLEM_YAGNA_API`` (yagna's API URL, also
given to yagna as ``YAGNA_API_URL``), ``RIGPILOT_GOLEM_STATS`` (the stats API's URL),
``RIGPILOT_GOLEM_TIMEOUT_S`` (both APIs' read timeout; 3 s).
"""

from __future__ import annotations

import logging
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from desktop.model import CheckResult, Money, NetworkPenalties, NodeState
from desktop.networks import golem_parse as parse
from desktop.networks.base import EnrollmentError, NetworkError
from desktop.networks.golem_api import LOCAL_TIMEOUT_S, STATS_URL, YAGNA_URL, StatsApi, YagnaApi
from desktop.networks.golem_node import DEFAULT_BIN, PAYMENT_NETWORKS, Binaries, GolemNode
from desktop.networks.golem_requirements import GPU_ROUTE, GolemHost, check_requirements
from desktop.networks.golem_spec import SPEC
from desktop.networks.golem_status import activity_state
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    Reputation,
    StatusSnapshot,
)
from desktop.networks.remote_api import ApiRefused, env_float
from desktop.networks.spec import AdapterContext, wall_now

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # yagna's REST API comes up after its services
STARTUP_GRACE_S = 90.0
JOB_WAIT_S = 120.0  # a pause or a graceful stop waits this long for a running activity
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")


class GolemAdapter:
    """One Golem provider node on this machine."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self,
        yagna: YagnaApi | None = None,
        stats: StatsApi | None = None,
        host: GolemHost | None = None,
        state_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        clock_now: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.api = yagna or YagnaApi()
        self.stats = stats or StatsApi()
        self.host = host or GolemHost.probe()
        self.state_dir = state_dir or Path(tempfile.gettempdir()) / "rigpilot-golem"
        self.env = dict(env or {})
        self.clock, self.sleep = clock_now or wall_now, sleep
        self.start_timeout_s = start_timeout_s
        self.node: GolemNode | None = None
        self.make_node: Callable[[Binaries], GolemNode] = self._node_for
        self.market = "mainnet"
        self.node_name: str | None = None
        self.account: str | None = None
        self.node_id: str | None = None
        self.suspended = False
        self._started_at: float | None = None
        self._lock = threading.Lock()

    def _node_for(self, binaries: Binaries) -> GolemNode:
        env = {**self.env, "YAGNA_API_URL": self.api.http.base_url}
        return GolemNode(binaries, self.state_dir, env, self.sleep)

    @property
    def unit(self) -> str:
        return "GLM" if self.market == "mainnet" else "TGLM"  # test tokens are not money

    # --- description -------------------------------------------------------------

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "yagna",
                CredentialKind.TEXT,
                False,
                "The path of yagna as Golem's installer put it (default ~/.local/bin/yagna; "
                "ya-provider must be beside it). Install: curl -sSf "
                "https://join.golem.network/as-provider | bash -. RigPilot never downloads it.",
                url="https://docs.golem.network/docs/providers/provider-installation",
                label="yagna",
            ),
            CredentialField(
                "payment_network",
                CredentialKind.TEXT,
                False,
                "mainnet (default: real GLM on Polygon) or testnet (test tokens).",
                label="Payment network",
            ),
            CredentialField(
                "node_name", CredentialKind.TEXT, False, "A name for the node.", label="Node name"
            ),
            CredentialField(
                "payout_address",
                CredentialKind.WALLET_ADDRESS,
                False,
                "An Ethereum/Polygon address (0x...) to be paid to; empty keeps yagna's own "
                "wallet in its data folder (back it up).",
                label="Payout address",
            ),
        ]

    def penalties(self) -> NetworkPenalties:
        # Stopping ya-provider ends its agreements; the facade calls such a job
        # "Interrupted": its payment is not guaranteed.
        return NetworkPenalties(pause_voids_job_pay=True, can_pause=True)

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return check_requirements(facts, self.host)

    # --- enrollment --------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        given = (creds.get("yagna") or "").strip()
        path = Path(given or DEFAULT_BIN / "yagna").expanduser()
        binaries = Binaries.beside(path)
        problem = binaries.problem()
        if problem:
            raise EnrollmentError(problem, "yagna")
        market = (creds.get("payment_network") or "").strip() or "mainnet"
        if market not in PAYMENT_NETWORKS:
            raise EnrollmentError(
                f"Unknown payment network {market!r}: use mainnet or testnet.", "payment_network"
            )
        name = (creds.get("node_name") or "").strip() or None
        if name is not None and not _NAME.match(name):
            raise EnrollmentError(
                "The node name may have 1 to 40 letters, digits, spaces, dots, dashes or "
                "underscores.",
                "node_name",
            )
        account = (creds.get("payout_address") or "").strip() or None
        if account is not None and not parse.NODE_ID.match(account):
            raise EnrollmentError(
                "The payout address must be 0x followed by 40 hexadecimal digits.",
                "payout_address",
            )
        with self._lock:
            self.node = self.make_node(binaries)
            self.market, self.node_name, self.account = market, name, account
        return None

    def remove(self) -> None:
        """Stop yagna and ya-provider (their data folders, identity and wallet stay)."""
        self.stop(False, 0.0)
        with self._lock:
            self.node = None

    # --- lifecycle ---------------------------------------------------------------

    def _enrolled(self) -> GolemNode:
        if self.node is None:
            raise NetworkError("Golem is not enrolled yet: enroll it first.")
        return self.node

    def start(self) -> None:
        """Start yagna (unless it runs) and wait for its API, then ya-provider."""
        with self._lock:
            node = self._enrolled()
            if not node.yagna.running():
                self._refuse_foreign_yagna()
                node.start_yagna()
                self._started_at = self.clock()
            key = node.app_key(self.start_timeout_s)
            self.api.use_key(key)
            self.node_id = self._wait_for_me(node)
            if not node.provider.running():
                node.configure(self.node_name, self.account, key)
                node.start_provider(key, self.market)
                self._started_at = self.clock()
            self.suspended = False

    def _refuse_foreign_yagna(self) -> None:
        """Another yagna (the user's golemsp) on the API's address would clash. A plain
        connection tells (a call would arm the API's backoff for nothing)."""
        url = urlsplit(self.api.http.base_url)
        try:
            with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), 1.0):
                pass
        except OSError:
            return  # nothing answers: the address is free
        raise NetworkError(
            f"A yagna that RigPilot did not start already answers on {self.api.http.base_url} "
            "(golemsp?). Stop it (golemsp stop), then start Golem in RigPilot again."
        )

    def _wait_for_me(self, node: GolemNode) -> str:
        waited, last = 0.0, ""
        while waited < self.start_timeout_s:
            if not node.yagna.running():
                raise NetworkError(f"yagna stopped while starting: {node.yagna.tail()}")
            try:
                return parse.parse_me(self.api.me())
            except (NetworkError, parse.BadAnswer) as exc:
                last = str(exc)
            self.sleep(0.5)
            waited += 0.5
        raise NetworkError(
            f"yagna's API did not answer within {self.start_timeout_s:.0f} s: {last}"
        )

    def pause(self) -> None:
        """Suspend: stop ya-provider (after its running activity, at most 2 min) while
        yagna runs on."""
        self._wait_for_activities(JOB_WAIT_S)  # outside the lock: a stop must not wait
        with self._lock:
            node = self._enrolled()
            node.provider.stop()
            self.suspended = True

    def resume(self) -> None:
        self.start()

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        """ya-provider, then yagna; graceful: after the running activity (at most
        ``timeout_s``) with Golem's 30 s for each; else within ``timeout_s`` (0: at once)."""
        if graceful and self.node is not None:
            self._wait_for_activities(timeout_s)
        with self._lock:
            node = self.node
            if node is None:
                return
            wait = 30.0 if graceful else max(0.5, min(10.0, timeout_s))
            node.provider.stop(wait)
            node.yagna.stop(wait)
            self.suspended, self._started_at = False, None

    def _wait_for_activities(self, timeout_s: float) -> None:
        deadline = self.clock() + timeout_s
        while self.clock() < deadline:
            try:
                if activity_state(self.api, self.clock()) != NodeState.BUSY:
                    return
            except (NetworkError, parse.BadAnswer):
                return
            log.info("golem: waiting for the running activity to end")
            self.sleep(min(2.0, max(0.0, deadline - self.clock())))

    # --- observation -------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        now = self.clock()
        node = self.node
        if node is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        ident = self.node_id
        young = self._started_at is not None and now - self._started_at < STARTUP_GRACE_S
        if not node.yagna.running():
            code = node.yagna.exit_code()
            why = f" (it exited with code {code}: {node.yagna.tail()})" if code else ""
            return StatusSnapshot(
                NodeState.OFFLINE, "off", now, ident, f"yagna is not running{why}."
            )
        if not node.provider.running():
            if self.suspended:
                return StatusSnapshot(
                    NodeState.PAUSED,
                    "suspended",
                    now,
                    ident,
                    "Suspended: yagna runs, ya-provider is stopped.",
                )
            code = node.provider.exit_code()
            why = f" (it exited with code {code}: {node.provider.tail()})" if code else ""
            state = NodeState.STARTING if young else NodeState.ERROR
            return StatusSnapshot(
                state, "no provider", now, ident, f"ya-provider is not running{why}."
            )
        try:
            self.node_id = parse.parse_me(self.api.me())
            state = activity_state(self.api, now)
        except (NetworkError, parse.BadAnswer) as exc:
            state = NodeState.STARTING if young else NodeState.UNKNOWN
            return StatusSnapshot(state, "", now, ident, f"yagna's API: {exc}")
        words = "computing" if state is NodeState.BUSY else "ready"
        extra = {"payment_network": self.market, "gpu": GPU_ROUTE}
        return StatusSnapshot(state, words, now, self.node_id, "", extra)

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        if self.node is None or not self.node.yagna.running():
            return []
        agreements = parse.parse_agreements(self.api.agreements(since))
        invoices = parse.parse_invoices(self.api.invoices(since))
        return parse.jobs_from(agreements, invoices, self.unit)

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        """Invoices accepted or settled (earned) and issued or received (pending)."""
        if self.node is None:
            return EarningsSummary(start, end, [])
        invoices = parse.parse_invoices(self.api.invoices(start))
        inside = [i for i in invoices if end is None or (i.timestamp or 0.0) <= end]
        earned = sum((i.amount for i in inside if i.status in parse.PAID), Decimal(0))
        waiting = [i.amount for i in inside if i.status in ("ISSUED", "RECEIVED")]
        return EarningsSummary(
            start,
            end,
            [Money(earned, self.unit)],
            pending=[Money(sum(waiting, Decimal(0)), self.unit)] if waiting else [],
            source="yagna's invoices",
            as_of=self.clock(),
        )

    def reputation(self) -> Reputation | None:
        """Uptime and reputation from Golem's public stats (None while the stats do not
        know the node yet)."""
        if self.node is None:
            return None
        if self.node_id is None:
            self.node_id = parse.parse_me(self.api.me())
        try:
            node = parse.parse_stats_node(self.stats.node(self.node_id))
        except ApiRefused as exc:
            if exc.status_code == 404:
                return None
            raise
        return parse.reputation_from(node, self.stats.uptime(self.node_id))


def build(ctx: AdapterContext) -> GolemAdapter:
    api_url = ctx.env.get("RIGPILOT_GOLEM_YAGNA_API", YAGNA_URL)
    timeout = env_float(ctx.env, "RIGPILOT_GOLEM_TIMEOUT_S", LOCAL_TIMEOUT_S, 0.1, 60.0)
    return GolemAdapter(
        yagna=YagnaApi(api_url, timeout_s=timeout),
        stats=StatsApi(ctx.env.get("RIGPILOT_GOLEM_STATS", STATS_URL), timeout_s=timeout),
        state_dir=(ctx.data_dir / "golem") if ctx.data_dir else None,
        env=ctx.env,
    )
