"""The setup wizard on a real X server against a real worker (the simulated GPU, demo mode).

- It completes with the practice network, whose jobs then earn (checked through the API),
  and saves a screenshot of every page to resources/screenshots/.
- With a failing check (DOCKER_HOST at a missing socket) it shows the fix and a Copy
  button; Re-check turns the check green once DOCKER_HOST points at the real engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient
from desktop.ipc.schema_networks import NetworkRecord, NetworkRef
from desktop.model import CheckStatus
from desktop.paths import Paths
from desktop.wizard.client_port import ClientPort
from desktop.wizard.state import Step

SHOTS = Path(__file__).resolve().parents[2] / "resources" / "screenshots"
PAGE_NAMES = {
    Step.WELCOME: "1-welcome",
    Step.CHECKS: "2-checks",
    Step.NETWORKS: "3-networks",
    Step.CREDENTIALS: "4-credentials",
    Step.DEFAULTS: "5-heat-and-games",
    Step.ELECTRICITY: "6-electricity",
    Step.AUTOSTART: "7-autostart",
    Step.DONE: "8-done",
}


@pytest.fixture
def dark(qapp: Any) -> Iterator[None]:
    """The app's dark theme (what the README shows), restored afterwards."""
    from desktop.ui import theme

    palette, style, sheet = qapp.palette(), qapp.style().name(), qapp.styleSheet()
    theme.apply(qapp, theme.DARK)
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


@pytest.fixture
def private_autostart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Autostart entries go to a private XDG_CONFIG_HOME (the worker inherits it)."""
    folder = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


def open_dialog(qtbot: Any, port: Any) -> Any:
    from desktop.ui.wizard.dialog import WizardDialog

    dialog = WizardDialog(port)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    return dialog


def press_next(qtbot: Any, dialog: Any, expect: Step, timeout: int = 30_000) -> None:
    from PySide6.QtCore import Qt

    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.state.step is expect, timeout=timeout)


def screenshot(qtbot: Any, widget: Any, name: str) -> Path:
    qtbot.wait(250)  # let the layouts settle before the grab
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


def earned_usd(client: WorkerClient, network: str) -> Decimal:
    for net in client.call(endpoints.NETWORKS).networks:
        if net.network == network:
            return net.earnings_total.gross
    return Decimal(0)


def api_network(client: WorkerClient, network: str) -> NetworkRecord:
    return next(n for n in client.call(endpoints.NETWORKS).networks if n.network == network)


LISTED = ("render", "aethir", "fluence", "bittensor", "gensyn", "salad")


def every_network_has_a_row_with_its_state_or_reason(qtbot: Any, dialog: Any, page: Any) -> None:
    """Every registered network is a row; one RigPilot only lists can never be ticked and
    says why, what to do instead, and the source (a screenshot of those rows too)."""
    from PySide6.QtWidgets import QScrollArea

    names = {option.id for option in dialog.state.networks}
    assert set(LISTED) | {"demo", "nosana", "clore", "vast", "akash"} <= names == set(page.rows)
    for network in LISTED:
        row = page.rows[network]
        assert not row.check.isEnabled() and not row.check.isChecked()
        text = row.needs.text()
        assert "Why not:" in text and "Instead:" in text and "Source:" in text, network
    assert page.rows["akash"].check.isEnabled(), "a watched network needs nothing here"
    scroll = page.findChild(QScrollArea)
    scroll.ensureWidgetVisible(page.rows["salad"])
    screenshot(qtbot, dialog, "wizard-3-networks-listed")
    scroll.ensureWidgetVisible(page.rows["demo"])


def test_wizard_completes_with_the_practice_network_which_then_earns(
    qtbot: Any,
    display: str,
    dark: None,
    private_autostart: Path,
    start_worker: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    if os.environ.get("RIGPILOT_TEST_IMAGE"):
        monkeypatch.setenv("RIGPILOT_DEMO_IMAGE", os.environ["RIGPILOT_TEST_IMAGE"])
    worker = start_worker("--demo", "--sim-speed", "100")
    client: WorkerClient = worker.client
    # Demo mode enrolls the practice network by itself; a first-time user has none. Removal
    # lets a running job end first (an operation), so it is waited for.
    qtbot.waitUntil(lambda: api_network(client, "demo").enrolled, timeout=15_000)
    client.call(endpoints.REMOVE, NetworkRef(network="demo"))
    qtbot.waitUntil(lambda: not api_network(client, "demo").enrolled, timeout=30_000)

    dialog = open_dialog(qtbot, ClientPort(client))
    assert dialog.state.networks_loaded and dialog.state.settings
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.WELCOME])

    press_next(qtbot, dialog, Step.CHECKS)
    qtbot.waitUntil(lambda: dialog.state.checks_ran, timeout=60_000)
    page = dialog.page(Step.CHECKS)
    assert set(page.rows) >= {"driver", "docker.engine", "system.ram"}
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.CHECKS])

    press_next(qtbot, dialog, Step.NETWORKS)
    assert dialog.state.chosen == ("demo",), "the practice network is pre-ticked"
    choose = dialog.page(Step.NETWORKS)
    assert choose.rows["demo"].check.isChecked() and choose.rows["demo"].check.isEnabled()
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.NETWORKS])
    every_network_has_a_row_with_its_state_or_reason(qtbot, dialog, choose)

    press_next(qtbot, dialog, Step.CREDENTIALS)
    creds = dialog.page(Step.CREDENTIALS)
    key = creds.form.editors["api_key"]
    assert key.edit.echoMode() is QLineEdit.EchoMode.Password, "secrets are not shown"
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.CREDENTIALS])
    press_next(qtbot, dialog, Step.DEFAULTS)
    assert dialog.state.enrolled_ids == ("demo",)

    defaults = dialog.page(Step.DEFAULTS)
    defaults.quiet.setText("2")
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.DEFAULTS])
    press_next(qtbot, dialog, Step.ELECTRICITY)
    electricity = dialog.page(Step.ELECTRICITY)
    electricity.price.setText("0.28")
    electricity.currency.setCurrentText("USD")
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.ELECTRICITY])
    press_next(qtbot, dialog, Step.AUTOSTART)
    dialog.page(Step.AUTOSTART).autostart.setChecked(True)
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.AUTOSTART])
    press_next(qtbot, dialog, Step.DONE)
    assert dialog.next_button.text() == "&Finish"
    screenshot(qtbot, dialog, "wizard-" + PAGE_NAMES[Step.DONE])

    settings = client.call(endpoints.SETTINGS).settings
    assert settings["gaming.quiet_period_s"] == 120
    assert settings["electricity.price_per_kwh"] == 0.28
    assert settings["autostart"] is True
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)

    demo = api_network(client, "demo")
    assert demo.enrolled and demo.held is None
    qtbot.waitUntil(lambda: earned_usd(client, "demo") > 0, timeout=90_000)


def test_failing_check_shows_its_fix_and_recheck_turns_it_green(
    qtbot: Any,
    display: str,
    docker_host: str,
    rigpilot_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-docker.sock'}")
    paths = Paths(*(rigpilot_home / d for d in ("config", "data", "logs", "run")))
    dialog = open_dialog(qtbot, ClientPort(WorkerClient(paths)))  # no worker: checks only
    press_next(qtbot, dialog, Step.CHECKS)
    qtbot.waitUntil(lambda: dialog.state.checks_ran, timeout=60_000)
    page = dialog.page(Step.CHECKS)
    row = page.rows["docker.engine"]
    assert row.result.status is CheckStatus.FAIL and row.status.text() == "✘ Fail"
    assert row.fix is not None and "DOCKER_HOST" in row.fix.text()
    fix = row.fix
    # a row made while the page is on screen is shown at the loop's next pass (Qt's layouts)
    qtbot.waitUntil(lambda: row.isVisible() and fix.isVisible(), timeout=5000)
    commands = [line.command for line in row.commands]
    assert "sudo systemctl enable --now docker" in commands
    line = row.commands[commands.index("sudo systemctl enable --now docker")]
    qtbot.waitUntil(lambda: line.copy_button.height() > 10)  # laid out, so clickable
    qtbot.mouseClick(line.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "sudo systemctl enable --now docker"
    assert line.copy_button.text() == "Copied"
    assert "Docker engine" in page.headline.text()

    monkeypatch.setenv("DOCKER_HOST", docker_host)  # the fault is removed
    qtbot.mouseClick(page.recheck_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            not dialog.state.checks_running
            and "docker.engine" in page.rows
            and page.rows["docker.engine"].result.status is CheckStatus.PASS
        ),
        timeout=60_000,
    )
    assert page.rows["docker.engine"].status.text() == "✔ Pass"
    assert page.rows["docker.engine"].fix is None
    dialog.reject()
