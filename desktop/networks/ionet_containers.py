"""io.net's worker containers on the local Docker engine: found by image, never by guess.

io.net's launch binary creates two containers with Docker's random names from the images
``ionetcontainers/io-worker-vc`` and ``ionetcontainers/io-worker-monitor``
(stop-restart-the-platform.mdx). io.net's own stop command stops and removes *every*
container on the machine; RigPilot touches only containers whose image is under
``ionetcontainers/``, so the user's other containers are never stopped.

``label_filter`` narrows both lists to containers with those labels: tests share one
engine between parallel runs and tag each run's containers.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.jobs.engine_words import unreachable_words
from desktop.networks.base import NetworkError

log = logging.getLogger(__name__)

IMAGE_PREFIX = "ionetcontainers/"
WORKER_IMAGE = "ionetcontainers/io-worker-vc"
MONITOR_IMAGE = "ionetcontainers/io-worker-monitor"


def _docker_from_env() -> Any:
    """The Docker SDK is imported here, once io.net is enrolled: an idle worker loads none
    of it (issue 18)."""
    import docker

    return docker.from_env(timeout=30)


@dataclass(frozen=True)
class IoContainer:
    """One container of io.net's, as docker inspect shows it."""

    id: str
    name: str
    image: str
    status: str  # created, running, exited, ...
    health: str | None = None  # healthy, unhealthy, starting (when the image has a check)
    exit_code: int | None = None
    pid: int = 0

    @property
    def role(self) -> str:
        """ "worker", "monitor" or "other" (an io-launch helper, a later image)."""
        repo = self.image.split("@", 1)[0].rsplit(":", 1)[0]
        if repo == WORKER_IMAGE:
            return "worker"
        return "monitor" if repo == MONITOR_IMAGE else "other"


@dataclass
class Listing:
    """io.net's containers and the others, at one moment."""

    io: list[IoContainer] = field(default_factory=list)
    others: dict[str, str] = field(default_factory=dict)  # id -> name

    def running(self, role: str) -> list[IoContainer]:
        return [c for c in self.io if c.role == role and c.status == "running"]


def _image_of(container: Any) -> str:
    """The image reference the container was created from (``docker ps``'s IMAGE).

    Only this counts, never the image's other tags: a user's container whose image
    happens to be tagged under ``ionetcontainers/`` too is still the user's."""
    return str((container.attrs.get("Config") or {}).get("Image") or "")


def _describe(container: Any, image: str) -> IoContainer:
    state = container.attrs.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    running = container.status == "running"
    return IoContainer(
        id=container.id,
        name=container.name,
        image=image,
        status=str(container.status),
        health=str(health) if health else None,
        exit_code=None if running else state.get("ExitCode"),
        pid=int(state.get("Pid") or 0) if running else 0,
    )


class IoContainers:
    """List, stop and remove io.net's containers; say which other containers exist."""

    def __init__(
        self,
        client_factory: Callable[[], Any] | None = None,
        label_filter: Mapping[str, str] | None = None,
    ) -> None:
        self._factory = client_factory or _docker_from_env
        self._client: Any = None
        self.labels = dict(label_filter or {})
        self._pids: set[int] = set()
        self._lock = threading.Lock()

    def _docker(self) -> Any:
        import docker.errors

        if self._client is None:
            try:
                client = self._factory()
                client.ping()
            except docker.errors.DockerException as exc:
                log.info("Docker engine unreachable: %s", exc)  # the raw error: the log
                words = unreachable_words(exc)
                raise NetworkError(words[:1].upper() + words[1:]) from None
            self._client = client
        return self._client

    def listing(self) -> Listing:
        """Every container (running or not), split into io.net's and the others."""
        import docker.errors

        filters = {"label": [f"{k}={v}" for k, v in self.labels.items()]} if self.labels else {}
        try:
            found = self._docker().containers.list(ignore_removed=True, all=True, filters=filters)
        except docker.errors.DockerException as exc:
            self._client = None
            raise NetworkError(f"Docker could not list the containers: {exc}") from None
        out = Listing()
        for container in found:
            image = _image_of(container)
            if image.startswith(IMAGE_PREFIX):
                out.io.append(_describe(container, image))
            else:
                out.others[container.id] = container.name
        with self._lock:
            self._pids = {c.pid for c in out.io if c.pid > 0}
        return out

    def stop(self, grace_s: int) -> list[str]:
        """Stop (``docker stop --time grace_s``; 0 kills at once) and remove io.net's
        containers, as io.net's own stop does, but only io.net's. Returns their names."""
        import docker.errors

        client, names = self._docker(), []
        for found in self.listing().io:
            try:
                container = client.containers.get(found.id)
                if found.status == "running":
                    log.info(
                        "ionet: stopping %s (%s, grace %d s)", found.name, found.image, grace_s
                    )
                    container.stop(timeout=grace_s)
                container.remove(force=True)
            except docker.errors.NotFound:
                continue  # gone meanwhile
            except docker.errors.APIError as exc:
                if exc.status_code == 409:  # another stop is removing it already
                    log.info("ionet: %s is being removed already", found.name)
                    continue
                message = f"Docker could not stop {found.name}: {exc.explanation}"
                raise NetworkError(message) from None
            names.append(found.name)
        with self._lock:
            self._pids = set()
        return names

    def agent_pids(self) -> set[int]:
        """Host pids of the processes in io.net's running containers, from the last
        listing's main pids and their descendants now (no Docker call: the control loop
        asks). Empty where container pids are not host pids (Docker Desktop's VM)."""
        if not sys.platform.startswith("linux"):
            return set()
        import psutil  # here: a worker without io.net enrolled never asks

        with self._lock:
            roots = set(self._pids)
        pids = set(roots)
        for root in roots:
            try:
                pids.update(p.pid for p in psutil.Process(root).children(recursive=True))
            except psutil.Error:
                continue
        return pids
