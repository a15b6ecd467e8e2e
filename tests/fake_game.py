"""A "game" for the game-guard tests: a copy of ``sleep`` under a name no other test uses.

Why a name of its own: every RigPilot worker on the machine reads every process's name, so a
test's process named like a game on the default list (``cs2``) paused the workers of the
tests running beside it, and those tests had to run by themselves at the end of the suite.
A name made up per test run counts as a game only for a guard that a test gives it
(``gaming.games``, or ``ActivityPolicy.extra_game_names``), so they now run with the rest.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

GAME_NAME = "rpgame-" + secrets.token_hex(4)  # 15 characters: the kernel's limit for a name


def start_game(folder: Path, seconds: int = 300) -> subprocess.Popen[bytes]:
    """Start the game (a copy of ``sleep`` named ``GAME_NAME`` in ``folder``) now."""
    sleep = shutil.which("sleep")
    assert sleep is not None, "these tests need a sleep binary"
    exe = folder / GAME_NAME
    shutil.copy(sleep, exe)
    return subprocess.Popen([str(exe), str(seconds)])
