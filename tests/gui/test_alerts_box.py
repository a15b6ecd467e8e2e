"""The Settings page's alerts: *Send a test* reaches a real webhook through a real worker,
a refusal (no destination) is shown in place, and the fleet settings are in their section."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.fleet_helpers import Receiver, receiver_fixture  # noqa: F401 (a fixture)


def _page(qtbot: Any, worker: Any) -> Any:
    from desktop.ui.settings_page import SettingsPage

    page = SettingsPage(worker.client)
    qtbot.addWidget(page)
    page.resize(900, 900)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.show()
    return page


def test_send_a_test_reaches_the_webhook(
    qtbot: Any, display: str, start_worker: Callable[..., Any], rigpilot_home: Path,
    receiver: Receiver,
) -> None:  # fmt: skip
    from PySide6.QtCore import Qt

    home = rigpilot_home
    (home / "config").mkdir(parents=True, exist_ok=True)
    settings = {"alerts.webhook_url": receiver.url}
    (home / "config" / "settings.json").write_text(json.dumps({"version": 1, "settings": settings}))
    page = _page(qtbot, start_worker("--simulate", "warm"))
    qtbot.waitUntil(lambda: "webhook" in page.alerts.where.text(), timeout=10_000)
    assert page.editors["alerts.webhook_url"].value() == receiver.url
    assert page.editors["metrics.listen"].value() is None  # empty means off
    with qtbot.waitSignal(page.alerts.tested, timeout=15_000) as blocker:
        qtbot.mouseClick(page.alerts.test_button, Qt.MouseButton.LeftButton)
    [delivery] = blocker.args[0]
    assert delivery.ok and "Sent: webhook" in page.alerts.result.text()
    [body] = receiver.of("test")
    assert body["title"].endswith("RigPilot test alert")


def test_a_test_with_no_destination_says_how_to_set_one(
    qtbot: Any, display: str, start_worker: Callable[..., Any]
) -> None:
    from PySide6.QtCore import Qt

    page = _page(qtbot, start_worker("--simulate", "warm"))
    with qtbot.waitSignal(page.alerts.failed, timeout=15_000) as blocker:
        qtbot.mouseClick(page.alerts.test_button, Qt.MouseButton.LeftButton)
    assert "rigpilot alerts ntfy" in blocker.args[0]
    assert "rigpilot alerts ntfy" in page.alerts.result.text()
