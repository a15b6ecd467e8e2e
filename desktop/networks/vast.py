"""Vast.ai: a host machine listed on Vast.ai's marketplace, driven by the host's API key.

networks.md §5 in short: the machine runs Vast.ai's own host daemon (installed from the
logged-in host setup page, Ubuntu); renters get containers or VMs on it. With an API key
RigPilot reads the machine (rented GPUs, reliability, verification), unlists it (its pause)
and lists it again at the terms it had (its resume), and reads the earnings in USD. Unlisting
stops *new* rentals only: "existing contracts must be honoured until their end dates" and
while rented "the hardware can not be used for any other purposes", so on a machine that
is rented RigPilot can only lower the GPU's power limit. Enrolling asks the user to confirm
that this is not a machine they game on.

Capabilities: Enrollable, Pausable (unlist / list again), EarningsReporter (each finished
day's earnings is one paid entry), ReputationReporter (reliability, verification). Not
Controllable: the daemon is Vast.ai's. Overrides read by ``SPEC``'s factory:
``RIGPILOT_VAST_API`` (base URL), ``RIGPILOT_VAST_TIMEOUT_S``, ``RIGPILOT_VAST_SPACING_S``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop.model import CheckResult, Money, NetworkPenalties, NodeState
from desktop.networks import vast_parse as parse
from desktop.networks.base import EnrollmentError, NetworkError, NotEnrolled
from desktop.networks.memo import Memo
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
from desktop.networks.remote_api import (
    ApiUnavailable,
    CredentialRefused,
    RecentStatus,
    env_float,
)
from desktop.networks.spec import AdapterContext, wall_now
from desktop.networks.vast_api import API_URL, SPACING_S, VastApi
from desktop.networks.vast_spec import SPEC

log = logging.getLogger(__name__)

KEY_URL = "https://cloud.vast.ai/manage-keys/"
RENEW = "Create a new API key on Vast.ai (web login: Keys) and enroll again: rigpilot enroll vast"
DEDICATED_WARNING = (
    "A rented Vast.ai machine cannot be taken back: until the rental's end date the renter "
    "has its GPU, even when you start a game (Vast.ai: the hardware can not be used for "
    "any other purposes). RigPilot can only unlist it (no new rentals) and lower the power "
    "limit. Do not list a computer you also game on."
)
FRESH_S = 15.0  # a status is asked again after this long
ApiFactory = Callable[[str], VastApi]


class VastAdapter:
    """One machine of a Vast.ai host account, by API key."""

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
        self.api: VastApi | None = None
        self.machine: int | None = None
        self._seen: dict[str, Any] | None = None  # the machine as last read
        self.recent = RecentStatus(FRESH_S)

    # --- description -------------------------------------------------------------------

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "api_key",
                CredentialKind.API_KEY,
                True,
                "The API key of your Vast.ai host account: log in on cloud.vast.ai, open Keys "
                "and create one (the same key `vastai set api-key` stores).",
                url=KEY_URL,
                secret=True,
                label="API key",
            ),
            CredentialField(
                "machine_id",
                CredentialKind.TEXT,
                False,
                "This machine's id (`vastai show machines`). Leave empty when your account "
                "hosts one machine.",
                label="Machine id",
            ),
            CredentialField(
                "dedicated",
                CredentialKind.TEXT,
                True,
                DEDICATED_WARNING + " Type yes to confirm this is a dedicated machine.",
                label="Dedicated machine (yes)",
            ),
        ]

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        native = facts.os == "linux" and not facts.is_wsl
        models = sorted(set(facts.gpu_names))
        ram_needed = 4.0 * max(1, len(facts.gpu_names))
        return [
            requirement(
                "vast.native_linux",
                "Linux machine",
                native,
                "Native Linux" if native else ("WSL" if facts.is_wsl else facts.os.capitalize()),
                "Vast.ai's host daemon needs Ubuntu 18.04 or newer installed on the machine; "
                "run RigPilot there.",
            ),
            requirement(
                "vast.gpu",
                "One GPU model",
                len(models) == 1,
                ", ".join(models) or "no NVIDIA GPU found",
                "All GPUs of a Vast.ai machine must be of the same type.",
            ),
            requirement(
                "vast.ram",
                "Memory",
                facts.ram_gb >= ram_needed * 0.95,
                f"{facts.ram_gb:.1f} GB RAM",
                f"Vast.ai asks for at least 4 GB of RAM per GPU ({ram_needed:.0f} GB here).",
                ram_gb=facts.ram_gb,
            ),
        ]

    def penalties(self) -> NetworkPenalties:
        # A rental cannot be frozen or taken back (unlisting stops new ones only): heat is
        # answered with the power limit, never with short pauses.
        return NetworkPenalties(pause_voids_job_pay=True, can_pause=False)

    # --- enrollment --------------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        if (creds.get("dedicated") or "").strip().lower() != "yes":
            raise EnrollmentError(DEDICATED_WARNING + " Type yes to go on.", "dedicated")
        wanted = (creds.get("machine_id") or "").strip()
        if wanted and not wanted.isdigit():
            raise EnrollmentError(
                f"{wanted!r} is not a Vast.ai machine id (a number).", "machine_id"
            )
        api = self.api_factory((creds.get("api_key") or "").strip())
        try:
            found = parse.machines(api.machines())
        except CredentialRefused:
            raise EnrollmentError(
                "Vast.ai refused this API key: copy it again from cloud.vast.ai (Keys), or "
                "create a new one.",
                "api_key",
            ) from None
        except ApiUnavailable as exc:
            self.api = api
            return ActionRequired(
                f"RigPilot could not reach Vast.ai to check the key ({exc}). It checks again "
                "by itself in a few minutes.",
                url=KEY_URL,
            )
        except NetworkError as exc:
            raise EnrollmentError(f"Vast.ai refused the request: {exc}.") from None
        machine = self._choose(found, int(wanted) if wanted else None)
        self.api, self.machine = api, parse.machine_id(machine)
        if self.memo.read().get("machine") != self.machine:  # what was kept was another's
            self.memo.write(machine=self.machine, terms=None, listed=None)
        self._remember(machine)
        self.recent.forget()
        log.info("vast: enrolled machine %s", self.machine)
        return None

    @staticmethod
    def _choose(found: list[dict[str, Any]] | None, wanted: int | None) -> dict[str, Any]:
        if found is None:
            raise EnrollmentError("Vast.ai's list of your machines was not readable; try again.")
        ids = [parse.machine_id(m) for m in found]
        if wanted is not None:
            if wanted in ids:
                return found[ids.index(wanted)]
            raise EnrollmentError(
                f"Your Vast.ai account has no machine {wanted} (it has: "
                f"{', '.join(map(str, ids)) or 'none'}).",
                "machine_id",
            )
        if len(found) == 1:
            return found[0]
        if not found:
            raise EnrollmentError(
                "Your Vast.ai account hosts no machine yet: install the host daemon from "
                "cloud.vast.ai/host/setup (web login) on this machine, then enroll again."
            )
        raise EnrollmentError(
            f"Your Vast.ai account hosts several machines ({', '.join(map(str, ids))}): give "
            "this machine's id.",
            "machine_id",
        )

    def _remember(self, machine: dict[str, Any]) -> None:
        """Keep the machine as last read, and its listing terms while it has some."""
        self._seen = machine
        terms = parse.listing_terms(machine)
        if terms:
            self.memo.write(machine=parse.machine_id(machine), terms=terms)

    def remove(self) -> None:
        """Forget the key and the machine (the listing stays as it is on Vast.ai)."""
        if self.api is not None:
            self.api.close()
        self.api, self.machine, self._seen = None, None, None
        self.recent.forget()
        self.memo.clear()

    # --- Pausable: unlist and list again ----------------------------------------------

    def pause(self) -> None:
        api, machine = self._enrolled()
        self._read_machine(api, machine)  # keeps the terms to list again at
        api.unlist(machine)
        self.memo.write(listed=False)
        self.recent.forget()
        log.info("vast: machine %s unlisted (rentals running now go on)", machine)

    def resume(self) -> None:
        api, machine = self._enrolled()
        current = self._read_machine(api, machine)
        if current is not None and current.get("listed") is True:
            self.memo.write(listed=True)
            return
        terms = self.memo.read().get("terms")
        if not isinstance(terms, dict) or not terms:
            raise NetworkError(
                "RigPilot does not know the terms this machine was listed at: list it once "
                "on cloud.vast.ai or with `vastai list machine`, then RigPilot can unlist and "
                "list it again."
            )
        api.list(machine, terms)
        self.memo.write(listed=True)
        self.recent.forget()
        log.info("vast: machine %s listed again at %s $/GPU/h", machine, terms.get("price_gpu"))

    def _enrolled(self) -> tuple[VastApi, int]:
        if self.api is None or self.machine is None:
            raise NotEnrolled("Vast.ai is not enrolled yet: enroll it first.")
        return self.api, self.machine

    def _read_machine(self, api: VastApi, machine: int) -> dict[str, Any] | None:
        found = parse.machines(api.machines())
        current = next((m for m in found or [] if parse.machine_id(m) == machine), None)
        if current is not None:
            self._remember(current)
        return current

    # --- observation ---------------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        now = self.clock()
        if self.api is None or self.machine is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        kept = self.recent.get()
        if kept is not None:
            return replace(kept, as_of=now)
        try:
            doc = self.api.machines()
        except CredentialRefused as exc:
            return StatusSnapshot(NodeState.ERROR, "key refused", now, message=f"{exc}. {RENEW}")
        except NetworkError as exc:
            return StatusSnapshot(NodeState.UNKNOWN, "", now, message=str(exc))
        found = parse.machines(doc)
        if found is None:
            return StatusSnapshot(
                NodeState.UNKNOWN, "", now, message="Vast.ai's answer has no list of machines"
            )
        machine = next((m for m in found if parse.machine_id(m) == self.machine), None)
        if machine is not None:
            self._remember(machine)
        listed = self.memo.read().get("listed")
        snap = parse.machine_status(machine, listed if isinstance(listed, bool) else None, now)
        return snap if snap.state is NodeState.UNKNOWN else self.recent.put(snap)

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        api, machine = self._enrolled()
        now = self.clock()
        first = int((start if start is not None else now - 30 * parse.DAY_S) // parse.DAY_S)
        last = int((end if end is not None else now) // parse.DAY_S)
        doc = api.earnings(first, last, machine)
        earned = parse.total(doc)
        if earned is None:
            raise NetworkError("Vast.ai's earnings answer has no summary")
        balance = parse.balance(doc)
        by_day = {parse.date_of(d): Money(a, "USD", a) for d, a in parse.days(doc).items()}
        return EarningsSummary(
            start,
            end,
            [Money(earned, "USD", earned)],
            pending=[] if balance is None else [Money(balance, "USD", balance)],
            by_day=by_day,
            source="vast.ai machine-earnings",
            as_of=now,
        )

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        """Each finished day's earnings since ``since`` (a week at most), as paid entries."""
        api, machine = self._enrolled()
        today = int(self.clock() // parse.DAY_S)
        first = max(today - 7, int((since or 0) // parse.DAY_S))
        per_day = parse.days(api.earnings(first, today, machine))
        return parse.finished_days(per_day, today)

    def reputation(self) -> Reputation | None:
        return parse.reputation(self._seen)


def build(ctx: AdapterContext) -> VastAdapter:
    env = ctx.env
    url = env.get("RIGPILOT_VAST_API") or API_URL
    timeout = env_float(env, "RIGPILOT_VAST_TIMEOUT_S", 6.0, 0.1, 60.0)
    spacing = env_float(env, "RIGPILOT_VAST_SPACING_S", SPACING_S, 0.0, 60.0)

    def api(key: str) -> VastApi:
        return VastApi(key, url, timeout_s=timeout, spacing_s=spacing)

    memo = Memo(None if ctx.data_dir is None else Path(ctx.data_dir) / "vast.json")
    return VastAdapter(api, memo)
