"""The doctor's network checks against a local server standing in for the speed-test
endpoint (there is no internet here): speed, each network's minimum, NAT, and ports.

The measured figures depend on this machine, so no test asserts a speed: the minimums
judged are far below or far above anything a loopback link gives.
"""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.checks.context import DoctorContext
from desktop.checks.link_needs import LinkNeeds
from desktop.checks.link_probe import LinkProbe
from desktop.checks.runner import NETWORK_CHECKS, run_checks
from desktop.model import CheckStatus
from tests.contract.harness import NetworkServer, Reply, Request

SMALL = LinkNeeds("tiny", "Tiny net", 0.001, 0.001, max_latency_ms=60_000.0, source="its docs")
HUGE = LinkNeeds("huge", "Huge net", 1e9, 1e9, source="huge docs")
INBOUND = LinkNeeds("rig", "Rig net", 0.001, 0.001, inbound="an open port range")


def speed_test_server(server: NetworkServer, public_ip: str = "127.0.0.1") -> NetworkServer:
    """Cloudflare's three paths: bytes down, a body up, and the address it sees."""

    def down(request: Request) -> Reply:
        count = min(int(request.query.get("bytes", ["0"])[0]), 4_000_000)
        return Reply(200, bytes(count), headers=(("Content-Type", "application/octet-stream"),))

    def up(request: Request) -> Reply:
        return Reply(200, json.dumps({"received": len(request.body)}).encode())

    server.routes["GET /__down"] = down
    server.routes["POST /__up"] = up
    server.routes["GET /cdn-cgi/trace"] = Reply(
        200, f"fl=1\nh=speed.example\nip={public_ip}\nts=1\n".encode()
    )
    return server


@pytest.fixture
def server() -> Iterator[NetworkServer]:
    fake = NetworkServer()
    yield fake
    fake.close()


def results(url: str, needs: tuple[LinkNeeds, ...] = (), ports: tuple[int, ...] = ()) -> Any:
    ctx = DoctorContext(
        {},
        network=True,
        speed_url=url,
        link_needs=needs,
        ports=ports,
        link_probe=lambda base: LinkProbe(base, transfer_s=0.2),
    )
    return {r.id: r for r in run_checks(ctx, NETWORK_CHECKS)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def test_a_measured_link_is_judged_against_each_networks_minimum(server: NetworkServer) -> None:
    speed_test_server(server)
    port = free_port()
    got = results(server.url, (SMALL, HUGE), (port,))
    speed = got["network.speed"]
    assert speed.status is CheckStatus.PASS and "Mb/s down" in speed.summary
    assert speed.details["endpoint"] == server.url
    assert speed.details["down_mbps"] > 0 and speed.details["up_mbps"] > 0
    assert speed.details["latency_ms"] >= 0
    assert got["network.needs.tiny"].status is CheckStatus.PASS
    short = got["network.needs.huge"]
    assert short.status is CheckStatus.WARN and "download" in short.summary
    assert "upload" in short.summary and "Huge net asks for 1e+09 Mb/s" in short.fix
    assert "(huge docs)" in short.fix
    nat = got["network.nat"]  # the server saw 127.0.0.1: an address of this computer
    assert nat.status is CheckStatus.PASS and "public address 127.0.0.1" in nat.summary
    reached = got[f"network.port.{port}"]
    assert reached.status is CheckStatus.PASS and "RigPilot's test listener" in reached.summary
    sent = server.sent("POST /__up")
    assert len(sent) == 2 and len(sent[0].body) == 1_000_000  # the estimate, then the measure


def test_behind_nat_a_network_that_needs_inbound_ports_is_warned(server: NetworkServer) -> None:
    speed_test_server(server, public_ip="203.0.113.5")  # documentation range: not ours
    port = free_port()
    got = results(server.url, (SMALL, INBOUND), (port,))
    nat = got["network.nat"]
    assert nat.status is CheckStatus.WARN and "behind NAT" in nat.summary
    assert "Rig net needs an open port range" in nat.fix and "--port" in nat.fix
    closed = got[f"network.port.{port}"]
    assert closed.status is CheckStatus.WARN and "203.0.113.5" in closed.summary
    assert f"Forward TCP port {port}" in closed.fix


def test_behind_nat_with_no_network_needing_inbound_is_fine(server: NetworkServer) -> None:
    speed_test_server(server, public_ip="203.0.113.5")
    nat = results(server.url, (SMALL,))["network.nat"]
    assert nat.status is CheckStatus.PASS and "none of RigPilot's networks" in nat.summary


def test_an_unreachable_endpoint_warns_and_skips_the_judgements() -> None:
    gone = NetworkServer()
    url = gone.url
    gone.close()
    got = results(url, (SMALL,), (free_port(),))
    speed = got["network.speed"]
    assert speed.status is CheckStatus.WARN and "unreachable" in speed.summary
    assert "network.speed_test_url" in speed.fix and "--speed-url" in speed.fix
    assert got["network.needs.tiny"].status is CheckStatus.SKIP
    assert got["network.nat"].status is CheckStatus.SKIP
    assert all(r.status is CheckStatus.SKIP for k, r in got.items() if k.startswith("network.port"))


def test_a_server_that_is_not_a_speed_test_server_says_so(server: NetworkServer) -> None:
    speed_test_server(server)
    del server.routes["POST /__up"]
    speed = results(server.url)["network.speed"]
    assert speed.status is CheckStatus.WARN and "/__up answered HTTP 404" in speed.summary


def test_the_checks_are_measured_only_when_asked(fakes: Any) -> None:
    ctx = fakes.make_context(engine=fakes.smoke_routes(fakes.FakeEngine()))
    ids = [r.id for r in run_checks(ctx)]
    assert not any(i.startswith("network.") for i in ids)


# --- the CLI's side: the endpoint setting and the networks' minimums ------------------------


def test_the_endpoint_comes_from_the_option_then_the_settings_file(
    rigpilot_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.cli import doctor
    from desktop.paths import get_paths

    assert doctor.speed_url(None) == "https://speed.cloudflare.com"  # no settings file yet
    path = get_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"version": 1, "settings": {"network.speed_test_url": "http://10.0.0.2:81/"}})
    )
    assert doctor.speed_url(None) == "http://10.0.0.2:81"
    assert path.read_text().count("10.0.0.2:81/") == 1  # read, never rewritten
    assert doctor.speed_url("https://speed.example") == "https://speed.example"
    with pytest.raises(SystemExit, match="must be an http:// or https:// address"):
        doctor.speed_url("ftp://speed.example")


def test_every_network_module_brings_its_own_minimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.networks import registry
    from desktop.networks.link import link_needs

    (tmp_path / "iolike_network.py").write_text(
        textwrap.dedent("""
            from desktop.checks.link_needs import LinkNeeds
            LINK_NEEDS = LinkNeeds("iolike", "IO-like", 90.0, 60.0, source="its own page")
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = {n.network: n for n in link_needs({registry.EXTRA_ENV: "iolike_network"})}
    assert (found["nosana"].down_mbps, found["nosana"].up_mbps) == (100.0, 50.0)
    assert (found["ionet"].down_mbps, found["ionet"].up_mbps) == (100.0, 75.0)  # built in
    assert (found["iolike"].down_mbps, found["iolike"].up_mbps) == (90.0, 60.0)
    assert found["vast"].inbound and "clore" not in found and "salad" not in found
    assert list(found)[-1] == "iolike"  # after the built-in ones, in the registry's order
