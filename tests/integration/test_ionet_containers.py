"""io.net on the real Docker engine: a stand-in launch binary, stand-in images, a bystander
(tests/integration/ionet_rig.py says what stands in for what). Every check is made from
outside, with ``docker inspect``."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.model import NodeState
from desktop.networks.base import NetworkError
from desktop.networks.ionet import IonetAdapter
from desktop.networks.ionet_api import ExplorerApi
from tests.integration.ionet_rig import (
    LOOP,
    io_containers,
    make_adapter,
    remove_run,
    tag_stand_in_images,
)

pytestmark = pytest.mark.docker


@pytest.fixture
def docker_client(docker_host: str, test_image: str) -> Iterator[Any]:
    import docker

    if shutil.which("docker") is None:
        pytest.skip("the stand-in launch binary needs the docker command")
    client = docker.from_env(timeout=60)
    tag_stand_in_images(client, test_image)
    yield client
    client.close()


@pytest.fixture
def run_label(docker_client: Any) -> Iterator[str]:
    run = uuid.uuid4().hex[:8]
    yield run
    remove_run(docker_client, run)


def bystander(client: Any, run: str) -> Any:
    """A container of the user's own, running before io.net starts."""
    return client.containers.run(
        "rigpilot-test/busybox:latest",
        LOOP,
        name=f"rp-test-users-own-{run}",
        labels={"io.rigpilot.test": run},
        detach=True,
    )


def test_start_and_stop_touch_only_ionets_containers_and_the_bystander_runs_on(
    docker_client: Any, run_label: str, tmp_path: Path
) -> None:
    users = bystander(docker_client, run_label)
    started_at = docker_client.api.inspect_container(users.id)["State"]["StartedAt"]
    adapter = make_adapter(tmp_path, run_label)

    adapter.start()
    running = io_containers(docker_client, run_label)
    assert sorted(c["Config"]["Image"] for c in running) == [
        "ionetcontainers/io-worker-monitor:latest",
        "ionetcontainers/io-worker-vc:latest",
    ]
    assert all(c["State"]["Running"] for c in running)
    assert adapter.status().state is NodeState.IDLE  # no Explorer token: local state

    args = (tmp_path / "args.txt").read_text().splitlines()  # one argument per line
    assert args == [
        "--device_id=599ef4af-7fe6-44b5-aba3-25899bde2ab6",
        "--device_name=rig pilot test",
        "--token=refresh-token-abc",
        "--no_warnings=true",
    ]

    adapter.stop(True, 120.0)
    assert io_containers(docker_client, run_label) == []  # stopped and removed, as io.net's stop
    after = docker_client.api.inspect_container(users.id)
    assert after["State"]["Running"], "the user's own container was stopped"
    assert after["State"]["StartedAt"] == started_at, "the user's own container was restarted"
    assert adapter.status().state is NodeState.OFFLINE


def test_an_emergency_stop_kills_at_once_and_the_next_start_runs_the_binary_again(
    docker_client: Any, run_label: str, tmp_path: Path
) -> None:
    adapter = make_adapter(tmp_path, run_label)
    adapter.start()
    stopping = threading.Thread(target=adapter.stop, args=(False, 0.0))
    stopping.start()
    stopping.join(10)  # docker stop --time 0: SIGKILL, not the 30 s grace (perf: the time)
    assert not stopping.is_alive()
    assert io_containers(docker_client, run_label) == []
    adapter.start()
    assert len(io_containers(docker_client, run_label)) == 2


def test_a_running_worker_is_adopted_not_launched_twice(
    docker_client: Any, run_label: str, tmp_path: Path
) -> None:
    adapter = make_adapter(tmp_path, run_label)
    adapter.start()
    first = {c["Id"] for c in io_containers(docker_client, run_label)}
    (tmp_path / "args.txt").unlink()
    again = make_adapter(tmp_path, run_label)  # a worker restart: a new adapter
    again.start()
    assert {c["Id"] for c in io_containers(docker_client, run_label)} == first
    assert not (tmp_path / "args.txt").exists(), "the launch binary ran a second time"


def test_a_failing_launch_binary_is_reported_with_its_words(
    docker_client: Any, run_label: str, tmp_path: Path
) -> None:
    adapter = make_adapter(tmp_path, run_label, FAKE_IONET_MODE="fail")
    with pytest.raises(NetworkError, match="exited with code 3.*could not authorise"):
        adapter.start()
    assert "refresh-token-abc" not in str(adapter.status())


def test_a_binary_that_never_brings_the_worker_up_is_stopped(
    docker_client: Any, run_label: str, tmp_path: Path
) -> None:
    adapter = make_adapter(tmp_path, run_label, FAKE_IONET_MODE="hang")
    adapter.launch_timeout_s = 2.0
    with pytest.raises(NetworkError, match="did not bring the worker up within 2 s"):
        adapter.start()
    assert adapter.status().state is NodeState.OFFLINE


def test_a_binary_that_removes_the_users_containers_is_caught_and_not_run_again(
    docker_client: Any, run_label: str, tmp_path: Path
) -> None:
    users = bystander(docker_client, run_label)
    adapter = make_adapter(tmp_path, run_label, FAKE_IONET_MODE="remove_others")
    with pytest.raises(NetworkError, match=f"rp-test-users-own-{run_label}"):
        adapter.start()
    assert io_containers(docker_client, run_label) == []  # RigPilot stopped io.net
    status = adapter.status()
    assert status.state is NodeState.ERROR and "enroll io.net again" in status.message
    with pytest.raises(NetworkError, match="will not start it again"):
        adapter.start()
    with pytest.raises(Exception):  # noqa: B017 - docker's NotFound: it is gone
        docker_client.containers.get(users.id)


def test_the_launch_binary_must_be_an_executable_the_user_has(tmp_path: Path) -> None:
    from desktop.networks.base import EnrollmentError

    adapter = IonetAdapter(explorer=ExplorerApi("http://127.0.0.1:9"), data_dir=tmp_path)
    plain = tmp_path / "io_net_launch_binary_linux"
    plain.write_text("#!/bin/sh\n")
    creds = {"device_id": "d1", "device_name": "n", "token": "t"}
    for path, words in (
        (tmp_path / "missing", "does not exist"),
        (plain, "chmod \\+x"),
        (tmp_path, "not a file"),
        (Path("relative/binary"), "not an absolute path"),
    ):
        with pytest.raises(EnrollmentError, match=words) as info:
            adapter.enroll({**creds, "launch_binary": str(path)})
        assert info.value.field == "launch_binary"
