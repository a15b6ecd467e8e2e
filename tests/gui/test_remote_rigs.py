"""The app's rig list with a real rig behind a real SSH tunnel (tests/services.sh's sshd):
a second worker in another home shows up in the list, its dashboard on selection, a pause
from the window pauses *it* (checked on its own socket), and a tunnel killed mid-session
shows "Lost" before the app reconnects by itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc.client import IpcError, WorkerClient
from desktop.ipc.schema import PauseScope
from desktop.ui.options import AppOptions
from tests.gui.conftest import GuiWorker, home_paths, need
from tests.ssh_rig import address, ssh_command, ssh_config

WAIT_MS = 30_000


@pytest.fixture
def rig(monkeypatch: pytest.MonkeyPatch) -> Iterator[GuiWorker]:
    """A demo worker (simulated GPU, practice network) in its own home, the rig, and
    RIGPILOT_SSH_COMMAND leading to it."""
    if ssh_config() is None:
        need("the test OpenSSH server (RIGPILOT_TEST_SSH_CONFIG)")
    home = Path(tempfile.mkdtemp(prefix="rp-rig-"))
    env = dict(os.environ, RIGPILOT_HOME=str(home), PYTHONUNBUFFERED="1")
    with open(home / "worker-console.out", "ab") as console:
        process = subprocess.Popen(
            [sys.executable, "-m", "desktop", "worker", "--demo", "--foreground"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    worker = GuiWorker(process, home, WorkerClient(home_paths(home)))
    deadline = time.monotonic() + 30
    while True:
        try:
            worker.status()
            break
        except IpcError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the rig's worker did not start\n{worker.output()}") from None
            time.sleep(0.05)
    monkeypatch.setenv("RIGPILOT_SSH_COMMAND", ssh_command(home))
    yield worker
    worker.client.close()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(home, ignore_errors=True)


def _row(app: Any, name: str) -> list[str]:
    rows = [r for r in app.rig_switch.list.row_texts() if r[0] == name]
    return rows[0] if rows else []


def test_the_rig_list_shows_the_rig_and_a_pause_reaches_it(
    qtbot: Any, open_app: Callable[..., Any], start_worker: Callable[..., GuiWorker], rig: GuiWorker
) -> None:
    local = start_worker()
    app = open_app()
    rig_pid = rig.status().pid
    app.rig_switch.add(address())
    qtbot.waitUntil(
        lambda: app.link.connected and app.link.status.pid == rig_pid, timeout=WAIT_MS
    )
    row = _row(app, address())
    assert row[1] in {"Idle", "Earning"} and row[2].endswith("°C") and row[3].startswith("$")
    assert f"on {address()}" in app.window.footer.text()
    assert app.pages.wizard_action.isEnabled() is False  # the wizard checks this computer

    qtbot.mouseClick(app.window.strip.pause_button, qtbot_button())
    qtbot.waitUntil(lambda: bool(rig.status().user_holds), timeout=WAIT_MS)
    assert [h.scope for h in rig.status().user_holds] == [PauseScope.ALL]
    assert local.status().user_holds == [], "the pause went to this computer"
    qtbot.waitUntil(lambda: _row(app, address())[1] == "Paused", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: app.window.strip.pause_button.text() != "&Pause all", timeout=WAIT_MS)
    qtbot.mouseClick(app.window.strip.pause_button, qtbot_button())
    qtbot.waitUntil(lambda: rig.status().user_holds == [], timeout=WAIT_MS)

    app.rig_switch.list.select("")  # back to this computer, as a click on its row
    qtbot.waitUntil(
        lambda: app.link.connected and app.link.status.pid == local.status().pid, timeout=WAIT_MS
    )
    # The rig, no longer on screen, is polled by the list itself.
    qtbot.waitUntil(lambda: _row(app, address())[1] in {"Idle", "Earning"}, timeout=WAIT_MS)
    assert _row(app, "This computer")[1] in {"Idle", "Earning"}


def test_a_dead_tunnel_shows_lost_then_reconnects(
    qtbot: Any, open_app: Callable[..., Any], rig: GuiWorker
) -> None:
    app = open_app(AppOptions(connect=address()))  # `rigpilot --connect user@host`
    assert app.link.status.pid == rig.status().pid
    assert _row(app, "This computer")[1] in {"Connecting…", "Not running"}  # none started here
    seen: list[str] = []
    app.link.worker_lost.connect(lambda _why: seen.append(app.window.strip.text.text()))
    route = app.rigs._routes[address()]
    process = route._tunnel._process
    process.kill()  # ssh dies, as when the network drops
    process.wait()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert f"Lost the connection to {address()}" in seen[0]
    # connected again through a new tunnel (the link may say connected a moment before the
    # route has its new tunnel in place)
    qtbot.waitUntil(
        lambda: app.link.connected
        and route._tunnel is not None
        and route._tunnel._process is not process,
        timeout=WAIT_MS,
    )
    assert app.link.status.pid == rig.status().pid


def test_add_a_rig_refuses_what_is_not_an_address(
    qtbot: Any, open_app: Callable[..., Any], start_worker: Callable[..., GuiWorker]
) -> None:
    start_worker()
    app = open_app()
    dialog = app.rig_switch.ask_for_rig()
    dialog.address.setText("-oProxyCommand=touch /tmp/x")
    dialog._on_accept()
    assert dialog.isVisible() and "looks like an ssh option" in dialog.error.text()
    assert app.rigs.addresses == []
    dialog.reject()


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
