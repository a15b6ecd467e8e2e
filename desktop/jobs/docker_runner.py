"""Run jobs in hardened Docker containers: the only docker SDK user outside network agents.

The container profile itself is one pure function, ``container_config`` (desktop/jobs/
profile.py, re-exported here); this module adds what needs the engine:

- :func:`preflight_image` inspects the local image before a start and refuses one whose
  own config sets LD_* or NVIDIA_* variables (NVIDIAScape, CVE-2025-23266: the NVIDIA hook
  ran with host privileges and inherited the image's LD_PRELOAD), one that is too big, or
  one that is missing (never pulled unless the owner allowed pulling pinned images);
- :class:`DockerRunner` starts, pauses, stops and watches containers, enforces the
  deadline, reads the exit reason (exit code, OOM, deadline, guard, user), keeps the last
  64 KiB of output, and reconciles at start (orphans removed, lost jobs interrupted);
- :func:`reap`, used by the reaper process (desktop/jobs/lease.py says why containers
  never outlive the worker).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import psutil
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from desktop import clock as wall
from desktop.jobs.engine_words import unreachable_words
from desktop.jobs.lease import Lease
from desktop.jobs.load import LoadPlayer, SetLoad
from desktop.jobs.profile import (
    LABEL_INSTALL,
    LABEL_JOB,
    LABEL_MANAGED,
    LABEL_WORKER,
    container_config,
    job_network_name,
    profile_violations,
)
from desktop.jobs.runner import (
    STOP_MESSAGES,
    ExitInfo,
    GpuSlot,
    ReconcileResult,
    RunnerError,
    RunningJob,
    tail_bytes,
)
from desktop.jobs.spec import JobSpec, SpecRefused, forbidden_env_key
from desktop.model import MANAGED_SELECTOR, ExitReason

__all__ = [
    "DockerRunner",
    "ImageFacts",
    "connect",
    "container_config",
    "preflight_image",
    "profile_violations",
    "reap",
]

DEFAULT_MAX_IMAGE_BYTES = 30 * 1024**3
MAX_IMAGE_VOLUMES = 8
LOG_TAIL_LINES = 500
LIVE_STATES = ("created", "running", "paused", "restarting")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageFacts:
    """What preflight learnt about a local image."""

    image_id: str
    size_bytes: int
    volumes: tuple[str, ...]


def preflight_image(
    client: docker.DockerClient,
    image: str,
    *,
    allow_pull: bool = False,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> ImageFacts:
    """Inspect the local image and refuse it when its own config is dangerous or too big."""
    try:
        found = client.images.get(image)
    except ImageNotFound:
        if not (allow_pull and "@sha256:" in image):
            raise SpecRefused(
                "image_missing",
                f"The image {image} is not on this machine; load it first (docker pull or "
                "docker load), or enable pulling pinned images in the settings.",
                field="image",
            ) from None
        found = client.images.pull(image)
    config = found.attrs.get("Config") or {}
    for item in config.get("Env") or []:
        key = str(item).split("=", 1)[0]
        if forbidden_env_key(key):
            raise SpecRefused(
                "image_env_forbidden",
                f"The image {image} sets {key} in its own config; such images can run code "
                "with host privileges through the NVIDIA hooks (CVE-2025-23266), so it is refused.",
                field="image",
            )
    size = int(found.attrs.get("Size") or 0)
    if size > max_bytes:
        raise SpecRefused(
            "image_too_large",
            f"The image {image} is {size / 1024**3:.1f} GiB, over the {max_bytes / 1024**3:.0f} "
            "GiB limit for one job.",
            field="image",
        )
    volumes = tuple(sorted(config.get("Volumes") or {}))
    if len(volumes) > MAX_IMAGE_VOLUMES or any(not v.startswith("/") for v in volumes):
        raise SpecRefused(
            "image_volumes_refused", f"The image {image} declares too many volumes.", "image"
        )
    return ImageFacts(found.id, size, volumes)


def connect(timeout_s: float = 30.0) -> docker.DockerClient:
    """A client for the engine in DOCKER_HOST (or the platform default); RunnerError if none."""
    try:
        client = docker.from_env(timeout=int(timeout_s))
        client.ping()
    except DockerException as exc:
        log.info("Docker engine not reachable: %s", exc)
        words = unreachable_words(exc)
        raise RunnerError("engine_unavailable", words[:1].upper() + words[1:]) from exc
    return client


def reap(client: docker.DockerClient, labels: list[str], stop_timeout_s: int = 5) -> list[str]:
    """Stop and remove every container (and job network) carrying all ``labels`` (k=v)."""
    removed = []
    for container in client.containers.list(
        ignore_removed=True, all=True, filters={"label": labels}
    ):
        try:
            if container.status in ("running", "paused", "restarting"):
                if container.status == "paused":
                    container.unpause()
                container.stop(timeout=stop_timeout_s)
            container.remove(v=True, force=True)
            removed.append(container.id)
        except NotFound:
            continue
    for network in client.networks.list(filters={"label": labels}):
        try:
            network.remove()
        except (NotFound, APIError):
            continue
    return removed


class DockerRunner:
    """The Runner (desktop/jobs/runner.py) on a Docker engine.

    ``install_id`` scopes reconcile to this installation's containers; ``worker_id``
    names this worker instance for its reaper. ``lease_dir`` holds the lease file (the
    runtime folder); without it no reaper is started (tests of the runner alone).
    """

    kind = "docker"

    def __init__(
        self,
        client: docker.DockerClient | None = None,
        *,
        install_id: str,
        worker_id: str | None = None,
        lease_dir: Path | None = None,
        allow_pull: bool = False,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        clock: Callable[[], float] = wall.read,
        set_load: SetLoad | None = None,
    ) -> None:
        self.client = client or connect()
        self._set_load = set_load
        self._players: dict[str, LoadPlayer] = {}  # containers on a simulated GPU
        self.install_id = install_id
        self.worker_id = worker_id or f"{install_id[:8]}-{os.getpid()}-{secrets.token_hex(3)}"
        self.allow_pull = allow_pull
        self.max_image_bytes = max_image_bytes
        self.clock = clock
        self.lease: Lease | None = None
        self._live: set[str] = set()  # container ids started and not yet seen ending
        if lease_dir is not None:
            label = f"{LABEL_WORKER}={self.worker_id}"
            self.lease = Lease(lease_dir / f"jobs-{self.worker_id}.lease", label)

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL_INSTALL: self.install_id, LABEL_WORKER: self.worker_id}

    # --- life cycle ------------------------------------------------------------------

    def preflight(self, spec: JobSpec) -> None:
        self._preflight(spec)

    def _preflight(self, spec: JobSpec) -> ImageFacts:
        try:
            return preflight_image(
                self.client, spec.image, allow_pull=self.allow_pull, max_bytes=self.max_image_bytes
            )
        except DockerException as exc:
            raise RunnerError("engine_error", f"Docker could not inspect the image: {exc}") from exc

    def start(self, spec: JobSpec, gpu: GpuSlot | None) -> RunningJob:
        facts = self._preflight(spec)
        gpu_uuid = gpu.uuid if gpu is not None and not gpu.simulated else None
        config = container_config(spec, gpu_uuid, self.labels, facts.volumes, facts.image_id)
        violations = profile_violations(config)
        if violations:  # a bug in container_config: never run such a container
            raise RunnerError("profile_violation", "; ".join(violations))
        if self.lease is not None:  # before the container: never one without a reaper
            try:
                self.lease.ensure_reaper()
            except OSError as exc:
                raise RunnerError("reaper_failed", f"Cannot start the job reaper: {exc}") from exc
        container = None
        try:
            if spec.needs_network:
                self._create_network(spec)
            container = self.client.containers.create(**config)
            container.start()
        except DockerException as exc:
            if container is not None:
                self._remove(container.id)
            self._remove_network(spec.job_id)
            raise RunnerError("start_failed", f"Docker could not start the job: {exc}") from exc
        self._live.add(container.id)
        now = self.clock()
        if gpu is not None and gpu.simulated:
            profile = spec.load_profile or ((spec.deadline_s, 1.0),)
            player = LoadPlayer(profile, self._set_load, gpu.index, last_ts=now)
            player.apply(profile[0][1])
            self._players[container.id] = player
        return RunningJob(spec, gpu, container.id, now, now + spec.deadline_s)

    def _create_network(self, spec: JobSpec) -> None:
        """A bridge of the job's own, no traffic with other containers (icc off).

        Blocking LAN destinations (10/8, 172.16/12, 192.168/16, link-local...) needs
        iptables rules in DOCKER-USER, installed by a privileged helper: not done here.
        """
        try:
            self.client.networks.create(
                job_network_name(spec.job_id, self.install_id),
                driver="bridge",
                options={"com.docker.network.bridge.enable_icc": "false"},
                labels={**self.labels, LABEL_MANAGED: "1", LABEL_JOB: spec.job_id},
            )
        except APIError as exc:
            raise RunnerError(
                "egress_unavailable",
                f"This Docker engine cannot give the job its own network: {exc.explanation}",
            ) from exc

    def pause(self, job: RunningJob) -> None:
        self._call(job, "pause")
        self._play(job)
        job.paused = True
        self._play(job)

    def unpause(self, job: RunningJob) -> None:
        self._call(job, "unpause")
        self._play(job)
        job.paused = False
        self._play(job)

    def _play(self, job: RunningJob, ended: bool = False) -> None:
        """Advance the simulated GPU's load for a container on a simulated GPU."""
        player = self._players.get(job.ref)
        if player is None:
            return
        player.advance(self.clock(), job.paused)
        player.apply(0.0 if ended or job.paused else player.current_load())
        if ended:
            del self._players[job.ref]

    def stop(self, job: RunningJob, reason: ExitReason, timeout_s: float = 10.0) -> None:
        job.stop_reason = job.stop_reason or reason
        if job.paused:  # a frozen job cannot act on SIGTERM
            self.unpause(job)
        self._call(job, "stop", timeout=max(0, int(timeout_s)))

    def kill(self, job: RunningJob, reason: ExitReason) -> None:
        job.stop_reason = job.stop_reason or reason
        self._call(job, "kill")
        job.paused = False

    def _call(self, job: RunningJob, method: str, **kwargs: Any) -> None:
        try:
            getattr(self.client.containers.get(job.ref), method)(**kwargs)
        except NotFound:
            return  # gone already: poll() reports it
        except APIError as exc:
            if exc.status_code == 409:  # not running / not paused: nothing to do
                return
            raise RunnerError("engine_error", f"Docker could not {method} the job: {exc}") from exc
        except DockerException as exc:
            raise RunnerError("engine_error", f"Docker could not {method} the job: {exc}") from exc

    # --- watching --------------------------------------------------------------------

    def poll(self, job: RunningJob) -> ExitInfo | None:
        if job.exit is not None:
            return job.exit
        try:
            container = self.client.containers.get(job.ref)
        except NotFound:
            job.exit = ExitInfo(
                job.stop_reason or ExitReason.ERROR,
                None,
                self.clock(),
                "The container disappeared (removed outside RigPilot).",
            )
            self._play(job, ended=True)
            self._live.discard(job.ref)
            return job.exit
        except DockerException as exc:
            raise RunnerError("engine_error", f"Docker could not inspect the job: {exc}") from exc
        if container.status in LIVE_STATES:
            self._play(job)
            if self.clock() < job.deadline_ts:
                return None
            self.kill(job, ExitReason.DEADLINE)  # keeps an earlier stop's reason
            container.reload()
            if container.status in LIVE_STATES:
                return None
        job.exit = self._exit_info(job, container)
        self._play(job, ended=True)
        self._live.discard(job.ref)
        self._remove(job.ref)
        self._remove_network(job.spec.job_id)
        return job.exit

    def _exit_info(self, job: RunningJob, container: Any) -> ExitInfo:
        state = container.attrs.get("State") or {}
        code = state.get("ExitCode")
        logs = self._logs(container)
        if job.stop_reason is not None:
            reason, message = job.stop_reason, STOP_MESSAGES[job.stop_reason]
        elif state.get("OOMKilled") and code != 0:
            reason, message = (
                ExitReason.OOM,
                f"Killed: the job used more than {job.spec.memory_mb} MB.",
            )
        elif state.get("Error"):
            reason, message = ExitReason.ERROR, str(state["Error"])
        else:
            reason = ExitReason.EXITED
            message = STOP_MESSAGES[reason] if code == 0 else f"The job exited with code {code}."
        return ExitInfo(reason, code, self.clock(), message, logs)

    def _logs(self, container: Any) -> str:
        try:
            return tail_bytes(container.logs(stdout=True, stderr=True, tail=LOG_TAIL_LINES))
        except DockerException:
            return ""

    def logs_tail(self, job: RunningJob) -> str:
        if job.exit is not None:
            return job.exit.logs_tail
        try:
            return self._logs(self.client.containers.get(job.ref))
        except DockerException:
            return ""

    # --- clean-up --------------------------------------------------------------------

    def _remove(self, ref: str) -> None:
        try:
            self.client.containers.get(ref).remove(v=True, force=True)
        except (NotFound, APIError):
            pass

    def _remove_network(self, job_id: str) -> None:
        try:
            self.client.networks.get(job_network_name(job_id, self.install_id)).remove()
        except (NotFound, APIError):
            pass

    def managed(self) -> list[Any]:
        """This installation's job containers, whichever worker instance started them."""
        labels = [f"{LABEL_MANAGED}=1", f"{LABEL_INSTALL}={self.install_id}"]
        return list(
            self.client.containers.list(ignore_removed=True, all=True, filters={"label": labels})
        )

    def reconcile(self, ledger_running: list[str], live: list[str]) -> ReconcileResult:
        """Remove every container of ours no live job owns; report lost ledger jobs.

        A container left by a previous worker instance is removed even if its job is still
        running: the previous worker's guards, deadline and pay tracking died with it, so
        the job is INTERRUPTED rather than adopted.
        """
        try:
            return self._reconcile(ledger_running, live)
        except DockerException as exc:
            raise RunnerError("engine_error", f"Docker could not list the jobs: {exc}") from exc

    def _reconcile(self, ledger_running: list[str], live: list[str]) -> ReconcileResult:
        removed = []
        for container in self.managed():
            if container.labels.get(LABEL_JOB) in live:
                continue
            self._remove(container.id)
            removed.append(container.id)
        labels = [f"{LABEL_MANAGED}=1", f"{LABEL_INSTALL}={self.install_id}"]
        for network in self.client.networks.list(filters={"label": labels}):
            if network.attrs.get("Labels", {}).get(LABEL_JOB) not in live:
                try:
                    network.remove()
                except (NotFound, APIError):
                    pass
        interrupted = [job_id for job_id in ledger_running if job_id not in live]
        return ReconcileResult(interrupted, removed)

    def heartbeat(self) -> None:
        """Renew the lease; restart the reaper if it died while containers run."""
        if self.lease is not None:
            self.lease.renew()
            if self._live:
                self.lease.ensure_reaper()

    def container_pids(self) -> set[int]:
        """Processes of every RigPilot container, jobs and network agents alike (they carry
        the managed label): the activity guard must not take them for a game."""
        pids: set[int] = set()
        try:
            containers = self.client.containers.list(
                ignore_removed=True, filters={"label": MANAGED_SELECTOR}
            )
        except DockerException:
            return pids
        for container in containers:
            root = int((container.attrs.get("State") or {}).get("Pid") or 0)
            if root <= 0:
                continue
            pids.add(root)
            try:
                pids.update(p.pid for p in psutil.Process(root).children(recursive=True))
            except psutil.Error:
                continue
        return pids

    def close(self) -> None:
        if self.lease is not None:
            self.lease.release()
        self.client.close()
