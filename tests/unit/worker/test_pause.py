"""User pauses: scopes, timed pauses that end by themselves, the API shape."""

from __future__ import annotations

from desktop.ipc.schema import PauseRequest
from desktop.worker.pause import PauseState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_all_gpu_and_network_scopes() -> None:
    state = PauseState(Clock())
    state.pause(PauseRequest(scope="gpu", gpu=1))
    state.pause(PauseRequest(scope="network", network="nosana"))
    assert state.gpu_paused(1) and not state.gpu_paused(0)
    assert state.network_paused("nosana") and not state.network_paused("demo")
    state.pause(PauseRequest(scope="all", reason="gaming"))
    assert state.gpu_paused(0) and state.network_paused("demo")
    body = state.to_json()
    assert body["all"] and body["reason"] == "gaming"
    assert body["gpus"] == [1] and body["networks"] == ["nosana"]
    assert len(body["items"]) == 3


def test_resume_one_or_everything() -> None:
    state = PauseState(Clock())
    state.pause(PauseRequest(scope="gpu", gpu=0))
    state.pause(PauseRequest(scope="gpu", gpu=1))
    ended = state.resume(PauseRequest(scope="gpu", gpu=0))
    assert [e.target for e in ended] == [0]
    assert state.resume(PauseRequest(scope="gpu", gpu=0)) == []  # already running: nothing ends
    state.pause(PauseRequest(scope="all"))
    assert len(state.resume(PauseRequest(scope="all"))) == 2
    assert state.to_json()["items"] == []


def test_timed_pause_expires_by_itself() -> None:
    clock = Clock()
    state = PauseState(clock)
    state.pause(PauseRequest(scope="all", until_ts=clock.now + 3600))
    state.pause(PauseRequest(scope="gpu", gpu=0))
    clock.now += 3599
    assert state.expire() == [] and state.all_paused
    clock.now += 1
    ended = state.expire()
    assert [e.scope for e in ended] == ["all"]
    assert (state.all_paused, state.gpu_paused(0)) == (False, True)  # the open-ended one stays


def test_pausing_again_replaces_the_end_time() -> None:
    clock = Clock()
    state = PauseState(clock)
    state.pause(PauseRequest(scope="all", until_ts=clock.now + 60))
    state.pause(PauseRequest(scope="all"))
    clock.now += 120
    assert state.expire() == [] and state.all_paused
