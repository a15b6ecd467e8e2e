"""ActivityGuard: games and foreign GPU programs stop work at once; work returns after quiet."""

from __future__ import annotations

import pytest

from desktop.guard.activity import (
    DEFAULT_GAME_NAMES,
    ActivityGuard,
    ActivityObservation,
    ActivityPolicy,
    normalize_name,
)
from desktop.model import GuardAction

RUN, PAUSE, STOP = GuardAction.RUN, GuardAction.PAUSE, GuardAction.STOP
DESKTOP = frozenset({"systemd", "bash", "Xorg", "steam", "firefox"})


def obs(*names: str, gpu: dict[int, str] | None = None, **kw: object) -> ActivityObservation:
    return ActivityObservation(process_names=DESKTOP | set(names), gpu_processes=gpu, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "cs2", "dota2", "eldenring.exe", "Cyberpunk2077.exe", "GTA5.exe", "RocketLeague.exe",
        "valorant", "FortniteClient-Win64-Shipping.exe", "eurotrucks2",
    ],
)  # fmt: skip
def test_the_well_known_games_are_in_the_default_list(name: str) -> None:
    assert normalize_name(name) in DEFAULT_GAME_NAMES


def test_a_plain_desktop_is_not_a_game() -> None:
    d = ActivityGuard(ActivityPolicy()).observe(obs(gpu={1200: "Xorg", 1300: "gnome-shell"}), 0)
    assert d.action is RUN and d.source == "activity"


@pytest.mark.parametrize(
    ("running", "shown"),
    [
        ("Cyberpunk2077.exe", "Cyberpunk2077.exe"),
        ("CYBERPUNK2077.EXE", "CYBERPUNK2077.EXE"),
        ("cs2", "cs2"),
        ("FortniteClient-", "FortniteClient-"),  # Linux cuts names to 15 characters
    ],
)
def test_a_listed_game_stops_work_in_one_observation(running: str, shown: str) -> None:
    d = ActivityGuard(ActivityPolicy()).observe(obs(running), 100)
    assert d.action is STOP
    assert d.reason == (
        f"{shown} is running: GPU work stopped to free the graphics memory. "
        "It resumes 5 minutes after you stop playing."
    )


def test_a_short_prefix_is_not_taken_for_a_game() -> None:
    assert ActivityGuard(ActivityPolicy()).observe(obs("Fortnite"), 0).action is RUN


def test_user_listed_games_count_too() -> None:
    policy = ActivityPolicy(extra_game_names=frozenset({"MyIndieGame.exe"}))
    d = ActivityGuard(policy).observe(obs("myindiegame"), 0)
    assert d.action is STOP and "myindiegame is running" in d.reason


def test_a_foreign_gpu_process_stops_work_and_is_named() -> None:
    d = ActivityGuard(ActivityPolicy()).observe(obs(gpu={4242: "blender", 1200: "Xorg"}), 0)
    assert d.action is STOP
    assert d.reason.startswith("blender (pid 4242) is using the GPU: GPU work stopped")
    unnamed = ActivityGuard(ActivityPolicy()).observe(obs(gpu={77: ""}), 0)
    assert unnamed.action is STOP and "a program with pid 77 is using the GPU" in unnamed.reason


def test_the_gpu_list_is_kept_between_the_rounds_it_is_queried() -> None:
    guard = ActivityGuard(ActivityPolicy(quiet_period_s=0))
    assert guard.observe(obs(gpu={4242: "blender"}), 0).action is STOP
    assert guard.observe(obs(gpu=None), 2).action is STOP  # not queried this round
    assert guard.observe(obs(gpu={}), 10).action is RUN  # queried: it is gone


def test_work_resumes_only_after_the_quiet_period() -> None:
    guard = ActivityGuard(ActivityPolicy())
    guard.observe(obs("cs2"), 0)
    guard.observe(obs("cs2"), 10)
    waiting = guard.observe(obs(), 20)
    assert waiting.action is STOP
    assert waiting.reason == (
        "cs2 has closed: GPU work resumes after 5 minutes of quiet (about 5 minutes left)."
    )
    assert guard.observe(obs(), 309).action is STOP
    guard.observe(obs("cs2"), 200)  # back in the game: the quiet period starts over
    assert guard.observe(obs(), 499).action is STOP
    back = guard.observe(obs(), 500)
    assert back.action is RUN and back.reason.startswith("No game or other GPU program for 5")


def test_full_screen_stops_work_where_the_platform_can_tell() -> None:
    guard = ActivityGuard(ActivityPolicy(quiet_period_s=60))
    assert guard.observe(obs(fullscreen=None), 0).action is RUN
    d = guard.observe(obs(fullscreen=True), 1)
    assert d.action is STOP and d.reason.startswith("A full-screen program is in front")
    off = ActivityGuard(ActivityPolicy(stop_on_fullscreen=False))
    assert off.observe(obs(fullscreen=True), 0).action is RUN


def test_only_when_idle_mode() -> None:
    guard = ActivityGuard(ActivityPolicy(idle_only=True, idle_after_s=600))
    busy = guard.observe(obs(idle_s=30.0), 0)
    assert busy.action is PAUSE and "idle for 10 minutes" in busy.reason
    assert guard.observe(obs(idle_s=600.0), 1).action is RUN
    unknown = guard.observe(obs(idle_s=None), 2)
    assert unknown.action is PAUSE and "does not tell" in unknown.reason


def test_a_game_wins_over_idle_and_the_guard_can_be_turned_off() -> None:
    idle = ActivityGuard(ActivityPolicy(idle_only=True))
    assert idle.observe(obs("cs2", idle_s=9999.0), 0).action is STOP
    off = ActivityGuard(ActivityPolicy(enabled=False))
    assert off.observe(obs("cs2", gpu={1: "blender"}, fullscreen=True), 0).action is RUN


def test_policy_bounds() -> None:
    assert ActivityPolicy().validate() == []
    problems = ActivityPolicy(quiet_period_s=-1, idle_after_s=5).validate()
    assert problems == [
        "quiet_period_s is -1 s; allowed range is 0 to 3600 s.",
        "idle_after_s is 5 s; allowed range is 60 to 86400 s.",
    ]
