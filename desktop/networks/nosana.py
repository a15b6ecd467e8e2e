"""Nosana: the node runs as Nosana's own container; RigPilot owns its lifecycle and reads it.

networks.md §1 in short: native Linux (WSL nodes are blocked), Docker, the NVIDIA container
toolkit, ≥ 12 GB RAM, ≥ 25 GB free disk, a GPU from Nosana's list; the node's wallet is a
Solana keypair file; the first start is an interactive registration then a waitlist; state
comes from the node's API on 127.0.0.1:5001; jobs, earnings and uptime from the public
dashboard. The node's exit handler leaves the market but never kills a running job, so a
graceful stop waits (bounded) until the node no longer reports RUNNING_JOB. There is no
pause: pausing stops the node (desktop/networks/nulls.py, StopInsteadOfPause).

Capabilities: Enrollable, Controllable, EarningsReporter, ReputationReporter (not
Pausable, not a JobSource: the node runs the marketplace's jobs itself, in Podman).
Overrides for tests and side-by-side installs, read by ``SPEC``'s factory:
``RIGPILOT_NOSANA_KEY`` (key file), ``RIGPILOT_NOSANA_NODE_API`` (node API base URL),
``RIGPILOT_NOSANA_DASHBOARD`` (dashboard base URL).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks import nosana_parse as parse
from desktop.networks.base import EnrollmentError, NetworkError
from desktop.networks.nosana_api import (
    DASHBOARD_URL,
    ENROLL_CHECK_TIMEOUT,
    NODE_API_URL,
    ApiRefused,
    ApiUnavailable,
    DashboardApi,
    NodeApi,
)
from desktop.networks.nosana_key import DEFAULT_KEY_PATH, KeyFileError, ensure_keypair
from desktop.networks.nosana_node import NodeContainerConfig, NodeContainers, node_command
from desktop.networks.nosana_requirements import check_requirements
from desktop.networks.nosana_spec import SPEC
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
from desktop.networks.spec import AdapterContext, wall_now

log = logging.getLogger(__name__)

STARTUP_GRACE_S = 90.0  # the node API comes up only after the node's specs check
DOCKER_STOP_GRACE_S = 60  # ``docker stop --time``: the node's exit handler leaves the market


class NosanaAdapter:
    """One Nosana node on this machine."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self,
        key_path: Path = DEFAULT_KEY_PATH,
        node_api: NodeApi | None = None,
        dashboard: DashboardApi | None = None,
        containers: NodeContainers | None = None,
        container_config: NodeContainerConfig | None = None,
        clock_now: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stop_poll_s: float = 2.0,
    ) -> None:
        self.key_path = key_path
        self.node_api = node_api or NodeApi()
        self.dashboard = dashboard or DashboardApi()
        self._config = container_config or NodeContainerConfig(key_path=key_path)
        self.containers = containers or NodeContainers(self._config)
        self.clock = clock_now or wall_now
        self.sleep = sleep
        self.stop_poll_s = stop_poll_s
        self.address: str | None = None
        self._started_at: float | None = None

    # --- description -------------------------------------------------------------

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "key_file",
                CredentialKind.KEYPAIR_FILE,
                False,
                "Leave empty to use (or create) ~/.nosana/nosana_key.json, the node's Solana "
                "wallet; give a path to use another keypair file. Back this file up: it holds "
                "your earnings.",
                label="Key file",
            ),
            CredentialField(
                "market_network",
                CredentialKind.TEXT,
                False,
                "mainnet (default) or devnet.",
                label="Network",
            ),
        ]

    def penalties(self) -> NetworkPenalties:
        # No pause: stopping is the only way. The node never kills a running job on exit;
        # whether an interrupted job is paid is not documented, so it is not assumed.
        return NetworkPenalties(can_pause=False)

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return check_requirements(facts)

    # --- enrollment --------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        key = (creds.get("key_file") or "").strip()
        market = (creds.get("market_network") or "").strip() or None
        if market not in (None, "mainnet", "devnet"):
            raise EnrollmentError(
                f"Unknown Nosana network {market!r}: use mainnet or devnet.", "market_network"
            )
        self.key_path = Path(key).expanduser() if key else self.key_path.expanduser()
        try:
            address, created = ensure_keypair(self.key_path)
        except KeyFileError as exc:
            raise EnrollmentError(str(exc), "key_file") from None
        if created:
            log.info("nosana: created a new node key at %s (address %s)", self.key_path, address)
        self.address = address
        cfg = self.containers.cfg.with_(key_path=self.key_path, market_network=market)
        self.containers.cfg = cfg
        try:
            specs = self.dashboard.specs(address, timeout=ENROLL_CHECK_TIMEOUT)
        except (ApiUnavailable, ApiRefused) as exc:
            return self._registration_action(f"RigPilot could not check the registration ({exc}). ")
        if specs is None:
            return self._registration_action("")
        return None

    def first_run_command(self) -> str:
        cfg = self.containers.cfg
        key = shlex.quote(str(cfg.key_path.expanduser()))
        podman = (
            f"docker start {cfg.podman_name} 2>/dev/null || docker run -d --gpus=all "
            f"--name {cfg.podman_name} --device /dev/fuse --mount "
            f"source={cfg.cache_volume},target=/var/lib/containers --volume "
            f"{cfg.socket_volume}:/podman --privileged -e ENABLE_GPU=true {cfg.podman_image} "
            "unix:/podman/podman.sock"
        )
        node = (
            f"docker run --rm --network host --interactive -t --volume "
            f"{key}:/root/.nosana/nosana_key.json "
            f"--volume {cfg.socket_volume}:/root/.nosana/podman:ro "
            f"{cfg.node_image} {' '.join(shlex.quote(a) for a in node_command(cfg))}"
        )
        return f"{podman}\n{node}"

    def _registration_action(self, prefix: str) -> ActionRequired:
        return ActionRequired(
            message=prefix + "Nosana registers a new node once, interactively: it asks for an "
            "email address, Discord and Twitter handles and your acceptance of its participation "
            "agreement, then runs a benchmark. Run these commands in a terminal, answer the "
            "questions, stop it with Ctrl+C once it has joined the waitlist, then press Start "
            "in RigPilot. Approval from the waitlist can take days.",
            url="https://docs.nosana.com",
            command=self.first_run_command(),
        )

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        if self.address is None:
            raise NetworkError("Nosana is not enrolled yet: enroll it first.")
        self.containers.start()
        self._started_at = self.clock()

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        """Graceful: wait (at most ``timeout_s``) until no job runs, then ``docker stop``
        with the node's 60 s grace. Not graceful: ``docker stop`` within ``timeout_s``
        (0 kills at once: a guard's emergency)."""
        if graceful:
            self._wait_for_job_end(timeout_s)
            grace = DOCKER_STOP_GRACE_S
        else:
            grace = max(0, min(DOCKER_STOP_GRACE_S, int(timeout_s)))
        self.containers.stop(timeout_s=grace)
        self._started_at = None

    def _wait_for_job_end(self, timeout_s: float) -> None:
        deadline = self.clock() + timeout_s
        announced = False
        while True:
            try:
                state = parse.node_status(self.node_api.info(), self.clock()).native_state
            except (ApiUnavailable, ApiRefused):
                state = ""
            if state != "RUNNING_JOB":
                return
            if self.clock() >= deadline:
                log.warning(
                    "nosana: a job is still running after %.0f s; stopping anyway", timeout_s
                )
                return
            if not announced:
                log.info("nosana: waiting up to %.0f s for the running job to finish", timeout_s)
                announced = True
            self.sleep(min(self.stop_poll_s, max(0.0, deadline - self.clock())))

    def remove(self) -> None:
        """Forget the containers (not the key file: it holds the wallet)."""
        self.containers.remove()

    # --- observation -------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        now = self.clock()
        if self.address is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        try:
            container, code = self.containers.node_state()
        except NetworkError as exc:
            return StatusSnapshot(NodeState.ERROR, "docker", now, self.address, str(exc))
        if container != "running":
            detail = f" (exit code {code})" if code not in (None, 0) else ""
            return StatusSnapshot(
                NodeState.OFFLINE,
                container,
                now,
                self.address,
                f"the node container is {container}{detail}",
            )
        try:
            snapshot = parse.node_status(self.node_api.info(), now)
        except (ApiUnavailable, ApiRefused) as exc:
            starting = self._started_at is not None and now - self._started_at < STARTUP_GRACE_S
            state = NodeState.STARTING if starting else NodeState.UNKNOWN
            return StatusSnapshot(state, "", now, self.address, f"{exc}")
        return snapshot

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        if self.address is None:
            return []
        jobs, bad = parse.parse_jobs(self.dashboard.jobs(self.address))
        if bad:
            log.warning("nosana: skipped %d malformed job entries from the dashboard", bad)
        return [j for j in jobs if since is None or (j.started_ts or 0) >= since]

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        if self.address is None:
            return EarningsSummary(start, end, [])
        first = dt.datetime.fromtimestamp(start or self.clock() - 30 * 86400, dt.UTC)
        summary = parse.parse_earning_history(
            self.dashboard.earning_history(self.address, first.date().isoformat()), start, end
        )
        try:
            claimable = parse.parse_claimable(self.dashboard.specs(self.address))
        except (ApiUnavailable, ApiRefused):
            claimable = []
        return dataclasses.replace(summary, claimable=claimable, as_of=self.clock())

    def reputation(self) -> Reputation | None:
        if self.address is None:
            return None
        return parse.parse_node_report(self.dashboard.node_report(self.address))


def build(ctx: AdapterContext) -> NosanaAdapter:
    env_key = ctx.env.get("RIGPILOT_NOSANA_KEY")
    key = Path(env_key) if env_key else DEFAULT_KEY_PATH
    return NosanaAdapter(
        key_path=key,
        node_api=NodeApi(ctx.env.get("RIGPILOT_NOSANA_NODE_API", NODE_API_URL)),
        dashboard=DashboardApi(ctx.env.get("RIGPILOT_NOSANA_DASHBOARD", DASHBOARD_URL)),
    )
