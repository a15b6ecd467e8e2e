"""The Akash monitor beyond the contract suite: the address it takes, what it says when
the Console does not answer, and that it is watched, never driven."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.model import NodeState
from desktop.networks.akash import AkashMonitor
from desktop.networks.akash_api import AkashConsole, ProviderGateway
from desktop.networks.base import Controllable, EnrollmentError, MonitorOnly, Pausable
from desktop.networks.records import ActionRequired, HostFacts

DATA = Path(__file__).resolve().parents[2] / "data" / "akash"
ADDRESS = "akash1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnrujsuw"
GATEWAY = "https://provider.example.invalid:8443"


def doc(name: str) -> Any:
    return json.loads((DATA / name).read_text().replace("{{SERVER}}", GATEWAY))


class Answers:
    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.routes.get(f"{request.url.host} {request.url.path}")
        if answer is None:
            return httpx.Response(404, json={})
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)


def monitor(answers: Answers) -> AkashMonitor:
    transport = httpx.MockTransport(answers)
    console = AkashConsole("https://console.invalid", transport=transport)
    return AkashMonitor(console, lambda uri: ProviderGateway(uri, transport=transport))


def routes() -> dict[str, Any]:
    return {
        f"console.invalid /v1/providers/{ADDRESS}": doc("provider.json"),
        "provider.example.invalid /status": doc("gateway_status.json"),
    }


def test_it_is_watched_never_driven() -> None:
    adapter = monitor(Answers(routes()))
    assert isinstance(adapter, MonitorOnly)
    assert not isinstance(adapter, Controllable | Pausable)
    facts = HostFacts("windows", False, 8.0, 20.0, False, False, ())
    assert adapter.requirements(facts) == []  # it watches another machine: any PC will do
    assert adapter.credential_schema()[0].secret is False  # an address is public
    adapter.enroll({"provider_address": ADDRESS})
    assert adapter.watched() == f"Akash provider {ADDRESS}"


@pytest.mark.parametrize("address", ["", "akash1abc", "0x1234", ADDRESS + "q"])
def test_a_wrong_address_is_refused_with_the_field(address: str) -> None:
    with pytest.raises(EnrollmentError, match="not an Akash address") as info:
        monitor(Answers(routes())).enroll({"provider_address": address})
    assert info.value.field == "provider_address"


def test_an_address_the_console_does_not_know_is_refused() -> None:
    with pytest.raises(EnrollmentError, match="knows no provider") as info:
        monitor(Answers({})).enroll({"provider_address": ADDRESS})
    assert info.value.field == "provider_address"


def test_an_unreachable_console_at_enrollment_is_checked_again_later() -> None:
    answers = Answers({f"console.invalid /v1/providers/{ADDRESS}": httpx.Response(502)})
    action = monitor(answers).enroll({"provider_address": ADDRESS})
    assert isinstance(action, ActionRequired) and "checks again" in action.message


def test_without_the_console_the_providers_own_status_still_counts_its_leases() -> None:
    answers = Answers(routes())
    adapter = monitor(answers)
    adapter.enroll({"provider_address": ADDRESS})
    answers.routes[f"console.invalid /v1/providers/{ADDRESS}"] = httpx.Response(503)
    snap = adapter.status()
    assert snap.state is NodeState.BUSY and "provider's own /status" in snap.message
    assert "HTTP 503" in snap.message
