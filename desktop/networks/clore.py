"""Clore.ai: a dedicated rig rented out by Clore.ai, driven by its host API with a key.

networks.md §7 in short: the rig runs Clore.ai's own hosting software (Ubuntu Server,
installed as root with an init token from the web UI); renters get it as a container.
With an API key (``auth`` header, one request a second) RigPilot reads the server's state
and rental status and the account's wallet balances, and turns availability off and on:
that is this network's pause and resume. Availability off stops *new* rentals only; a
rental already running goes on until it ends, and the status says so. RigPilot runs on
the rig itself (its guards and power limit act on this machine's GPUs).

Capabilities: Enrollable, Pausable (availability), EarningsReporter (wallet balances;
Clore.ai reports no per-rental earnings to hosts, so no jobs). Not Controllable: the
hosting service is Clore.ai's, not RigPilot's. Overrides read by ``SPEC``'s factory:
``RIGPILOT_CLORE_API`` (base URL), ``RIGPILOT_CLORE_TIMEOUT_S``, ``RIGPILOT_CLORE_SPACING_S``
(seconds between requests; the API allows one a second).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks import clore_parse as parse
from desktop.networks.base import EnrollmentError, NetworkError, NotEnrolled
from desktop.networks.clore_api import API_URL, SPACING_S, CloreApi
from desktop.networks.clore_spec import SPEC
from desktop.networks.memo import Memo
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    StatusSnapshot,
    requirement,
)
from desktop.networks.remote_api import (
    ApiUnavailable,
    CredentialRefused,
    RecentStatus,
    env_float,
)
from desktop.networks.spec import AdapterContext, wall_now

log = logging.getLogger(__name__)

KEY_URL = "https://clore.ai/profile"
RENEW = (
    "Create a new API key on clore.ai (web login: Profile → API) and enroll again: "
    "rigpilot enroll clore"
)
FRESH_S = 15.0  # a status is asked again after this long (one request a second at most)
ApiFactory = Callable[[str], CloreApi]


class CloreAdapter:
    """One server of a Clore.ai host account, by API key."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self,
        api_factory: ApiFactory,
        memo: Memo | None = None,
        clock_now: Callable[[], float] | None = None,
    ) -> None:
        self.api_factory = api_factory
        self.memo = memo or Memo(None)
        self.clock = clock_now or wall_now
        self.api: CloreApi | None = None
        self.server: str | None = None
        self.recent = RecentStatus(FRESH_S)

    # --- description -------------------------------------------------------------------

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "api_key",
                CredentialKind.API_KEY,
                True,
                "Your Clore.ai API key: log in on clore.ai, open your profile's API section "
                "and create a key. RigPilot keeps it in your system keyring.",
                url=KEY_URL,
                secret=True,
                label="API key",
            ),
            CredentialField(
                "server_name",
                CredentialKind.TEXT,
                False,
                "The name of this rig in clore.ai → My servers. Leave empty when your "
                "account hosts one server.",
                label="Server name",
            ),
        ]

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        native = facts.os == "linux" and not facts.is_wsl
        models = sorted(set(facts.gpu_names))
        return [
            requirement(
                "clore.native_linux",
                "Linux rig",
                native,
                "Native Linux" if native else ("WSL" if facts.is_wsl else facts.os.capitalize()),
                "Clore.ai's hosting software runs on Ubuntu Server 22.04 installed on the rig; "
                "run RigPilot on that rig.",
            ),
            requirement(
                "clore.gpu",
                "One GPU model",
                len(models) == 1,
                ", ".join(models) or "no NVIDIA GPU found",
                "Clore.ai rents out rigs whose NVIDIA GPUs are all the same model.",
            ),
        ]

    def penalties(self) -> NetworkPenalties:
        # A rental cannot be frozen or taken back (availability stops new ones only), and
        # ending it early is the renter's loss: heat is answered with the power limit.
        return NetworkPenalties(pause_voids_job_pay=True, can_pause=False)

    # --- enrollment --------------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        key = (creds.get("api_key") or "").strip()
        wanted = (creds.get("server_name") or "").strip()
        api = self.api_factory(key)
        try:
            names = parse.server_names(api.my_servers())
        except CredentialRefused:
            raise EnrollmentError(
                "Clore.ai refused this API key: copy it again from your clore.ai profile "
                "(API section), or create a new one.",
                "api_key",
            ) from None
        except ApiUnavailable as exc:
            self.api = api
            return ActionRequired(
                f"RigPilot could not reach Clore.ai to check the key ({exc}). It checks "
                "again by itself in a few minutes.",
                url=KEY_URL,
            )
        except NetworkError as exc:
            raise EnrollmentError(f"Clore.ai refused the request: {exc}.") from None
        self.server = self._choose(names, wanted)
        self.api = api
        if self.memo.read().get("server") != self.server:  # what was set was another's
            self.memo.write(server=self.server, available=None)
        self.recent.forget()
        log.info("clore: enrolled server %r", self.server)
        return None

    @staticmethod
    def _choose(names: list[str] | None, wanted: str) -> str:
        if names is None:
            raise EnrollmentError("Clore.ai's list of your servers was not readable; try again.")
        if wanted:
            if wanted in names:
                return wanted
            known = ", ".join(repr(n) for n in names) or "none"
            raise EnrollmentError(
                f"Your Clore.ai account has no server named {wanted!r} (it has: {known}).",
                "server_name",
            )
        if len(names) == 1:
            return names[0]
        if not names:
            raise EnrollmentError(
                "Your Clore.ai account hosts no server yet: add one on clore.ai (My servers), "
                "install the hosting software on this rig with its init token, then enroll "
                "again."
            )
        raise EnrollmentError(
            "Your Clore.ai account hosts several servers ("
            + ", ".join(repr(n) for n in names)
            + "): give the name of this rig.",
            "server_name",
        )

    def remove(self) -> None:
        """Forget the key and the server (availability stays as it is on clore.ai)."""
        if self.api is not None:
            self.api.close()
        self.api, self.server = None, None
        self.recent.forget()
        self.memo.clear()

    # --- Pausable: availability ----------------------------------------------------------

    def pause(self) -> None:
        self._set_available(False)

    def resume(self) -> None:
        self._set_available(True)

    def _set_available(self, available: bool) -> None:
        api, server = self._enrolled()
        api.set_availability(server, available)
        self.memo.write(available=available)
        self.recent.forget()
        word = "on" if available else "off (a running rental goes on until it ends)"
        log.info("clore: availability of %r is %s", server, word)

    def _enrolled(self) -> tuple[CloreApi, str]:
        if self.api is None or self.server is None:
            raise NotEnrolled("Clore.ai is not enrolled yet: enroll it first.")
        return self.api, self.server

    # --- observation ---------------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        now = self.clock()
        if self.api is None or self.server is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        kept = self.recent.get()
        if kept is not None:
            return replace(kept, as_of=now)
        available = self.memo.read().get("available")
        try:
            doc = self.api.server_config(self.server)
        except CredentialRefused as exc:
            return StatusSnapshot(NodeState.ERROR, "key refused", now, message=f"{exc}. {RENEW}")
        except NetworkError as exc:
            return StatusSnapshot(NodeState.UNKNOWN, "", now, message=str(exc))
        snap = parse.rig_status(doc, available if isinstance(available, bool) else None, now)
        return snap if snap.state is NodeState.UNKNOWN else self.recent.put(snap)

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return []  # Clore.ai tells hosts no per-rental earnings (only wallet balances)

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        """The account's wallet balances (what is there to withdraw), in their own units."""
        api, _ = self._enrolled()
        balances = parse.wallet_balances(api.wallets())
        return EarningsSummary(
            start,
            end,
            [],
            claimable=balances,
            source="clore.ai wallets (balances; Clore.ai reports no per-rental earnings)",
            as_of=self.clock(),
        )


def build(ctx: AdapterContext) -> CloreAdapter:
    env = ctx.env
    url = env.get("RIGPILOT_CLORE_API") or API_URL
    timeout = env_float(env, "RIGPILOT_CLORE_TIMEOUT_S", 6.0, 0.1, 60.0)
    spacing = env_float(env, "RIGPILOT_CLORE_SPACING_S", SPACING_S, 0.0, 60.0)

    def api(key: str) -> CloreApi:
        return CloreApi(key, url, timeout_s=timeout, spacing_s=spacing)

    memo = Memo(None if ctx.data_dir is None else Path(ctx.data_dir) / "clore.json")
    return CloreAdapter(api, memo)
