"""Clore.ai and Vast.ai beyond the contract suite: which server or machine enrolling picks,
the dedicated-machine warning, what pausing leaves behind for a restarted worker, the
days of Vast.ai pay that are recorded, and what the arbiter does with their penalties."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.guard.arbiter import Arbiter
from desktop.model import GuardAction, GuardDecision, NodeState
from desktop.networks.base import EnrollmentError, NetworkError
from desktop.networks.clore import CloreAdapter
from desktop.networks.clore_api import CloreApi
from desktop.networks.memo import Memo
from desktop.networks.records import ActionRequired
from desktop.networks.vast import VastAdapter
from desktop.networks.vast_api import VastApi

DATA = Path(__file__).resolve().parents[2] / "data"
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(network: str, name: str) -> Any:
    return json.loads((DATA / network / name).read_text())


class Remote:
    """The network's side: answers per ``"METHOD /path"`` and what was sent."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes, self.sent = routes, list[tuple[str, Any]]()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        self.sent.append((key, json.loads(request.content) if request.content else None))
        answer = self.routes.get(key)
        if answer is None:
            return httpx.Response(404, json={"error": "not found"})
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)


def mock(remote: Remote) -> httpx.MockTransport:
    return httpx.MockTransport(remote)


def clore(remote: Remote, memo: Memo) -> CloreAdapter:
    return CloreAdapter(
        lambda key: CloreApi(key, "http://clore.invalid/v1", spacing_s=0, transport=mock(remote)),
        memo,
    )


def vast(remote: Remote, memo: Memo, now: float = 1_700_000_000.0) -> VastAdapter:
    return VastAdapter(
        lambda key: VastApi(key, "http://vast.invalid/api/v0", spacing_s=0, transport=mock(remote)),
        memo,
        clock_now=lambda: now,
    )


# --- Clore.ai ---------------------------------------------------------------------------------


def test_clore_asks_which_server_when_the_account_has_several(tmp_path: Path) -> None:
    remote = Remote({"GET /v1/my_servers": recorded("clore", "my_servers_two.json")})
    adapter = clore(remote, Memo(tmp_path / "clore.json"))
    with pytest.raises(EnrollmentError, match="several servers \\('rig-one', 'rig-two'\\)") as info:
        adapter.enroll({"api_key": "k"})
    assert info.value.field == "server_name"
    with pytest.raises(EnrollmentError, match="no server named 'rig-9'") as info:
        adapter.enroll({"api_key": "k", "server_name": "rig-9"})
    assert adapter.enroll({"api_key": "k", "server_name": "rig-two"}) is None
    assert adapter.server == "rig-two"


def test_clore_without_a_server_says_how_to_add_one(tmp_path: Path) -> None:
    remote = Remote({"GET /v1/my_servers": {"servers": [], "limit": 16, "code": 0}})
    with pytest.raises(EnrollmentError, match="hosts no server yet.*init token"):
        clore(remote, Memo(None)).enroll({"api_key": "k"})


def test_clore_unreachable_at_enrollment_is_a_step_checked_again_later() -> None:
    remote = Remote({"GET /v1/my_servers": httpx.Response(503)})
    action = clore(remote, Memo(None)).enroll({"api_key": "k"})
    assert isinstance(action, ActionRequired) and "checks again by itself" in action.message


def test_clore_availability_off_survives_a_restart_and_says_what_it_means(tmp_path: Path) -> None:
    remote = Remote(
        {
            "GET /v1/my_servers": recorded("clore", "my_servers.json"),
            "GET /v1/server_config": recorded("clore", "server_config_rented.json"),
            "POST /v1/set_server_settings": {"code": 0},
        }
    )
    first = clore(remote, Memo(tmp_path / "clore.json"))
    first.enroll({"api_key": "k"})
    first.pause()
    assert ("POST /v1/set_server_settings", {"name": "rig-one", "availability": False}) in (
        remote.sent
    )
    again = clore(remote, Memo(tmp_path / "clore.json"))  # the worker restarted
    again.enroll({"api_key": "k"})
    rented = again.status()
    assert rented.state is NodeState.BUSY and "goes on until it ends" in rented.message
    remote.routes["GET /v1/server_config"] = recorded("clore", "server_config.json")
    again.recent.forget()
    assert again.status().state is NodeState.PAUSED
    again.resume()
    assert again.status().state is NodeState.IDLE


def test_clore_enrolling_another_server_forgets_the_first_ones_availability(
    tmp_path: Path,
) -> None:
    memo = Memo(tmp_path / "clore.json")
    memo.write(server="rig-one", available=False)
    remote = Remote({"GET /v1/my_servers": recorded("clore", "my_servers_two.json")})
    clore(remote, memo).enroll({"api_key": "k", "server_name": "rig-two"})
    assert memo.read() == {"server": "rig-two", "available": None}


# --- Vast.ai ----------------------------------------------------------------------------------

VAST_ROUTES = {
    "GET /api/v0/machines": recorded("vast", "machines.json"),
    "DELETE /api/v0/machines/31742/asks/": {"success": True},
    "PUT /api/v0/machines/create_asks/": {"success": True},
}


def test_vast_enrolls_only_a_machine_the_user_says_is_dedicated() -> None:
    adapter = vast(Remote(dict(VAST_ROUTES)), Memo(None))
    for answer in ("", "no", "y"):
        with pytest.raises(EnrollmentError, match="cannot be taken back") as info:
            adapter.enroll({"api_key": "k", "dedicated": answer})
        assert info.value.field == "dedicated"
    assert adapter.enroll({"api_key": "k", "dedicated": " YES "}) is None
    (field,) = [f for f in adapter.credential_schema() if f.name == "dedicated"]
    assert field.required and "game" in field.how_to_obtain
    assert "game" in adapter.description


def test_vast_asks_which_machine_when_the_account_has_several() -> None:
    remote = Remote({"GET /api/v0/machines": recorded("vast", "machines_two.json")})
    adapter = vast(remote, Memo(None))
    with pytest.raises(EnrollmentError, match="several machines \\(31742, 31743\\)") as info:
        adapter.enroll({"api_key": "k", "dedicated": "yes"})
    assert info.value.field == "machine_id"
    with pytest.raises(EnrollmentError, match="not a Vast.ai machine id"):
        adapter.enroll({"api_key": "k", "dedicated": "yes", "machine_id": "rig"})
    assert adapter.enroll({"api_key": "k", "dedicated": "yes", "machine_id": "31743"}) is None


def test_vast_lists_again_at_the_terms_it_had_after_a_restart(tmp_path: Path) -> None:
    remote = Remote(dict(VAST_ROUTES))
    first = vast(remote, Memo(tmp_path / "vast.json"))
    first.enroll({"api_key": "k", "dedicated": "yes"})
    first.pause()
    unlisted = dict(recorded("vast", "machines_unlisted.json"))
    for machine in unlisted["machines"]:  # an unlisted machine may show no prices
        machine.pop("listed_gpu_cost")
    remote.routes["GET /api/v0/machines"] = unlisted
    again = vast(remote, Memo(tmp_path / "vast.json"))
    again.enroll({"api_key": "k", "dedicated": "yes"})
    assert again.status().state is NodeState.PAUSED
    again.resume()
    key, body = remote.sent[-1]
    assert key == "PUT /api/v0/machines/create_asks/"
    assert body["machine"] == 31742 and body["price_gpu"] == 0.42 and body["price_min_bid"] == 0.3


def test_vast_cannot_list_a_machine_whose_terms_it_never_saw() -> None:
    machines = recorded("vast", "machines_unlisted.json")
    for machine in machines["machines"]:
        machine.pop("listed_gpu_cost")
    adapter = vast(Remote({**VAST_ROUTES, "GET /api/v0/machines": machines}), Memo(None))
    adapter.enroll({"api_key": "k", "dedicated": "yes"})
    with pytest.raises(NetworkError, match="list it once on cloud.vast.ai"):
        adapter.resume()


def test_vast_records_each_finished_day_once_and_never_today() -> None:
    today = 19676  # the second day of the recorded earnings
    earnings = recorded("vast", "earnings.json")
    remote = Remote({**VAST_ROUTES, "GET /api/v0/users/me/machine-earnings": earnings})
    adapter = vast(remote, Memo(None), now=today * 86400 + 3600)
    adapter.enroll({"api_key": "k", "dedicated": "yes"})
    jobs = adapter.jobs(None)
    assert [(j.job_id, str(j.earned.amount) if j.earned else None) for j in jobs] == [
        ("day-19675", "9.58")
    ]
    assert jobs[0].earned is not None and jobs[0].earned.unit == "USD"


# --- what the arbiter does with their penalties -----------------------------------------------


@pytest.mark.parametrize("make", [CloreAdapter, VastAdapter])
def test_heat_during_a_rental_lowers_the_power_limit_and_never_duty_cycles(make: Any) -> None:
    """What the Vast.ai and Clore.ai penalties rely on in desktop/guard/arbiter.py: with
    ``can_pause`` False a THROTTLE is never a duty cycle (short pauses would need a pause
    the network does not have) and, the power limit not being penalised, it is the power
    limit whatever the job."""
    penalties = make(lambda key: None).penalties()
    assert not penalties.can_pause and not penalties.power_limit_penalised
    throttle = GuardDecision(0, GuardAction.THROTTLE, "Hot.", "thermal", 0.0, 180.0, 0.5)
    for running in (True, False):
        actions = Arbiter().decide(0, [throttle], {"rig": penalties}, {"rig": running}, 0.0)
        kinds = {(a.target, a.kind) for a in actions}
        assert ("gpu", "set_power_limit") in kinds and ("network", "duty_cycle") not in kinds
