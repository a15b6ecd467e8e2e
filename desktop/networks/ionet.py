"""io.net: its worker runs in io.net's own containers, started by io.net's launch binary.

networks.md §2 in short: the user creates an account and a device on io.net's website
(which gives the device id and a refresh token), downloads the launch binary and, once,
runs io.net's setup script (Docker, NVIDIA driver and toolkit). RigPilot runs that binary
with the documented flags, reads the worker's health from its containers, and reads pay
and proof-of-work results from the Explorer API with a token the user copies from the
browser (optional; valid 21 days). Pause exists only on io.net's website, so pausing here
stops the worker (not Pausable). Staking, the 12-hour wait after onboarding and the
website's own pause stay the user's, on io.net's website.

Two promises beyond io.net's own instructions: RigPilot stops only containers whose image
is io.net's (never the user's others), and since io.net blocks devices whose GPU others use
above a threshold (``penalties().max_idle_gpu_util_pct``), the reconciler stops io.net's
worker at once when a game or another program appears on the GPU. io.net's install guide
says its binary removes the other containers on the machine when it starts; RigPilot
checks after each start and, if any vanished, says which, stops io.net and starts it no
more until the user enrolls it again.

Capabilities: Enrollable, Controllable, EarningsReporter, ReputationReporter, and
``agent_pids`` (the worker's processes are io.net's, not "another program").
Overrides read by ``SPEC``'s factory: ``RIGPILOT_IONET_EXPLORER`` (the Explorer's base
URL), ``RIGPILOT_IONET_TIMEOUT_S`` (its read timeout), ``RIGPILOT_IONET_LABEL``
(``key=value``: only containers with that label are io.net's; tests share one engine).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks.base import EnrollmentError, NetworkError
from desktop.networks.ionet_api import EXPLORER_URL, ExplorerApi
from desktop.networks.ionet_containers import IoContainers, Listing
from desktop.networks.ionet_explorer import ExplorerReader
from desktop.networks.ionet_launch import LaunchCommand, LaunchRun, binary_problem
from desktop.networks.ionet_requirements import check_requirements, strictest_threshold
from desktop.networks.ionet_spec import SPEC
from desktop.networks.ionet_token import HOW_TO_GET, VALID_DAYS, KnownTokens, day_of, jwt_expiry
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
from desktop.networks.remote_api import ApiRefused, ApiUnavailable, CredentialRefused, env_float
from desktop.networks.spec import AdapterContext, wall_now

log = logging.getLogger(__name__)

LAUNCH_TIMEOUT_S = 3600.0  # the first start pulls about 20 GB of containers
STARTUP_GRACE_S = 300.0  # the monitor container may come up after the worker
STOP_GRACE_S = 30  # docker stop --time for a graceful stop
_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


class IonetAdapter:
    """One io.net device on this machine."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self,
        explorer: ExplorerApi | None = None,
        containers: IoContainers | None = None,
        env: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        clock_now: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        launch_timeout_s: float = LAUNCH_TIMEOUT_S,
    ) -> None:
        self.clock = clock_now or wall_now
        self.explorer = ExplorerReader(explorer or ExplorerApi(), self.clock)
        self.containers = containers or IoContainers()
        self.known_tokens = KnownTokens(data_dir / "ionet-explorer-token" if data_dir else None)
        self.env = None if env is None else dict(env)
        self.sleep, self.launch_timeout_s = sleep, launch_timeout_s
        self.command: LaunchCommand | None = None
        self.removed_by_launcher: list[str] = []
        self._run: LaunchRun | None = None
        self._started_at: float | None = None
        self._gpu_names: tuple[str, ...] = ()
        self._lock = threading.Lock()  # one start or stop at a time

    # --- description -------------------------------------------------------------

    def credential_schema(self) -> Sequence[CredentialField]:
        site = "https://cloud.io.net"
        return [
            CredentialField(
                "launch_binary",
                CredentialKind.TEXT,
                True,
                "The full path of io_net_launch_binary_linux, downloaded from io.net "
                "(github.com/ionet-official/io_launch_binaries) and made executable. RigPilot "
                "never downloads it for you.",
                url="https://github.com/ionet-official/io_launch_binaries",
                label="Launch binary",
            ),
            CredentialField(
                "device_id",
                CredentialKind.TEXT,
                True,
                "The device id from io.net's 'Connect New Worker' wizard (IO Worker page).",
                url=site,
                label="Device id",
            ),
            CredentialField(
                "device_name",
                CredentialKind.TEXT,
                True,
                "The device name you gave in the same wizard.",
                url=site,
                label="Device name",
            ),
            CredentialField(
                "token",
                CredentialKind.DEVICE_TOKEN,
                True,
                "The refresh token io.net's wizard gives for its --token option (silent "
                "sign-in). Kept in your keyring; while the launch binary runs, other users "
                "of this computer can see it in the process list, as with io.net's own "
                "command.",
                url=site,
                secret=True,
                label="Device token",
            ),
            CredentialField(
                "explorer_token",
                CredentialKind.SESSION_JWT,
                False,
                "Optional, for earnings and reputation: " + HOW_TO_GET,
                url="https://explorer.io.net",
                expires_days=VALID_DAYS,
                secret=True,
                label="Explorer token",
            ),
        ]

    def penalties(self) -> NetworkPenalties:
        # Pausing is only possible on io.net's website: a pause stops the worker, which
        # ends a hire early; the GPU rule is the strictest of this machine's cards.
        return NetworkPenalties(
            pause_voids_job_pay=True,
            can_pause=False,
            max_idle_gpu_util_pct=strictest_threshold(self._gpu_names),
        )

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        self._gpu_names = facts.gpu_names  # the idle rule depends on the cards
        return check_requirements(facts)

    # --- enrollment --------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        binary = Path((creds.get("launch_binary") or "").strip()).expanduser()
        problem = binary_problem(binary)
        if problem:
            raise EnrollmentError(problem, "launch_binary")
        device_id = (creds.get("device_id") or "").strip()
        if not _DEVICE_ID.match(device_id):
            raise EnrollmentError(
                "The device id should be the id io.net's wizard shows (letters, digits and "
                "dashes, like 599ef4af-7fe6-44b5-aba3-25899bde2ab6).",
                "device_id",
            )
        name = (creds.get("device_name") or "").strip()
        if not _NAME.match(name):
            raise EnrollmentError(
                "The device name must be 1 to 64 characters without control characters.",
                "device_name",
            )
        token = (creds.get("token") or "").strip()
        if not token or any(c.isspace() for c in token):
            raise EnrollmentError("The device token must be one word, as io.net gives it.", "token")
        explorer_token = (creds.get("explorer_token") or "").strip()
        if explorer_token and explorer_token.count(".") != 2:
            raise EnrollmentError(
                "That is not an Explorer token: it is a JWT, three parts joined by dots. "
                + HOW_TO_GET,
                "explorer_token",
            )
        if explorer_token:
            self._check_explorer_token(device_id, explorer_token)
        with self._lock:
            self.command = LaunchCommand(binary, device_id, name, token)
            self.removed_by_launcher = []  # enrolling again is the user's go-ahead
        self.explorer.configure(device_id, explorer_token or None)
        return None

    def _check_explorer_token(self, device_id: str, token: str) -> None:
        """Refuse a new Explorer token that has ended or that the Explorer refuses; one
        accepted before is not checked again (ionet_token.KnownTokens says why)."""
        if self.known_tokens.known(token):
            return
        ends = jwt_expiry(token)
        if ends is not None and ends <= self.clock():
            raise EnrollmentError(
                f"This Explorer token expired on {day_of(ends)}: copy a fresh one. {HOW_TO_GET}",
                "explorer_token",
            )
        try:
            self.explorer.api.check(device_id, token)
        except CredentialRefused as exc:
            raise EnrollmentError(
                f"io.net's Explorer refused this token ({exc}): copy a fresh one. {HOW_TO_GET}",
                "explorer_token",
            ) from None
        except (ApiUnavailable, ApiRefused) as exc:
            log.info("ionet: the Explorer token could not be checked now (%s); using it", exc)
        self.known_tokens.remember(token)

    def remove(self) -> None:
        """Stop io.net's containers and forget the device (the binary and io.net's own
        cache stay: they are the user's)."""
        self.stop(False, 0.0)
        with self._lock:
            self.command = None
        self.explorer.configure("", None)

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Run the launch binary and wait (at most ``launch_timeout_s``) until io.net's
        worker container runs; adopt a worker that already runs. A stop meanwhile ends
        the wait (the stop kills the binary)."""
        with self._lock:
            command = self.command
            if command is None:
                raise NetworkError("io.net is not enrolled yet: enroll it first.")
            if self.removed_by_launcher:
                raise NetworkError(self._removal_notice())
            problem = binary_problem(command.binary)
            if problem:
                raise NetworkError(problem)
            before = self.containers.listing()
            self._started_at = self.clock()
            if before.running("worker"):
                log.info("ionet: adopting the running io.net worker")
                return
            run = self._run = LaunchRun(command, self.env)
        up = run.wait_until(self._worker_up, self.launch_timeout_s, self.sleep)
        with self._lock:
            if self._run is not run:
                raise NetworkError("io.net was stopped while its launch binary was starting.")
            if not up:
                run.stop()
                self._run = None
                code = run.exit_code
                what = (
                    f"did not bring the worker up within {self.launch_timeout_s:.0f} s"
                    if code is None or code < 0
                    else f"exited with code {code}"
                )
                raise NetworkError(f"io.net's launch binary {what}: {run.tail() or 'no output'}")
            self._check_bystanders(before, run)

    def _worker_up(self) -> bool:
        listing = self.containers.listing()
        return bool(listing.running("worker") and listing.running("monitor"))

    def _check_bystanders(self, before: Listing, run: LaunchRun) -> None:
        """Containers of the user's that vanished while the launch binary ran."""
        after = self.containers.listing()
        gone = sorted(name for cid, name in before.others.items() if cid not in after.others)
        if not gone:
            return
        self.removed_by_launcher = gone
        log.error("ionet: containers disappeared while the launch binary ran: %s", gone)
        run.stop()
        self._run = None
        self.containers.stop(0)
        raise NetworkError(self._removal_notice())

    def _removal_notice(self) -> str:
        return (
            "These containers of yours disappeared while io.net's launch binary was starting: "
            f"{', '.join(self.removed_by_launcher)} (io.net's install guide says it removes "
            "other containers). RigPilot stopped io.net and will not start it again until "
            "you enroll io.net again."
        )

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        """Stop the launch binary if it still runs, then ``docker stop`` (30 s grace when
        graceful; 0 kills at once) and remove io.net's containers, and only io.net's.
        io.net's jobs are its platform's: their end cannot be seen here, so a graceful
        stop does not wait for one."""
        with self._lock:
            run, self._run, self._started_at = self._run, None, None
            if run is not None:
                run.stop()
            grace = STOP_GRACE_S if graceful else max(0, min(STOP_GRACE_S, int(timeout_s)))
            stopped = self.containers.stop(grace)
        if stopped:
            log.info("ionet: stopped %s", ", ".join(stopped))

    def agent_pids(self) -> set[int]:
        """The worker's processes (host pids): io.net's own use of the GPU."""
        return self.containers.agent_pids()

    # --- observation -------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        now = self.clock()
        if self.command is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        device = self.command.device_id
        if self.removed_by_launcher:
            return StatusSnapshot(NodeState.ERROR, "refused", now, device, self._removal_notice())
        try:
            listing = self.containers.listing()
        except NetworkError as exc:
            return StatusSnapshot(NodeState.ERROR, "docker", now, device, str(exc))
        state, native, message = self._local_state(listing, now)
        extra: dict[str, object] = {
            "containers": [f"{c.name} ({c.image}, {c.status})" for c in listing.io],
            "idle_gpu_rule_pct": self.penalties().max_idle_gpu_util_pct,
        }
        if state in (NodeState.IDLE, NodeState.BUSY):
            state, message = self._with_explorer(state, extra)
        token = self.explorer.token
        action = None if token is None else token.action(now)
        if action is not None:
            extra["action_required"] = action.to_json()
        return StatusSnapshot(state, native, now, device, message, extra)

    def _with_explorer(self, state: NodeState, extra: dict[str, object]) -> tuple[NodeState, str]:
        """A running worker as io.net's Explorer sees it: hired or not, and its figures.
        Without a token the local state stands (said so); with one that has ended or
        been refused, or an Explorer that cannot be read, the state is unknown, with why."""
        token = self.explorer.token
        if token is None:
            return state, self.explorer.notice()
        if not token.usable(self.clock()):
            return NodeState.UNKNOWN, self.explorer.notice()
        extra["explorer"] = self.explorer.summary()
        if not token.usable(self.clock()) or self.explorer.seen.note:
            return NodeState.UNKNOWN, (
                "io.net's worker runs here, but its state on io.net is unknown: "
                + self.explorer.notice()
            )
        if self.explorer.hired_now():
            state = NodeState.BUSY
        return state, token.notice(self.clock())

    def _local_state(self, listing: Listing, now: float) -> tuple[NodeState, str, str]:
        workers, monitors = listing.running("worker"), listing.running("monitor")
        native = f"io-worker-vc {len(workers)} running, io-worker-monitor {len(monitors)} running"
        run = self._run
        launching = run is not None and run.exit_code is None
        young = self._started_at is not None and now - self._started_at < STARTUP_GRACE_S
        if not workers:
            if launching:
                return (
                    NodeState.STARTING,
                    native,
                    (
                        "io.net's launch binary is setting up its worker (the first start "
                        "downloads about 20 GB)."
                    ),
                )
            stopped = [c for c in listing.io if c.role == "worker"]
            code = f" (exit code {stopped[0].exit_code})" if stopped else ""
            return NodeState.OFFLINE, native, f"io.net's worker container is not running{code}."
        if len(workers) > 1:
            return (
                NodeState.ERROR,
                native,
                (
                    f"{len(workers)} io-worker-vc containers run; io.net fails then. Stop io.net "
                    "and start it again."
                ),
            )
        sick = [c.name for c in workers + monitors if c.health == "unhealthy"]
        if sick:
            return NodeState.ERROR, native, f"Docker reports {', '.join(sick)} unhealthy."
        if not monitors or any(c.health == "starting" for c in workers + monitors):
            if young or launching:
                return NodeState.STARTING, native, "io.net's worker is starting."
            if not monitors:
                return NodeState.ERROR, native, "io.net's io-worker-monitor is not running."
        return NodeState.IDLE, native, ""

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return self.explorer.jobs(since)

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        return self.explorer.earnings(start, end)

    def reputation(self) -> Reputation | None:
        return self.explorer.reputation()


def _label(text: str) -> dict[str, str]:
    key, _, value = text.partition("=")
    return {key.strip(): value.strip()} if key.strip() else {}


def build(ctx: AdapterContext) -> IonetAdapter:
    return IonetAdapter(
        explorer=ExplorerApi(
            ctx.env.get("RIGPILOT_IONET_EXPLORER", EXPLORER_URL),
            timeout_s=env_float(ctx.env, "RIGPILOT_IONET_TIMEOUT_S", 5.0, 0.1, 60.0),
        ),
        containers=IoContainers(label_filter=_label(ctx.env.get("RIGPILOT_IONET_LABEL", ""))),
        env=ctx.env,
        data_dir=ctx.data_dir,
    )
