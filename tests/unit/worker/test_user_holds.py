"""The user's holds: scopes, resume, timed ends, and kept across restarts in one file."""

from __future__ import annotations

from pathlib import Path

from desktop.model import GuardAction, HoldKind
from desktop.worker.user_holds import UserHolds, sentence

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def test_all_gpu_and_network_scopes(tmp_path: Path) -> None:
    holds = UserHolds(tmp_path / "h.json", Clock())
    everything = holds.pause("all", words="dinner")
    assert everything.kind is HoldKind.USER and everything.action is GuardAction.PAUSE
    assert everything.reason == "dinner" and sentence(everything) == "You paused all work (dinner)."
    holds.pause("gpu", gpu=1)
    holds.pause("network", network="nosana")
    assert [h.scope for h in holds.all()] == ["all", "gpu", "network"]
    assert [h.scope for h in holds.covering_gpu(1)] == ["all", "gpu"]
    assert [h.scope for h in holds.covering_gpu(0)] == ["all"]
    assert holds.network_held("nosana") and not holds.network_held("demo")
    assert holds.covering_network("nosana").scope == "network"  # type: ignore[union-attr]
    assert holds.covering_network("demo").scope == "all"  # type: ignore[union-attr]


def test_resume_one_or_everything(tmp_path: Path) -> None:
    holds = UserHolds(None, Clock())
    holds.pause("all")
    holds.pause("gpu", gpu=0)
    assert [h.scope for h in holds.resume("gpu", gpu=0)] == ["gpu"]
    assert holds.resume("gpu", gpu=0) == []  # resuming what is not paused: nothing
    holds.pause("network", network="demo")
    assert len(holds.resume("all")) == 2 and holds.all() == []


def test_a_timed_pause_ends_by_itself_and_next_end_says_when(tmp_path: Path) -> None:
    clock = Clock()
    holds = UserHolds(None, clock)
    holds.pause("all", until=T0 + 3600)
    holds.pause("gpu", gpu=0, until=T0 + 60)
    assert holds.next_end() == T0 + 60
    clock.t = T0 + 61
    assert [h.scope for h in holds.expire()] == ["gpu"]
    clock.t = T0 + 3600
    assert [h.scope for h in holds.expire()] == ["all"] and holds.next_end() is None


def test_pausing_again_replaces_the_end_and_the_reason(tmp_path: Path) -> None:
    holds = UserHolds(None, Clock())
    holds.pause("all", until=T0 + 60, words="a")
    holds.pause("all", until=T0 + 600, words="b")
    [hold] = holds.all()
    assert hold.until == T0 + 600 and hold.reason == "b"


def test_holds_are_kept_across_restarts_and_a_damaged_file_keeps_none(tmp_path: Path) -> None:
    path = tmp_path / "user-holds.json"
    first = UserHolds(path, Clock())
    first.pause("network", network="nosana", words="moving house")
    first.pause("all", until=T0 + 60)
    again = UserHolds(path, Clock())
    assert again.all() == first.all()
    path.write_text("{not json")
    assert UserHolds(path, Clock()).all() == []
