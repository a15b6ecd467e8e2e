"""A newcomer's first minutes on a computer without a usable NVIDIA GPU (issue 18).

The real app (no --demo, no --simulate) starts its own worker here, as it does on a
user's machine; the worker's NVML backend loads the stand-in ``libnvidia-ml.so.1``
(tests/fakenvml) configured as a machine with no card, or with a driver that is not
loaded, so these tests mean the same on a build machine that has a real GPU. Docker is
out of reach too (``DOCKER_HOST`` points at nothing), as on a fresh desktop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from PySide6.QtCore import Qt

from desktop.ipc.client import IpcError, WorkerClient
from desktop.ipc.launch import wait_gone
from desktop.ipc.schema import Mode
from desktop.paths import demo_paths
from desktop.ui.options import AppOptions
from desktop.views import notices
from desktop.wizard import networks_step, readiness
from desktop.wizard.state import Step
from tests.fakenvml.library import environment
from tests.gui.conftest import home_paths

NO_CARD = {"GPUS": 0}
DRIVER_NOT_LOADED = {"FAIL": "nvmlInit*=9"}  # NVML_ERROR_DRIVER_NOT_LOADED


def no_gpu_here(monkeypatch: pytest.MonkeyPatch, lib: Path, **fake: Any) -> None:
    """This process's environment, which every worker and doctor it starts inherits."""
    for key, value in environment(lib, **fake).items():
        monkeypatch.setenv(key, value)


def demo_worker(home: Path) -> WorkerClient:
    return WorkerClient(demo_paths(home_paths(home)))


def status_or_none(client: WorkerClient) -> Any:
    try:
        return client.status()
    except IpcError:
        return None


def walk_to_the_last_page(wizard: Any, qtbot: Any) -> None:
    """Next, page after page, as a newcomer would (the doctor runs on the checks page)."""
    for _ in range(12):
        if wizard.state.step is Step.DONE:
            return
        qtbot.waitUntil(lambda: not wizard.busy and not wizard.state.checks_running, timeout=60_000)
        before = (wizard.state.step, wizard.state.cred_index)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda b=before: (
                (wizard.state.step, wizard.state.cred_index) != b
                or wizard.state.problem is not None
            ),
            timeout=60_000,
        )
    raise AssertionError(f"the wizard did not reach its last page: {wizard.state.step}")


@pytest.mark.parametrize("machine", [NO_CARD, DRIVER_NOT_LOADED], ids=["no-card", "no-driver"])
def test_without_a_gpu_the_first_window_offers_the_demo_and_the_wizard_names_what_is_missing(
    machine: dict[str, Any],
    stand_in: Path,
    open_app: Any,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_gpu_here(monkeypatch, stand_in, **machine)
    rig = open_app(AppOptions(), first_run=True)  # `rigpilot`: it starts its own worker
    assert rig.link.status.mode is Mode.NVML and rig.link.status.gpus == []

    # The first window: what is wrong, in one sentence with the fix, and the demo.
    qtbot.waitUntil(lambda: rig.window.notice_shown is not None, timeout=10_000)
    panel = rig.window.notice
    assert panel.notice.key == notices.NO_GPU
    assert panel.title.text() == "No NVIDIA GPU found on this computer"
    sentence = panel.text.text()
    assert sentence.count(".") >= 1 and ":" in sentence and "`" not in sentence
    if machine is DRIVER_NOT_LOADED:
        assert sentence.startswith("The NVIDIA driver")
    assert panel.button.text() == "Try the demo" and panel.button.isVisible()
    assert rig.window.strip.text.text() == "No NVIDIA GPU found on this computer"
    assert not rig.window.strip.pause_button.isEnabled()  # nothing to pause

    # The wizard opened by itself; the practice network is not ticked: it offers the demo.
    qtbot.waitUntil(lambda: rig.pages.wizard is not None and rig.pages.wizard.isVisible())
    wizard = rig.pages.wizard
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)  # welcome -> checks
    qtbot.waitUntil(lambda: wizard.state.checks_ran, timeout=60_000)
    walk_to_the_last_page(wizard, qtbot)
    assert "demo" not in wizard.state.chosen
    practice = wizard.pages[Step.NETWORKS].rows["demo"]
    assert not practice.check.isEnabled() and not practice.demo_button.isHidden()

    # The last page: not "All set"; it names the missing GPU (with its fix) and network.
    assert wizard.title.text() == readiness.NOT_READY
    last = wizard.pages[Step.DONE]

    def shown() -> str:  # labels added to a shown page appear at Qt's next turn (queued)
        return " ".join(
            w.text() for w in last.findChildren(type(last.summary)) if w.isVisibleTo(last)
        )

    qtbot.waitUntil(lambda: "No usable NVIDIA GPU" in shown() and "No network enrolled" in shown())
    assert "`" not in shown() and "app's menu" not in shown()
    assert last.demo_button.isVisibleTo(last)

    # The Networks page judges as the wizard did (same checks, same ✔ and ✘, same lines).
    networks = rig.pages.networks
    rig.window.tabs.setCurrentWidget(networks)
    qtbot.waitUntil(lambda: "nosana" in networks.cards and bool(networks.checks), timeout=30_000)
    for network_id, card in networks.cards.items():
        option = wizard.state.network(network_id)
        assert option is not None
        in_wizard = networks_step.fitness(wizard.state, option)
        on_page = card.fitness
        assert [(n.title, n.met) for n in on_page.needs] == [
            (n.title, n.met) for n in in_wizard.needs
        ]
        assert [s.line for s in on_page.shortfalls] == [s.line for s in in_wizard.shortfalls]
        titles = [s.title for s in on_page.shortfalls]
        assert len(titles) == len(set(titles)), titles  # nothing listed twice
    wizard.reject()


def test_the_demo_opens_from_the_first_window_owns_its_worker_and_the_real_app_stays_real(
    stand_in: Path,
    open_app: Any,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    rigpilot_home: Path,
) -> None:
    no_gpu_here(monkeypatch, stand_in, **NO_CARD)
    rig = open_app(AppOptions())
    real_pid = rig.link.status.pid
    quit_asked: list[bool] = []
    rig.exit_app = lambda: quit_asked.append(True)
    qtbot.waitUntil(lambda: rig.window.notice_shown is not None, timeout=10_000)

    # "Try the demo": a demo app of its own starts, with its own worker (its folders).
    qtbot.mouseClick(rig.window.notice.button, Qt.MouseButton.LeftButton)
    demo = demo_worker(rigpilot_home)
    with qtbot.waitSignal(rig.notices.demo_opened, timeout=90_000):
        pass
    status = demo.status()
    assert status.mode is Mode.DEMO and status.gpus
    qtbot.waitUntil(lambda: bool(quit_asked), timeout=30_000)  # this app made way for it
    assert wait_gone(real_pid, 30)  # and stopped its worker, which had nothing to watch

    # Quitting the demo app stops the demo's worker: nothing is left running.
    app = psutil.Process(status.pid).parent()
    assert app is not None and "--demo" in app.cmdline()
    app.send_signal(signal.SIGTERM)
    assert app.wait(30) == 0
    assert wait_gone(status.pid, 30)
    assert status_or_none(demo) is None
    demo.close()

    # A real app started next shows this computer: no simulated GPU, the no-GPU notice.
    again = open_app(AppOptions())
    assert again.link.status.mode is Mode.NVML and again.link.status.gpus == []
    assert not any(g.info.simulated for g in again.link.status.gpus)
    qtbot.waitUntil(lambda: again.window.notice_shown is not None, timeout=10_000)
    assert again.window.notice_shown.key == notices.NO_GPU


def test_a_killed_demo_app_takes_its_worker_along(
    tray_host: None, rigpilot_home: Path, qtbot: Any
) -> None:
    """SIGKILL runs no quit code: the worker notices its app is gone by itself."""
    env = dict(os.environ, RIGPILOT_HOME=str(rigpilot_home))
    app = subprocess.Popen([sys.executable, "-m", "desktop", "--demo"], env=env)
    demo = demo_worker(rigpilot_home)
    real = WorkerClient(home_paths(rigpilot_home))
    try:
        qtbot.waitUntil(lambda: status_or_none(demo) is not None, timeout=60_000)
        status = demo.status()
        assert status.mode is Mode.DEMO
        assert status_or_none(real) is None  # the demo never uses this computer's folders
        second = subprocess.run(
            [sys.executable, "-m", "desktop", "--demo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0 and "already open" not in second.stderr
        app.kill()
        app.wait(10)
        assert wait_gone(status.pid, 30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        demo.close()
        real.close()


def test_the_real_app_never_shows_a_simulated_worker_and_offers_to_stop_it(
    stand_in: Path,
    start_worker: Any,
    open_app: Any,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simulated = start_worker("--simulate", "warm")  # left running by hand, say
    no_gpu_here(monkeypatch, stand_in, **NO_CARD)
    rig = open_app(AppOptions(), connect=False)
    qtbot.waitUntil(lambda: rig.window.notice_shown is not None, timeout=15_000)
    notice = rig.window.notice_shown
    assert notice.key == notices.OTHER_WORKER
    assert notice.title == "A simulated RigPilot worker is running"
    assert not rig.link.connected and rig.link.status is None  # its GPU was never shown
    assert rig.window.strip.text.text() == notice.title
    qtbot.mouseClick(rig.window.notice.button, Qt.MouseButton.LeftButton)
    simulated.process.wait(30)  # stopped, the normal way
    qtbot.waitUntil(lambda: rig.link.connected and rig.link.status is not None, timeout=30_000)
    assert rig.link.status.mode is Mode.NVML and rig.link.status.gpus == []
    qtbot.waitUntil(
        lambda: (
            rig.window.notice_shown is not None and rig.window.notice_shown.key == notices.NO_GPU
        ),
        timeout=10_000,
    )
