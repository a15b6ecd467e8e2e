"""Akash: watch an Akash provider by its address (monitor only).

networks.md §4 in short: an Akash provider is a Kubernetes cluster with a domain, a public
IP and open ports, its GPUs dedicated to tenants' pods; running one from a desktop app on a
gaming PC is not realistic. What RigPilot can do is watch a provider the user runs: the
public Console API says whether it is online, its uptime and its earnings (in AKT and
USDC), and the provider's own ``/status`` how many leases it serves now. Nothing is
started, paused or stopped from here, and its money is not counted against this PC's
electricity (the provider is not this machine).

Capabilities: Enrollable (by address), MonitorOnly, EarningsReporter (earnings; no per-job
pay: ``jobs`` is empty), ReputationReporter (uptime, audited). Overrides read by ``SPEC``'s
factory: ``RIGPILOT_AKASH_CONSOLE`` (Console API base URL), ``RIGPILOT_AKASH_TIMEOUT_S``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks import akash_parse as parse
from desktop.networks.akash_api import CONSOLE_URL, AkashConsole, ProviderGateway
from desktop.networks.akash_spec import SPEC
from desktop.networks.base import EnrollmentError, NetworkError, NotEnrolled
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
from desktop.networks.remote_api import ApiRefused, ApiUnavailable, RecentStatus, env_float
from desktop.networks.spec import AdapterContext, wall_now

log = logging.getLogger(__name__)

DAY_S = 86400.0
FRESH_S = 60.0  # the Console's uptime checks are minutes apart: no need to ask more often
GatewayFactory = Callable[[str], ProviderGateway]


class AkashMonitor:
    """One Akash provider, watched through public APIs."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self,
        console: AkashConsole,
        gateway_factory: GatewayFactory,
        clock_now: Callable[[], float] | None = None,
    ) -> None:
        self.console, self.gateway_factory = console, gateway_factory
        self.clock = clock_now or wall_now
        self.address: str | None = None
        self._gateway: ProviderGateway | None = None
        self._provider: dict[str, Any] | None = None  # the Console's record, as last read
        self.recent = RecentStatus(FRESH_S)

    # --- description -------------------------------------------------------------------

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "provider_address",
                CredentialKind.WALLET_ADDRESS,
                True,
                "Your provider's Akash address (akash1…, 44 characters), as `provider-services "
                "keys show` or the Akash Console shows it. It is public: no key is needed.",
                url="https://console.akash.network/providers",
                label="Provider address",
            )
        ]

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return []  # it watches a provider elsewhere: this machine needs nothing

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties()  # never driven (MonitorOnly)

    def watched(self) -> str:
        return f"Akash provider {self.address}" if self.address else "no Akash provider yet"

    # --- enrollment --------------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        address = (creds.get("provider_address") or "").strip()
        if not parse.ADDRESS.fullmatch(address):
            raise EnrollmentError(
                f"{address[:60]!r} is not an Akash address (akash1 followed by 38 letters and "
                "digits).",
                "provider_address",
            )
        try:
            provider = self.console.provider(address)
        except ApiRefused as exc:
            if exc.status_code in (400, 404):
                raise EnrollmentError(
                    f"The Akash Console knows no provider {address}: check the address (a "
                    "provider appears once it is registered on chain).",
                    "provider_address",
                ) from None
            raise EnrollmentError(f"The Akash Console refused the request: {exc}.") from None
        except ApiUnavailable as exc:
            self.address = address
            return ActionRequired(
                f"RigPilot could not reach the Akash Console ({exc}). It checks again by "
                "itself in a few minutes."
            )
        self.address = address
        self._seen(provider)
        self.recent.forget()
        log.info("akash: watching provider %s", address)
        return None

    def remove(self) -> None:
        self.address, self._provider = None, None
        self.recent.forget()
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None

    # --- observation ---------------------------------------------------------------------

    def _seen(self, provider: Any) -> None:
        if isinstance(provider, dict):
            self._provider = provider

    def _gateway_for(self, provider: Any) -> ProviderGateway | None:
        uri = parse.host_uri(provider)
        if uri is None:
            return None
        if self._gateway is None or self._gateway.host_uri != uri:
            if self._gateway is not None:
                self._gateway.close()
            self._gateway = self.gateway_factory(uri)
        return self._gateway

    def _leases(self, provider: Any) -> tuple[int | None, str]:
        """Active leases from the provider's own /status, with why when unknown."""
        gateway = self._gateway_for(provider)
        if gateway is None:
            return None, "the provider has no host URI"
        try:
            return parse.leases_of(gateway.status()), ""
        except NetworkError as exc:
            return None, str(exc)

    def status(self) -> StatusSnapshot:
        now = self.clock()
        if self.address is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        kept = self.recent.get()
        if kept is not None:
            return replace(kept, as_of=now)
        try:
            provider = self.console.provider(self.address)
        except NetworkError as exc:
            return self._without_console(str(exc), now)
        self._seen(provider)
        leases, why = self._leases(provider)
        snap = parse.provider_status(provider, leases, now)
        if why:
            snap.extra["provider_status"] = why
        return snap if snap.state is NodeState.UNKNOWN else self.recent.put(snap)

    def _without_console(self, reason: str, now: float) -> StatusSnapshot:
        """The Console failed: the provider's own /status still says it serves (or not)."""
        if self._provider is not None:
            leases, _ = self._leases(self._provider)
            if leases is not None:
                state = NodeState.BUSY if leases else NodeState.IDLE
                note = f"{reason}; read from the provider's own /status"
                return StatusSnapshot(state, f"{leases} active leases", now, self.address, note)
        return StatusSnapshot(NodeState.UNKNOWN, "", now, self.address, reason)

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return []  # leases are not this machine's work: nothing to charge its power against

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        if self.address is None:
            raise NotEnrolled("Akash is not enrolled yet: enroll it first.")
        now = self.clock()
        first = _date(start if start is not None else now - 30 * DAY_S)
        doc = self.console.earnings(self.address, first, _date(end if end is not None else now))
        amounts = parse.earned(doc)
        if amounts is None:
            raise NetworkError("the Akash Console's earnings answer has no earnings")
        usd = parse.usd_value(doc)
        worth = "" if usd is None else f", worth {usd:.2f} USD when paid"
        return EarningsSummary(
            start, end, amounts, source=f"akash console provider-earnings{worth}", as_of=now
        )

    def reputation(self) -> Reputation | None:
        return parse.reputation(self._provider)


def _date(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()


def build(ctx: AdapterContext) -> AkashMonitor:
    env = ctx.env
    timeout = env_float(env, "RIGPILOT_AKASH_TIMEOUT_S", 6.0, 0.1, 60.0)
    console = AkashConsole(env.get("RIGPILOT_AKASH_CONSOLE") or CONSOLE_URL, timeout_s=timeout)
    return AkashMonitor(console, lambda uri: ProviderGateway(uri, timeout_s=timeout))
