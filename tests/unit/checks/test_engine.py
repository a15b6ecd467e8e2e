"""DOCKER_HOST parsing and the exact reasons an engine cannot be reached."""

from __future__ import annotations

import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desktop.checks import engine as engine_module
from desktop.checks.engine import (
    EngineAddress,
    EngineClient,
    EngineError,
    map_transport_error,
    parse_docker_host,
)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short directory: unix socket paths are limited to ~100 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="rpd-"))
    yield folder
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows's default is Docker Desktop's pipe")
def test_default_is_the_standard_socket() -> None:
    address = parse_docker_host({})
    assert (address.scheme, address.socket_path, address.from_env) == (
        "unix",
        "/var/run/docker.sock",
        False,
    )


def test_unix_docker_host_is_honoured() -> None:
    address = parse_docker_host({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"})
    assert address.socket_path == "/run/user/1000/docker.sock"
    assert address.from_env and address.local


@pytest.mark.parametrize(
    ("value", "tls", "url"),
    [
        ("tcp://10.0.0.5:2375", "", "http://10.0.0.5:2375"),
        ("tcp://rig.local", "", "http://rig.local:2375"),
        ("tcp://rig.local", "1", "https://rig.local:2376"),
        ("tcp://[::1]:2375", "", "http://[::1]:2375"),
    ],
)
def test_tcp_docker_host(value: str, tls: str, url: str) -> None:
    address = parse_docker_host({"DOCKER_HOST": value, "DOCKER_TLS_VERIFY": tls})
    assert address.base_url == url
    assert address.scheme == "tcp" and not address.local
    assert address.tls is bool(tls)


def test_npipe_docker_host_is_docker_desktops_pipe() -> None:
    address = parse_docker_host({"DOCKER_HOST": "npipe:////./pipe/docker_engine"})
    assert address.scheme == "npipe" and address.pipe == "\\\\.\\pipe\\docker_engine"
    assert address.where == address.pipe and not address.local  # its data is in Docker's VM


def test_the_default_engine_is_the_platforms() -> None:
    address = parse_docker_host({})
    expected = "npipe" if sys.platform == "win32" else "unix"
    assert address.scheme == expected and not address.from_env


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ssh://me@rig", "'ssh'"),
        ("npipe://docker_engine", "not a pipe"),
        ("unix://relative.sock", "absolute"),
        ("tcp://:2375", "no host"),
        ("tcp://rig:port", "bad port"),
        ("/var/run/docker.sock", "cannot reach"),
    ],
)
def test_unusable_docker_host_is_refused_with_the_reason(value: str, words: str) -> None:
    with pytest.raises(EngineError) as caught:
        parse_docker_host({"DOCKER_HOST": value})
    assert caught.value.kind == "bad_host"
    assert words in caught.value.reason


def _client(path: Path, timeout: float = 1.0) -> EngineClient:
    return EngineClient(parse_docker_host({"DOCKER_HOST": f"unix://{path}"}))


def test_missing_socket_says_no_such_socket(short_dir: Path) -> None:
    sock = short_dir / "docker.sock"
    with pytest.raises(EngineError) as caught:
        _client(sock).get_json("/version")
    assert caught.value.kind == "no_socket"
    assert caught.value.reason == f"no such socket: {sock}"


def test_stale_socket_says_connection_refused(short_dir: Path) -> None:
    sock = short_dir / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()  # the file stays, nobody listens: a crashed dockerd
    with pytest.raises(EngineError) as caught:
        _client(sock).get_json("/version")
    assert caught.value.kind == "refused"
    assert "connection refused" in caught.value.reason


def test_regular_file_says_not_a_socket(short_dir: Path) -> None:
    sock = short_dir / "docker.sock"
    sock.write_text("not a socket")
    with pytest.raises(EngineError) as caught:
        _client(sock).get_json("/version")
    assert caught.value.kind == "not_socket"


def test_silent_engine_times_out_within_the_budget(short_dir: Path) -> None:
    sock = short_dir / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.listen(1)  # accepts the connection but never answers
    try:
        client = _client(sock)
        with pytest.raises(EngineError) as caught:
            client.request("GET", "/version", timeout_s=0.2)
    finally:
        server.close()
    # The server never answers: only the 0.2 s budget can have ended the request.
    assert caught.value.kind == "timeout"
    assert "within 0.2 s" in caught.value.reason


def _address() -> EngineAddress:
    return parse_docker_host({"DOCKER_HOST": "unix:///var/run/docker.sock"})


def test_permission_denied_is_recognised_through_the_exception_chain() -> None:
    try:
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as inner:
            raise httpx.ConnectError("[Errno 13] Permission denied") from inner
    except httpx.ConnectError as exc:
        error = map_transport_error(exc, _address(), 1.0)
    assert error.kind == "permission"
    assert error.reason == "permission denied on /var/run/docker.sock"


def test_permission_denied_through_a_transport() -> None:
    def deny(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("denied") from PermissionError(13, "Permission denied")

    client = EngineClient(_address(), transport=httpx.MockTransport(deny))
    with pytest.raises(EngineError) as caught:
        client.get_json("/version")
    assert caught.value.kind == "permission"


def test_unknown_transport_failure_keeps_its_message() -> None:
    error = map_transport_error(httpx.RemoteProtocolError("garbage status line"), _address(), 1.0)
    assert error.kind == "unreachable"
    assert "garbage status line" in error.reason


def test_error_status_carries_the_engine_message() -> None:
    client = EngineClient(
        _address(),
        transport=httpx.MockTransport(
            lambda r: httpx.Response(500, json={"message": "daemon is shutting down"})
        ),
    )
    with pytest.raises(EngineError) as caught:
        client.get_json("/info")
    assert caught.value.kind == "http"
    assert caught.value.status == 500
    assert "daemon is shutting down" in caught.value.reason


def test_oversized_answer_is_refused() -> None:
    client = EngineClient(
        _address(), transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 100))
    )
    with pytest.raises(EngineError) as caught:
        client.request("GET", "/info", max_body=10)
    assert caught.value.kind == "too_large"


def test_tls_without_certificates_says_where_it_looked(tmp_path: Path) -> None:
    address = parse_docker_host(
        {
            "DOCKER_HOST": "tcp://rig:2376",
            "DOCKER_TLS_VERIFY": "1",
            "DOCKER_CERT_PATH": str(tmp_path),
        }
    )
    with pytest.raises(EngineError) as caught:
        EngineClient(address).get_json("/version")
    assert caught.value.kind == "tls"
    assert str(tmp_path) in caught.value.reason


def test_a_unix_socket_on_windows_is_a_bad_host_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Windows programs cannot reach a unix socket (a DOCKER_HOST left from WSL, say)."""
    monkeypatch.setattr(engine_module, "_on_windows", lambda: True)
    client = EngineClient(parse_docker_host({"DOCKER_HOST": "unix:///var/run/docker.sock"}))
    with pytest.raises(EngineError) as caught:
        client.request("GET", "/version")
    assert caught.value.kind == "bad_host" and "Windows" in caught.value.reason
