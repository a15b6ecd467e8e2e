"""The activity guard: step aside while the user games or uses the GPU for anything else.

Users of the peers asked for this for years (BOINC #2301, NiceHash #1057): nobody wants to
babysit a miner before launching a game. A game needs the graphics memory, so the answer is
STOP (the job is ended and its VRAM freed), not a freeze that would keep the memory held.
Work comes back only after a quiet period with no game, no foreign GPU process and no
full-screen window, so alt-tabbing or a loading screen does not bounce the job.

Pure: the worker probes (``activity_probe``) and feeds ``ActivityObservation``s; the NVML
process list is expensive, so the worker passes ``gpu_processes=None`` on the rounds it
did not query it and the guard keeps the last list it saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from desktop.model import GuardAction, GuardDecision

from ._text import duration, listing

# Lower-case, without ".exe". Launchers (Steam, Epic) stay open all day, so they are not
# listed; "gameoverlayui" is Steam's overlay, which runs exactly while a Steam game runs,
# on Windows and Linux, and so catches Steam games we do not list by name.
DEFAULT_GAME_NAMES: frozenset[str] = frozenset(
    {
        "cs2", "csgo", "dota2", "hl2", "hl2_linux", "portal2", "tf_win64", "tf_linux64",
        "eldenring", "cyberpunk2077", "gta5", "gtav", "playgtav", "rdr2", "rocketleague",
        "valorant", "valorant-win64-shipping", "fortniteclient-win64-shipping", "eurotrucks2",
        "amtrucks", "r5apex", "r5apex_dx12", "overwatch", "league of legends",
        "robloxplayerbeta", "tslgame", "destiny2", "rainbowsix", "rainbowsix_vulkan",
        "starfield", "bg3", "bg3_dx11", "witcher3", "hogwartslegacy", "helldivers2",
        "palworld-win64-shipping", "forzahorizon5", "flightsimulator", "cod", "wow",
        "diablo iv", "baldursgate3", "eft", "escapefromtarkov", "arma3_x64", "dayz_x64",
        "rust", "gameoverlayui", "gamescope",
    }
)  # fmt: skip

# Programs that keep a small graphics context open all day on a desktop (display servers,
# shells, browsers): seeing them in the NVML process list says nothing about gaming.
DEFAULT_IGNORED_GPU_PROCESSES: frozenset[str] = frozenset(
    {
        "xorg", "xwayland", "gnome-shell", "kwin_x11", "kwin_wayland", "plasmashell", "mutter",
        "sway", "hyprland", "picom", "compiz", "cinnamon", "xfwm4", "marco", "muffin",
        "dwm", "explorer", "searchhost", "startmenuexperiencehost", "shellexperiencehost",
        "textinputhost", "applicationframehost", "windowserver", "nvidia-settings",
        "firefox", "firefox-bin", "chrome", "chromium", "msedge", "brave", "opera",
        "steamwebhelper", "steam", "discord", "spotify", "code", "slack", "teams",
    }
)  # fmt: skip

_COMM_LEN = 15  # Linux truncates process names to 15 characters
_MEMO_MAX = 4096  # process names whose verdict a guard remembers


def normalize_name(name: str) -> str:
    """Compare names the way people write them: case-blind, with or without ``.exe``."""
    name = name.strip().replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name[:-4] if name.endswith(".exe") else name


def _matches(observed: str, wanted: frozenset[str]) -> bool:
    norm = normalize_name(observed)
    if norm in wanted:
        return True
    # "FortniteClient-Win64-Shipping.exe" under Wine shows as "FortniteClient-".
    return len(observed) == _COMM_LEN and any(w.startswith(norm) for w in wanted)


@dataclass(frozen=True)
class ActivityPolicy:
    """User settings of the activity guard (durations in seconds).

    ``game_names`` replaces the default list; ``extra_game_names`` adds the user's own.
    ``idle_only``: run only after ``idle_after_s`` without keyboard or mouse input.
    """

    enabled: bool = True
    game_names: frozenset[str] = DEFAULT_GAME_NAMES
    quiet_period_s: float = 300.0
    idle_only: bool = False
    idle_after_s: float = 600.0
    extra_game_names: frozenset[str] = frozenset()
    ignored_gpu_processes: frozenset[str] = DEFAULT_IGNORED_GPU_PROCESSES
    stop_on_fullscreen: bool = True

    def validate(self) -> list[str]:
        """Settings out of range, as sentences naming the field and the range."""
        problems = []
        if not 0 <= self.quiet_period_s <= 3600:
            problems.append(
                f"quiet_period_s is {self.quiet_period_s:g} s; allowed range is 0 to 3600 s."
            )
        if not 60 <= self.idle_after_s <= 86400:
            problems.append(
                f"idle_after_s is {self.idle_after_s:g} s; allowed range is 60 to 86400 s."
            )
        return problems


@dataclass(frozen=True)
class ActivityObservation:
    """What the worker saw this round.

    Attributes:
        process_names: names of the running processes (psutil, cheap).
        gpu_processes: pid → name of processes on this GPU that are not ours (the worker
            excludes its containers' pids); None when not queried this round.
        fullscreen: a full-screen window is in front; None where the platform cannot tell.
        idle_s: seconds since the last keyboard/mouse input; None where unknown.
    """

    process_names: frozenset[str] = frozenset()
    gpu_processes: Mapping[int, str] | None = None
    fullscreen: bool | None = None
    idle_s: float | None = None


class ActivityGuard:
    """Decides STOP while the user games, RUN after the quiet period (one per GPU or machine)."""

    def __init__(self, policy: ActivityPolicy, gpu_index: int = 0) -> None:
        self.policy = policy
        self.gpu_index = gpu_index
        self._games = frozenset(normalize_name(n) for n in policy.game_names)
        self._games |= frozenset(normalize_name(n) for n in policy.extra_game_names)
        self._ignored = frozenset(normalize_name(n) for n in policy.ignored_gpu_processes)
        self._gpu: dict[int, str] = {}
        self._is_game: dict[str, bool] = {}  # process name -> a game? (names rarely change)
        self._last_busy: float | None = None
        self._last_gone = ""

    def observe(self, obs: ActivityObservation, now: float) -> GuardDecision:
        p = self.policy
        if not p.enabled:
            return self._decide(GuardAction.RUN, "Pausing for games is turned off.", now)
        if obs.gpu_processes is not None:
            self._gpu = {
                pid: name
                for pid, name in obs.gpu_processes.items()
                if not name or normalize_name(name) not in self._ignored
            }
        quiet = duration(p.quiet_period_s)
        cause, after, gone = self._busy_cause(obs)
        if cause:
            self._last_busy, self._last_gone = now, gone
            return self._decide(
                GuardAction.STOP,
                f"{cause}: GPU work stopped to free the graphics memory. "
                f"It resumes {quiet} after {after}.",
                now,
            )
        if self._last_busy is not None and now - self._last_busy < p.quiet_period_s:
            left = duration(p.quiet_period_s - (now - self._last_busy))
            return self._decide(
                GuardAction.STOP,
                f"{self._last_gone}: GPU work resumes after {quiet} of quiet (about {left} left).",
                now,
            )
        if p.idle_only:
            if obs.idle_s is None:
                return self._decide(
                    GuardAction.PAUSE,
                    "'Only when idle' is on, but this system does not tell how long the "
                    "keyboard and mouse have been idle, so work stays paused. Turn the "
                    "option off to run work here.",
                    now,
                )
            if obs.idle_s < p.idle_after_s:
                return self._decide(
                    GuardAction.PAUSE,
                    f"You are using the computer: work waits until it has been idle for "
                    f"{duration(p.idle_after_s)} ('only when idle' is on).",
                    now,
                )
        if self._last_busy is not None:
            return self._decide(
                GuardAction.RUN, f"No game or other GPU program for {quiet}: work resumes.", now
            )
        return self._decide(GuardAction.RUN, "No game or other GPU program is running.", now)

    def _game(self, name: str) -> bool:
        """Whether a process name is a game, remembered: the same hundred names come back
        every 2 s all day, and matching each against the list was a third of an idle
        worker's CPU (issue 18). The memory is bounded; a policy change makes a new guard."""
        known = self._is_game.get(name)
        if known is None:
            if len(self._is_game) >= _MEMO_MAX:
                self._is_game.clear()
            known = self._is_game[name] = _matches(name, self._games)
        return known

    def _busy_cause(self, obs: ActivityObservation) -> tuple[str, str, str]:
        """(what keeps us off the GPU, when that ends, the sentence once it has ended)."""
        games = sorted({n for n in obs.process_names if self._game(n)}, key=str.lower)
        if games:
            verb = "is" if len(games) == 1 else "are"
            gone = f"{listing(games)} {'has' if len(games) == 1 else 'have'} closed"
            return f"{listing(games)} {verb} running", "you stop playing", gone
        if self._gpu:
            named = [
                f"{name} (pid {pid})" if name else f"a program with pid {pid}"
                for pid, name in sorted(self._gpu.items())
            ]
            verb = "is" if len(named) == 1 else "are"
            gone = f"{listing(named)} {'has' if len(named) == 1 else 'have'} left the GPU"
            return f"{listing(named)} {verb} using the GPU", "it ends", gone
        if obs.fullscreen and self.policy.stop_on_fullscreen:
            return (
                "A full-screen program is in front",
                "you leave full screen",
                "The full-screen program has closed",
            )
        return "", "", ""

    def _decide(self, action: GuardAction, reason: str, now: float) -> GuardDecision:
        return GuardDecision(
            gpu_index=self.gpu_index, action=action, reason=reason, source="activity", ts=now
        )
