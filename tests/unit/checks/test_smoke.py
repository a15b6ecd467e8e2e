"""The GPU container smoke test, against a fake engine that records every request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from desktop.checks.smoke import (
    check_smoke,
    demux_log_stream,
    device_request_for,
    parse_nvidia_smi_list,
    split_image,
)
from desktop.model import CheckStatus


def _frame(stream: int, payload: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


def test_demux_splits_stdout_and_stderr() -> None:
    data = _frame(1, b"out 1\n") + _frame(2, b"err\n") + _frame(1, b"out 2\n")
    assert demux_log_stream(data) == ("out 1\nout 2\n", "err\n")


@pytest.mark.parametrize(
    "data", [b"plain tty output\n", _frame(1, b"short")[:-2], b"\x07\x00\x00\x00\x00\x00\x00\x01x"]
)
def test_demux_keeps_unframed_output_whole(data: bytes) -> None:
    out, err = demux_log_stream(data)
    assert err == ""
    assert out == data.decode("utf-8", errors="replace")


def test_parse_nvidia_smi_list(fakes: Any) -> None:
    listed = parse_nvidia_smi_list(fakes.read_data("nvidia_smi_list.txt"))
    assert listed[0] == (0, "NVIDIA GeForce RTX 4090", fakes.UUID)
    assert len(listed) == 2
    assert parse_nvidia_smi_list("No devices were found\n") == []


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ubuntu:24.04", ("ubuntu", "24.04")),
        ("ubuntu", ("ubuntu", "latest")),
        ("localhost:5000/cuda", ("localhost:5000/cuda", "latest")),
        ("localhost:5000/cuda:12.4", ("localhost:5000/cuda", "12.4")),
        ("ubuntu@sha256:abc", ("ubuntu@sha256:abc", "")),
    ],
)
def test_split_image(image: str, expected: tuple[str, str]) -> None:
    assert split_image(image) == expected


def test_smoke_pass_asks_for_one_gpu_by_uuid_with_compute_and_utility(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine())
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.PASS
    assert result.summary == f"a container saw GPU 0: NVIDIA GeForce RTX 4090 ({fakes.UUID})"
    create = next(r for r in engine.requests if r.url.path == "/containers/create")
    body = fakes.body_of(create)
    assert body["Cmd"] == ["nvidia-smi", "-L"]
    host = body["HostConfig"]
    assert host["DeviceRequests"] == [
        {
            "Driver": "nvidia",
            "DeviceIDs": [fakes.UUID],
            "Capabilities": [["gpu", "compute", "utility"]],
        }
    ]
    assert host["NetworkMode"] == "none"
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert "Privileged" not in host
    assert engine.paths()[-1].startswith("DELETE /containers/")


def test_smoke_uses_cdi_names_when_only_cdi_is_configured(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine(info=fakes.read_data("docker_info_cdi_only.json")))
    check_smoke(fakes.make_context(engine=engine))
    create = next(r for r in engine.requests if r.url.path == "/containers/create")
    request = fakes.body_of(create)["HostConfig"]["DeviceRequests"][0]
    assert request["Driver"] == "cdi"
    assert request["DeviceIDs"] == [f"nvidia.com/gpu={fakes.UUID}"]


def test_device_request_never_asks_for_all_gpus() -> None:
    for cdi in (False, True):
        request = device_request_for("GPU-1", cdi)
        assert "all" not in str(request["DeviceIDs"])
        assert request.get("Count", 0) == 0


def test_missing_image_is_pulled_first(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine(), image_present=False)
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.PASS
    pull = next(r for r in engine.requests if r.url.path == "/images/create")
    assert dict(pull.url.params) == {"fromImage": "ubuntu", "tag": "24.04"}


def test_failed_pull_fails_with_pull_fix(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine(), image_present=False)
    engine.routes[("POST", "/images/create")] = lambda r: httpx.Response(
        200,
        content=b'{"status":"Pulling"}\n'
        b'{"error":"dial tcp: lookup registry-1.docker.io: no such host"}\n',
    )
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.FAIL
    assert result.details["stage"] == "pull"
    assert "docker pull ubuntu:24.04" in result.fix
    assert not any(r.url.path == "/containers/create" for r in engine.requests)


def test_create_refused_by_the_engine_fails_with_its_message(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine())
    engine.routes[("POST", "/containers/create")] = lambda r: httpx.Response(
        500,
        json={
            "message": 'could not select device driver "nvidia" with capabilities: '
            "[[gpu compute utility]]"
        },
    )
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.FAIL
    assert "could not select device driver" in result.summary
    assert "nvidia-ctk runtime configure" in result.fix


def test_container_that_sees_no_gpu_fails_and_is_removed(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine(), exit_code=9, output="No devices were found\n")
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.FAIL
    assert "exited with 9" in result.summary
    assert "No devices were found" in result.details["output"]
    assert any(p.startswith("DELETE /containers/") for p in engine.paths())


def test_container_is_removed_when_start_fails(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine())
    engine.routes[("POST", "/containers/" + "a" * 64 + "/start")] = lambda r: httpx.Response(
        500,
        json={"message": "nvidia-container-cli: initialization error: driver rpc error: timed out"},
    )
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.details["stage"] == "start"
    assert "driver rpc error" in result.summary
    assert engine.paths()[-1] == "DELETE /containers/" + "a" * 64


def test_hanging_container_times_out(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine())

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    engine.routes[("POST", "/containers/" + "a" * 64 + "/wait")] = slow
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.FAIL
    assert result.details["stage"] == "timeout"
    assert engine.paths()[-1].startswith("DELETE")


def test_smoke_can_be_skipped_on_request(fakes: Any) -> None:
    engine = fakes.FakeEngine()
    result = check_smoke(fakes.make_context(engine=engine, smoke=False))
    assert result.status is CheckStatus.SKIP
    assert "--no-smoke" in result.summary
    assert engine.requests == []


def test_slow_pull_fails_at_pull_with_the_pull_fix(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine(), image_present=False)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    engine.routes[("POST", "/images/create")] = slow
    result = check_smoke(fakes.make_context(engine=engine))
    assert result.details["stage"] == "pull"
    assert "did not finish in time" in result.summary
    assert "docker pull" in result.fix
