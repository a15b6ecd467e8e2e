"""Container control on the real Docker engine, with the busybox test image as a stand-in.

No registry is reachable, so the local test image is tagged as nosana/podman:v1.1.0 and
nosana/nosana-cli:latest. busybox has no ``node`` binary, so the stand-in replaces the
entry point with a shell loop while the documented command stays in place (and is checked
by inspecting the containers). Names, volumes and a test label are unique per test, so
parallel runs and other engineers' containers are never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from desktop.ledger.ledger import Ledger
from desktop.model import Event
from desktop.networks.backoff import Backoff
from desktop.networks.nosana import SPEC as NOSANA
from desktop.networks.nosana import NosanaAdapter
from desktop.networks.nosana_api import DashboardApi, NodeApi
from desktop.networks.nosana_node import NodeContainerConfig, NodeContainers
from desktop.secrets import SecretStore
from desktop.worker.supervisor import Supervisor

pytestmark = pytest.mark.docker

STAND_IN = ["sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 0.2; done", "stand-in"]
NODE_IMAGE, PODMAN_IMAGE = "nosana/nosana-cli:latest", "nosana/podman:v1.1.0"


@pytest.fixture
def docker_client(docker_host: str, test_image: str) -> Iterator[Any]:
    import docker

    client = docker.from_env(timeout=60)
    image = client.images.get(test_image)
    for ref in (NODE_IMAGE, PODMAN_IMAGE):
        repo, tag = ref.rsplit(":", 1)
        image.tag(repo, tag)
    yield client
    client.close()


@pytest.fixture
def cfg(docker_client: Any, tmp_path: Path) -> Iterator[NodeContainerConfig]:
    run = uuid.uuid4().hex[:8]
    config = NodeContainerConfig(
        key_path=tmp_path / "nosana_key.json",
        node_name=f"rp-test-nosana-node-{run}",
        podman_name=f"rp-test-podman-{run}",
        cache_volume=f"rp-test-podman-cache-{run}",
        socket_volume=f"rp-test-podman-socket-{run}",
        gpus=False,  # the test engine has no NVIDIA runtime
        fuse_device=os.path.exists("/dev/fuse"),
        # Nosana's sidecar is privileged (checked in tests/unit/networks/test_nosana_node.py);
        # the test engine refuses privileged containers ("unable to apply caps").
        privileged_podman=False,
        node_entrypoint=STAND_IN,
        podman_entrypoint=STAND_IN,
        extra_labels={"io.rigpilot.test": run},
    )
    yield config
    for container in docker_client.containers.list(
        ignore_removed=True, all=True, filters={"label": f"io.rigpilot.test={run}"}
    ):
        container.remove(force=True)
    for name in (config.cache_volume, config.socket_volume):
        try:
            docker_client.volumes.get(name).remove(force=True)
        except Exception:
            pass


class NodeInfo:
    """A fake node API (the stand-in has none): RUNNING_JOB for ``busy_polls`` answers."""

    def __init__(self, busy_polls: int, on_done: Callable[[], Any] = lambda: None) -> None:
        self.busy_polls, self.polls = busy_polls, 0
        # What ``on_done`` saw when the job was first reported over (QUEUED).
        self.at_done: Any = None
        self.done = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.polls += 1
                state = "RUNNING_JOB" if outer.polls <= outer.busy_polls else "QUEUED"
                if state == "QUEUED" and not outer.done:
                    outer.done, outer.at_done = True, on_done()
                body = json.dumps({"node": "n", "uptime": 1, "state": state}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class NodeAndDashboard:
    """A fake node API and dashboard: the node reports RUNNING_JOB while ``busy`` is set,
    and the dashboard knows every node (registered: enrollment needs no first run)."""

    def __init__(self) -> None:
        self.busy = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, answer = 404, {"message": "not here"}
                if self.path.startswith("/node/info"):
                    state = "RUNNING_JOB" if outer.busy.is_set() else "QUEUED"
                    status, answer = 200, {"node": "n", "uptime": 1, "state": state}
                elif self.path.startswith("/api/nodes/"):
                    status, answer = 200, {"status": "ONBOARDED"}
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def adapter(
    cfg: NodeContainerConfig, node_url: str, dashboard_url: str = "http://127.0.0.1:9"
) -> NosanaAdapter:
    fast = {"backoff": Backoff(base=0.1, cap=0.5, jitter=0.0)}
    return NosanaAdapter(
        key_path=cfg.key_path,
        node_api=NodeApi(node_url, **fast),
        dashboard=DashboardApi(dashboard_url, **fast),
        container_config=cfg,
        stop_poll_s=0.2,
    )


def ours(client: Any, cfg: NodeContainerConfig, role: str) -> list[Any]:
    run = cfg.extra_labels["io.rigpilot.test"]
    return client.containers.list(
        ignore_removed=True,
        all=True,
        filters={
            "label": [
                f"io.rigpilot.test={run}",
                "io.rigpilot.network=nosana",
                f"io.rigpilot.role={role}",
            ]
        },
    )


def test_created_containers_carry_the_documented_arguments(
    docker_client: Any, cfg: NodeContainerConfig
) -> None:
    node = adapter(cfg, "http://127.0.0.1:9")
    node.enroll({})
    node.start()
    podman = docker_client.api.inspect_container(cfg.podman_name)
    assert podman["State"]["Running"]
    assert podman["Config"]["Image"] == PODMAN_IMAGE
    assert podman["Config"]["Cmd"] == ["unix:/podman/podman.sock"]
    assert podman["HostConfig"]["Privileged"] is cfg.privileged_podman
    assert "ENABLE_GPU=true" in podman["Config"]["Env"]
    mounts = {m["Destination"]: m for m in podman["Mounts"]}
    assert mounts["/var/lib/containers"]["Name"] == cfg.cache_volume
    assert mounts["/podman"]["Name"] == cfg.socket_volume and mounts["/podman"]["RW"]
    if cfg.fuse_device:
        assert podman["HostConfig"]["Devices"][0]["PathOnHost"] == "/dev/fuse"
    assert podman["Config"]["Labels"]["io.rigpilot.managed"] == "1"
    assert podman["Config"]["Labels"]["io.rigpilot.role"] == "podman"

    info = docker_client.api.inspect_container(cfg.node_name)
    assert info["State"]["Running"]
    assert info["Config"]["Image"] == NODE_IMAGE
    assert info["Config"]["Cmd"] == [
        "node",
        "start",
        "--podman",
        "/root/.nosana/podman/podman.sock",
    ]
    assert info["HostConfig"]["NetworkMode"] == "host"
    assert info["Config"]["Tty"] is True and info["Config"]["OpenStdin"] is True
    assert not info["HostConfig"]["Privileged"]
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    key = mounts["/root/.nosana/nosana_key.json"]
    assert key["Type"] == "bind" and key["Source"] == str(cfg.key_path)
    socket = mounts["/root/.nosana/podman"]
    assert socket["Name"] == cfg.socket_volume and socket["RW"] is False
    assert info["Config"]["Labels"]["io.rigpilot.network"] == "nosana"
    # the key's secret half is not in the container's configuration
    assert str(cfg.key_path.read_text()) not in str(info)
    node.stop(graceful=False)


def test_stop_waits_for_the_reported_job_to_end(
    docker_client: Any, cfg: NodeContainerConfig
) -> None:
    def node_running() -> bool:
        return bool(docker_client.api.inspect_container(cfg.node_name)["State"]["Running"])

    # about 1.6 s of RUNNING_JOB at 0.2 s polls; at the first QUEUED, is the node still up?
    api = NodeInfo(busy_polls=8, on_done=node_running)
    try:
        node = adapter(cfg, api.url)
        node.enroll({})
        node.start()
        node.stop(graceful=True, timeout_s=30)
    finally:
        api.close()
    assert api.polls >= 9 and api.done
    assert api.at_done is True  # not stopped while the job ran: it waited for QUEUED
    state = docker_client.api.inspect_container(cfg.node_name)["State"]
    assert not state["Running"] and state["ExitCode"] == 0  # stopped by SIGTERM, cleanly
    assert not docker_client.api.inspect_container(cfg.podman_name)["State"]["Running"]


CRASHING_WORKER = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    from desktop.networks.nosana_node import NodeContainerConfig
    from desktop.networks.nosana import NosanaAdapter
    from desktop.networks.nosana_api import NodeApi, DashboardApi
    raw = json.loads(sys.argv[1])
    raw["key_path"] = Path(raw["key_path"])
    cfg = NodeContainerConfig(**raw)
    node = NosanaAdapter(key_path=cfg.key_path, node_api=NodeApi("http://127.0.0.1:9"),
                         dashboard=DashboardApi("http://127.0.0.1:9"), container_config=cfg)
    node.enroll({})
    node.start()
    print("started", flush=True)
    signal.pause()
""")


def test_kill_9_of_the_worker_then_restart_leaves_one_node(
    docker_client: Any, cfg: NodeContainerConfig
) -> None:
    import dataclasses
    import json

    raw = {**dataclasses.asdict(cfg), "key_path": str(cfg.key_path)}
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, json.dumps(raw)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "started"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        worker.stdout.close()  # type: ignore[union-attr]
    first = ours(docker_client, cfg, "node")
    assert len(first) == 1 and first[0].status == "running"

    again = adapter(cfg, "http://127.0.0.1:9")
    again.enroll({})
    again.start()  # adopts the running node
    nodes, sidecars = ours(docker_client, cfg, "node"), ours(docker_client, cfg, "podman")
    assert [c.id for c in nodes] == [first[0].id] and len(sidecars) == 1

    docker_client.containers.get(cfg.node_name).kill()  # the node crashes
    again.start()  # replaces it
    nodes = ours(docker_client, cfg, "node")
    assert len(nodes) == 1 and nodes[0].id != first[0].id and nodes[0].status == "running"

    renamed = dataclasses.replace(cfg, node_name=cfg.node_name + "-new")
    NodeContainers(renamed).start()  # a config change: the stray old-named node goes
    nodes = ours(docker_client, cfg, "node")
    assert [c.name for c in nodes] == [renamed.node_name]


def test_a_foreign_container_with_the_name_is_not_touched(
    docker_client: Any, cfg: NodeContainerConfig, test_image: str
) -> None:
    run = cfg.extra_labels["io.rigpilot.test"]
    base = docker_client.containers.create(test_image, ["true"], labels={"io.rigpilot.test": run})
    other = base.commit(repository=f"rp-test-foreign-{run}", tag="latest")  # another image
    foreign = docker_client.containers.create(
        other.id,
        ["sleep", "30"],
        name=cfg.podman_name,
        labels={"io.rigpilot.test": run},
    )
    from desktop.networks.base import NetworkError

    with pytest.raises(NetworkError, match="did not create"):
        NodeContainers(cfg).start()
    assert docker_client.containers.get(cfg.podman_name).id == foreign.id
    foreign.remove(force=True)
    base.remove(force=True)
    docker_client.images.remove(other.id, force=True)


def wait_until(check: Any, timeout_s: float = 10.0) -> Any:
    """Call ``check`` until it answers something truthy (or the time is up); its answer."""
    deadline = time.monotonic() + timeout_s
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer


def running(client: Any, name: str) -> bool:
    import docker.errors

    try:
        return bool(client.api.inspect_container(name)["State"]["Running"])
    except docker.errors.NotFound:  # between the removal of a stopped one and its successor
        return False


def test_through_the_supervisor_a_graceful_pause_is_an_operation_and_an_emergency_skips_it(
    docker_client: Any, cfg: NodeContainerConfig, tmp_path: Path
) -> None:
    """The reconciler's calls on the real engine: a pause of a busy node returns at once and
    waits for the job on an operation; an emergency stop does not wait behind it; a
    resume starts the node again; removing it is an operation too."""
    fake = NodeAndDashboard()
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    events: list[Event] = []
    node = adapter(cfg, fake.url, fake.url)
    sup = Supervisor([NOSANA], {"nosana": node}, ledger, SecretStore(), events.append)
    try:
        answer = asyncio.run(sup.enroll("nosana", {}))
        assert answer["action_required"] is None and answer["operation"]["kind"] == "start"
        assert sup.operations.wait(answer["operation"]["id"], 60).state == "succeeded"
        assert running(docker_client, cfg.node_name) and running(docker_client, cfg.podman_name)

        fake.busy.set()  # a job runs on the node
        asyncio.run(sup.poll_once())
        assert sup.summary()[0]["state"] == "busy"
        sup.pause_agent("nosana", "a game started")  # returns at once
        pause = sup.operations.running("nosana")
        assert pause is not None and pause.kind == "pause"
        waiting = wait_until(
            lambda: [e for e in events if e.kind == "operation.progress" and "Waiting" in e.message]
        )
        assert waiting and waiting[0].data["operation"] == pause.id
        assert running(docker_client, cfg.node_name)  # the job is not cut short

        sup.stop_agent_now("nosana", "GPU at 91 °C")  # blocking, and not behind the pause
        assert not running(docker_client, cfg.node_name)
        assert not running(docker_client, cfg.podman_name)
        assert sup.operations.get(pause.id).state == "running"  # still waiting on its side
        fake.busy.clear()  # the node is gone: its job with it
        assert sup.operations.wait(pause.id, 30).state == "succeeded"
        asyncio.run(sup.poll_once())
        (brief,) = sup.summary()
        assert brief["state"] == "paused" and "GPU at 91 °C" in brief["next_step"]

        sup.resume_agent("nosana", "cool again")
        assert wait_until(lambda: running(docker_client, cfg.node_name), 60)
        wait_until(lambda: sup.operations.running("nosana") is None)

        removal = sup.remove("nosana")
        assert sup.operations.wait(removal.id, 90).state == "succeeded"
        assert ours(docker_client, cfg, "node") == [] and ours(docker_client, cfg, "podman") == []
        assert ledger.enrollment("nosana") is None and cfg.key_path.exists()  # the wallet stays
    finally:
        fake.close()
        asyncio.run(sup.close(timeout_s=0))
        ledger.close()
