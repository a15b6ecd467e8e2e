"""The Nosana node's two containers, driven through the Docker API.

The arguments are the ones Nosana documents (networks.md §1, start.sh and the manual start):

* the Podman sidecar: ``--gpus=all --name podman --device /dev/fuse --mount
  source=podman-cache,target=/var/lib/containers --volume podman-socket:/podman --privileged
  -e ENABLE_GPU=true nosana/podman:v1.1.0 unix:/podman/podman.sock``. ``--privileged`` is
  Nosana's own requirement for Podman-in-Docker, which runs the marketplace's job containers.
  RigPilot's own job containers are never privileged (desktop/jobs);
* the node: ``--network host --interactive -t --volume KEY:/root/.nosana/nosana_key.json
  --volume podman-socket:/root/.nosana/podman:ro nosana/nosana-cli:latest node start
  --podman /root/.nosana/podman/podman.sock``.

RigPilot adds its labels (``io.rigpilot.managed=1``, ``io.rigpilot.network=nosana``,
``io.rigpilot.role``) and never pulls an image that is already present (``--pull=always``
is dropped: an update is the user's choice). On start it adopts a running container of
its own, replaces a stopped one, and removes any other labelled node container, so a
crashed worker that starts again never leaves two nodes on one GPU. The Docker SDK is
imported where the containers are driven, not with the module: every worker loads the
module, enrolled in Nosana or not (issue 18).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop.jobs.engine_words import unreachable_words
from desktop.networks.base import NetworkError

log = logging.getLogger(__name__)

LABEL_MANAGED = "io.rigpilot.managed"
LABEL_NETWORK = "io.rigpilot.network"
LABEL_ROLE = "io.rigpilot.role"
NODE_KEY_TARGET = "/root/.nosana/nosana_key.json"
PODMAN_SOCKET = "/root/.nosana/podman/podman.sock"


@dataclass(frozen=True)
class NodeContainerConfig:
    """Everything that shapes the two containers; the defaults are Nosana's documented ones.

    ``gpus`` and ``fuse_device`` exist so that an engine without the NVIDIA runtime (the
    test engine) can still run the stand-in; ``*_entrypoint`` replaces the image's entry
    point (a stand-in image has no ``node`` binary) while keeping the documented command.
    """

    key_path: Path
    node_image: str = "nosana/nosana-cli:latest"
    podman_image: str = "nosana/podman:v1.1.0"
    node_name: str = "nosana-node"
    podman_name: str = "podman"
    cache_volume: str = "podman-cache"
    socket_volume: str = "podman-socket"
    market_network: str | None = None  # "mainnet" | "devnet"; None = the node's default
    api_port: int = 5001
    gpus: bool = True
    fuse_device: bool = True
    privileged_podman: bool = True  # Nosana's requirement, see the module docstring
    node_entrypoint: list[str] | None = None
    podman_entrypoint: list[str] | None = None
    extra_labels: dict[str, str] = field(default_factory=dict)

    def with_(self, **changes: Any) -> NodeContainerConfig:
        return replace(self, **changes)


def labels(cfg: NodeContainerConfig, role: str) -> dict[str, str]:
    return {LABEL_MANAGED: "1", LABEL_NETWORK: "nosana", LABEL_ROLE: role, **cfg.extra_labels}


def node_command(cfg: NodeContainerConfig) -> list[str]:
    command = ["node", "start", "--podman", PODMAN_SOCKET]
    if cfg.market_network:
        command += ["--network", cfg.market_network]
    if cfg.api_port != 5001:
        command += ["--port", str(cfg.api_port)]
    return command


def podman_create_kwargs(cfg: NodeContainerConfig) -> dict[str, Any]:
    """docker-py ``containers.create`` arguments of the Podman sidecar (pure, for tests)."""
    from docker.types import DeviceRequest, Mount

    kwargs: dict[str, Any] = {
        "image": cfg.podman_image,
        "command": ["unix:/podman/podman.sock"],
        "name": cfg.podman_name,
        "detach": True,
        "mounts": [Mount(target="/var/lib/containers", source=cfg.cache_volume, type="volume")],
        "volumes": {cfg.socket_volume: {"bind": "/podman", "mode": "rw"}},
        "privileged": cfg.privileged_podman,
        "environment": {"ENABLE_GPU": "true"},
        "labels": labels(cfg, "podman"),
    }
    if cfg.fuse_device:
        kwargs["devices"] = ["/dev/fuse:/dev/fuse:rwm"]
    if cfg.gpus:
        kwargs["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    if cfg.podman_entrypoint is not None:
        kwargs["entrypoint"] = cfg.podman_entrypoint
    return kwargs


def node_create_kwargs(cfg: NodeContainerConfig) -> dict[str, Any]:
    """docker-py ``containers.create`` arguments of the node (pure, for tests)."""
    kwargs: dict[str, Any] = {
        "image": cfg.node_image,
        "command": node_command(cfg),
        "name": cfg.node_name,
        "detach": True,
        "network_mode": "host",
        "stdin_open": True,
        "tty": True,
        "volumes": {
            str(cfg.key_path.expanduser()): {"bind": NODE_KEY_TARGET, "mode": "rw"},
            cfg.socket_volume: {"bind": "/root/.nosana/podman", "mode": "ro"},
        },
        "labels": labels(cfg, "node"),
    }
    if cfg.node_entrypoint is not None:
        kwargs["entrypoint"] = cfg.node_entrypoint
    return kwargs


def _image_tags(container: Any) -> set[str]:
    """The tags of a container's image; none when the image is gone from the engine."""
    import docker.errors

    try:
        return set(container.image.tags or [])
    except docker.errors.DockerException:  # ImageNotFound: removed since the container ran
        return set()


def _docker_from_env() -> Any:
    import docker

    return docker.from_env(timeout=30)


class NodeContainers:
    """Create, adopt, stop and read the sidecar and node containers."""

    def __init__(
        self, cfg: NodeContainerConfig, client_factory: Callable[[], Any] | None = None
    ) -> None:
        self.cfg = cfg
        self._factory = client_factory or _docker_from_env
        self._client: Any = None

    def _docker(self) -> Any:
        import docker.errors

        if self._client is None:
            try:
                self._client = self._factory()
                self._client.ping()
            except docker.errors.DockerException as exc:
                self._client = None
                log.info("Docker engine unreachable: %s", exc)
                words = unreachable_words(exc)
                raise NetworkError(words[:1].upper() + words[1:]) from None
        return self._client

    def _get(self, name: str) -> Any | None:
        import docker.errors

        try:
            return self._docker().containers.get(name)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            raise NetworkError(f"Docker could not look up {name}: {exc.explanation}") from None

    def _ensure_image(self, image: str) -> None:
        import docker.errors

        client = self._docker()
        try:
            client.images.get(image)
            return
        except docker.errors.ImageNotFound:
            pass
        log.info("nosana: pulling %s (not present locally)", image)
        try:
            client.images.pull(image)
        except docker.errors.APIError as exc:
            raise NetworkError(
                f"The image {image} is not on this machine and could not be pulled "
                f"({exc.explanation}). Check the internet connection, or run `docker pull {image}`."
            ) from None

    def _is_ours(self, container: Any, role: str) -> bool:
        found = container.labels or {}
        return found.get(LABEL_NETWORK) == "nosana" and found.get(LABEL_ROLE) == role

    def _ensure(self, role: str, kwargs: dict[str, Any]) -> Any:
        import docker.errors

        name = kwargs["name"]
        client = self._docker()
        # stray labelled containers of this role under another name (an old config)
        for other in client.containers.list(
            ignore_removed=True,
            all=True,
            filters={"label": [f"{LABEL_NETWORK}=nosana", f"{LABEL_ROLE}={role}"]},
        ):
            if other.name != name:
                log.info("nosana: removing stray %s container %s", role, other.name)
                other.remove(force=True)
        existing = self._get(name)
        if existing is not None:
            image_tags = _image_tags(existing)
            if not self._is_ours(existing, role) and kwargs["image"] not in image_tags:
                raise NetworkError(
                    f"A container named {name!r} exists that RigPilot did not create "
                    f"(image {', '.join(sorted(image_tags)) or 'unknown'}). Remove or rename it "
                    f"(docker rm -f {name}) and start Nosana again."
                )
            if existing.status == "running" and self._is_ours(existing, role):
                log.info("nosana: adopting the running %s container %s", role, name)
                return existing
            log.info("nosana: replacing the %s %s container %s", existing.status, role, name)
            existing.remove(force=True)
        self._ensure_image(kwargs["image"])
        try:
            container = client.containers.create(**kwargs)
            container.start()
        except docker.errors.APIError as exc:
            raise NetworkError(f"Docker could not start {name}: {exc.explanation}") from None
        log.info("nosana: started the %s container %s", role, name)
        return container

    def start(self) -> None:
        """Sidecar first (the node needs its socket), then the node."""
        self._ensure("podman", podman_create_kwargs(self.cfg))
        self._ensure("node", node_create_kwargs(self.cfg))

    def node_state(self) -> tuple[str, int | None]:
        """("running" | "exited" | ... | "missing", exit code when it stopped)."""
        container = self._get(self.cfg.node_name)
        if container is None:
            return "missing", None
        container.reload()
        state = container.attrs.get("State", {})
        code = state.get("ExitCode") if container.status != "running" else None
        return str(container.status), code

    def stop(self, timeout_s: int = 60) -> None:
        """``docker stop --time 60`` the node (its exit handler leaves the market), then podman."""
        import docker.errors

        for name in (self.cfg.node_name, self.cfg.podman_name):
            container = self._get(name)
            if container is None or container.status != "running":
                continue
            log.info("nosana: stopping %s (grace %d s)", name, timeout_s)
            try:
                container.stop(timeout=timeout_s)
            except docker.errors.APIError as exc:
                raise NetworkError(f"Docker could not stop {name}: {exc.explanation}") from None

    def remove(self) -> None:
        for name in (self.cfg.node_name, self.cfg.podman_name):
            container = self._get(name)
            if container is not None:
                container.remove(force=True)
